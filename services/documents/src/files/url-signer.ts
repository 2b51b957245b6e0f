import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a signed upload URL allows: one PUT of exactly `size` bytes of `type` to `key`. */
const uploadClaims = z.object({
  op: z.literal('put'),
  key: z.string(),
  size: z.number().int().positive(),
  type: z.string(),
  exp: z.number().int(),
});

/** What a signed download URL allows: GETs of `key`, answered as `name`, recorded for `user`. */
const downloadClaims = z.object({
  op: z.literal('get'),
  key: z.string(),
  type: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  sha: z.string(),
  doc: z.string(),
  user: z.string(),
  exp: z.number().int(),
});

const claims = z.discriminatedUnion('op', [uploadClaims, downloadClaims]);

export type UploadClaims = z.infer<typeof uploadClaims>;
export type DownloadClaims = z.infer<typeof downloadClaims>;
export type FileClaims = z.infer<typeof claims>;

/**
 * Signs and verifies the local store's URL tokens: `base64url(JSON claims).base64url(HMAC-SHA256)`.
 * Node's crypto does this in a few lines, and the token carries only what the documents service
 * itself reads back, so no JWT library is involved (ADR 0012). `exp` is in seconds since the
 * epoch; an expired or altered token verifies as null.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(payload: FileClaims): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string, now = Date.now()): FileClaims | null {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const result = claims.safeParse(parsed);
    if (!result.success || result.data.exp * 1000 <= now) return null;
    return result.data;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
