import { toJwk, type Route, type VerificationKey } from '@psa/shared';

/** Where verifiers (the gateway, the other subgraphs) fetch the public keys. */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * `GET /.well-known/jwks.json`: the public keys tokens may be signed with, as a JWKS (RFC 7517):
 * the signing key first, then older keys still accepted during a rotation. Caches may keep it for
 * 5 minutes, as verifiers do.
 */
export function jwksRoute(keys: readonly VerificationKey[]): Route {
  const unique = keys.filter((key, i) => keys.findIndex((other) => other.kid === key.kid) === i);
  const body = JSON.stringify({
    keys: unique.map(({ kid, publicKey }) => toJwk({ kid, publicKey })),
  });
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'public, max-age=300',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
