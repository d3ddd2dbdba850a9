import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NotFoundException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** Static pages served by the services themselves (the devportal, the dashboard). */

/** One static file of a page, read once at start (they are a few kilobytes). */
export interface PageAsset {
  contentType: string;
  body: Buffer;
}

/**
 * Headers of the page and its assets: scripts only from this origin (no inline
 * code), API calls only to this origin, never framed.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Revalidate every load so a new release is picked up; nothing secret is ever in these files.
  'Cache-Control': 'no-cache',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The folder `apps/<app>/ui/<page>`, found from the folder of the controller
 * serving it: in the TypeScript sources (tests), in the compiled tree in
 * dist/, or under the working directory (the Docker image).
 */
export function findUiFolder(sourceDir: string, app: string, page: string): string | null {
  const candidates = [
    resolve(sourceDir, '..', '..', 'ui', page),
    resolve(sourceDir, '..', '..', '..', '..', '..', 'apps', app, 'ui', page),
    resolve(process.cwd(), 'apps', app, 'ui', page),
  ];
  return candidates.find((candidate) => existsSync(join(candidate, 'index.html'))) ?? null;
}

/** One file as a page asset, typed by its extension. */
export function assetFromFile(path: string): PageAsset {
  const extension = path.slice(path.lastIndexOf('.'));
  return { contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream', body: readFileSync(path) };
}

/** `libs/http-kit/ui`, beside this file's folder in the sources or in dist/, or under the working directory. */
function sharedUiFolder(): string | null {
  const candidates = [resolve(__dirname, '..', 'ui'), resolve(__dirname, '..', '..', '..', '..', 'libs', 'http-kit', 'ui'), resolve(process.cwd(), 'libs', 'http-kit', 'ui')];
  return candidates.find((candidate) => existsSync(join(candidate, 'keymint.css'))) ?? null;
}

/**
 * What every keymint page shares, in front of the page's own file:
 * `style.css` = `libs/http-kit/ui/keymint.css` + the page's style.css (when it has one),
 * `app.js` = `libs/http-kit/ui/keymint.js` + the page's app.js. Null when neither part exists.
 */
export function loadWithShared(pageFolder: string | null, file: 'style.css' | 'app.js'): PageAsset | null {
  const shared = sharedUiFolder();
  const sharedFile = file === 'style.css' ? 'keymint.css' : 'keymint.js';
  const parts = [shared && join(shared, sharedFile), pageFolder && join(pageFolder, file)]
    .filter((path): path is string => Boolean(path) && existsSync(path as string))
    .map((path) => readFileSync(path));
  if (parts.length === 0) return null;
  const extension = file.slice(file.lastIndexOf('.'));
  return { contentType: CONTENT_TYPES[extension], body: Buffer.concat(parts.flatMap((part) => [part, Buffer.from('\n')])) };
}

/** Reads the named files of a folder; a missing folder or file gives no asset (the route answers 404). */
export function loadAssets(folder: string | null, files: readonly string[]): Map<string, PageAsset> {
  const assets = new Map<string, PageAsset>();
  if (!folder) return assets;
  for (const file of files) {
    const path = join(folder, file);
    if (existsSync(path)) assets.set(file, assetFromFile(path));
  }
  return assets;
}

/** A page's files: its index.html, and its style.css and app.js with the shared parts in front (see loadWithShared). */
export function loadPage(folder: string | null): Map<string, PageAsset> {
  const assets = loadAssets(folder, ['index.html']);
  for (const file of ['style.css', 'app.js'] as const) {
    const asset = loadWithShared(folder, file);
    if (asset) assets.set(file, asset);
  }
  return assets;
}

/** Answers with a page file and the page security headers; 404 with `notInstalled` when the file is missing. */
export function sendPageAsset(reply: FastifyReply, asset: PageAsset | undefined, notInstalled: string): void {
  if (!asset) throw new NotFoundException(notInstalled);
  void reply.headers(PAGE_SECURITY_HEADERS).type(asset.contentType).send(asset.body);
}
