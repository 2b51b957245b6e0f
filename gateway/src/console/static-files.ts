import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Route } from '@psa/shared';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The console loads only its own files and talks only to this origin (HTTP and WebSocket). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  // The API explorer's stylesheet (GraphiQL) embeds its fonts as data: URLs.
  "font-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

/**
 * Serves a built single-page app (the web console) from `root`: files as they are (those under
 * `assets/` carry a content hash and are cached for a year), and `index.html` for every other
 * path, so the app's own routes load. Nothing outside `root` is ever read.
 */
export function staticFiles(root: string): Route {
  const base = path.resolve(root);
  const index = path.join(base, 'index.html');
  return (req, res) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const candidate = path.resolve(base, `.${pathname}`);
    const inside = candidate.startsWith(`${base}${path.sep}`);
    const file =
      inside && existsSync(candidate) && statSync(candidate).isFile() ? candidate : index;
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const hashed = file.startsWith(path.join(base, 'assets') + path.sep);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(file === index ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  };
}
