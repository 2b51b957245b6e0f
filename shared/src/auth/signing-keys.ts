import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

/** The algorithm every access token is signed with. Pinned on verification. */
export const JWT_ALGORITHM = 'ES256';

/** A public key a verifier accepts, by key id. */
export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
}

/** The key the users service signs with. */
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

/** RFC 7638 thumbprint of the public key (base64url, first 16 chars): a stable `kid`. */
export function keyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** A signing key from a PKCS#8 PEM private key (P-256). Throws on anything else. */
export function signingKeyFromPem(privateKeyPem: string): SigningKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (
    privateKey.asymmetricKeyType !== 'ec' ||
    privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error('JWT private key must be an EC P-256 key (ES256)');
  }
  const publicKey = createPublicKey(privateKey);
  return { kid: keyId(publicKey), privateKey, publicKey };
}

/** A verification key from a SPKI PEM public key (P-256). */
export function verificationKeyFromPem(publicKeyPem: string): VerificationKey {
  const publicKey = createPublicKey(publicKeyPem);
  if (
    publicKey.asymmetricKeyType !== 'ec' ||
    publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error('JWT public key must be an EC P-256 key (ES256)');
  }
  return { kid: keyId(publicKey), publicKey };
}

/**
 * The development signing key in `dir` (`jwt-private.pem`), generated on first use. Production
 * keys come from configuration instead (a Kubernetes Secret), never from this.
 */
export function loadOrCreateDevSigningKey(dir: string): SigningKey {
  const file = path.join(dir, 'jwt-private.pem');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    try {
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      // Another process starting at the same moment wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return signingKeyFromPem(readFileSync(file, 'utf8'));
}

/** A public key as PEM, for handing to verifiers through configuration. */
export function publicKeyPem(key: VerificationKey): string {
  return key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
}
