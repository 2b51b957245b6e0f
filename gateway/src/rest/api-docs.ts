import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ServerResponse } from 'node:http';

/** Where the reference page lives; its assets are under `${DOCS_PATH}/assets/`. */
export const DOCS_PATH = '/api/docs';

// Swagger UI's files from the installed package, so the page works offline (no CDN).
const swaggerUiDir = path.dirname(
  createRequire(__filename).resolve('swagger-ui-dist/package.json'),
);

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// Scripts only from this origin: the page's own start-up is a file too, not an inline script.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

function page(openApiUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PSA Graph REST API</title>
<link rel="icon" href="${DOCS_PATH}/assets/favicon-32x32.png">
<link rel="stylesheet" href="${DOCS_PATH}/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="${openApiUrl}"></div>
<script src="${DOCS_PATH}/assets/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/assets/swagger-ui-standalone-preset.js"></script>
<script src="${DOCS_PATH}/assets/start.js"></script>
</body>
</html>
`;
}

// "Try it out" sends the token typed into Authorize (the bearer scheme) and keeps it on reload.
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: document.getElementById('swagger-ui').dataset.openapiUrl,
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  validatorUrl: null,
});
`;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
  });
  res.end(body);
}

/**
 * Serves the API reference (Swagger UI, with "try it out") at {@link DOCS_PATH} for the document
 * at `openApiUrl`. Answers false for any other path, so the caller answers 404.
 */
export async function serveApiDocs(
  pathname: string,
  res: ServerResponse,
  openApiUrl: string,
): Promise<boolean> {
  if (pathname === DOCS_PATH || pathname === `${DOCS_PATH}/`) {
    send(res, 200, 'text/html; charset=utf-8', page(openApiUrl));
    return true;
  }
  const asset = pathname.startsWith(`${DOCS_PATH}/assets/`)
    ? pathname.slice(`${DOCS_PATH}/assets/`.length)
    : null;
  if (asset === 'start.js') {
    send(res, 200, 'text/javascript; charset=utf-8', START_SCRIPT);
    return true;
  }
  // Only the listed files: the name never reaches the file system otherwise.
  if (asset && Object.hasOwn(ASSETS, asset)) {
    send(res, 200, ASSETS[asset]!, await readFile(path.join(swaggerUiDir, asset)));
    return true;
  }
  return false;
}
