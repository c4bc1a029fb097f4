// Maps a request path to a file of the built UI. Every path is resolved and
// checked to stay inside the UI directory (symlinks included), because the
// process serving it runs as root.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DashboardUiMissingError } from './errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface StaticFile {
  path: string;
  size: number;
  contentType: string;
  /** The SPA page: needs the page headers (CSP, no-store). */
  isPage: boolean;
  /** Under assets/: Vite puts a content hash in these names, so they never change. */
  immutable: boolean;
}

export class StaticFiles {
  private constructor(private readonly root: string, private readonly index: StaticFile) {}

  /** Fails with DashboardUiMissingError when the UI has not been built. */
  static async open(staticDir: string): Promise<StaticFiles> {
    try {
      const root = await realpath(staticDir);
      const indexPath = resolve(root, 'index.html');
      const s = await stat(indexPath);
      if (!s.isFile()) throw new Error('index.html is not a file');
      return new StaticFiles(root, { path: indexPath, size: s.size, contentType: CONTENT_TYPES['.html']!, isPage: true, immutable: false });
    } catch (err) {
      throw new DashboardUiMissingError(staticDir, err);
    }
  }

  /** The file for a URL path, index.html for unknown page routes (SPA), null for 404. */
  async lookup(urlPath: string): Promise<StaticFile | null> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    if (decoded === '/' || decoded === '/index.html') return this.index;
    const candidate = resolve(this.root, `.${decoded}`);
    if (!this.contains(candidate)) return null;
    const found = await this.fileAt(candidate);
    if (found !== null) return found;
    return looksLikeAsset(decoded) ? null : this.index;
  }

  private async fileAt(candidate: string): Promise<StaticFile | null> {
    try {
      const real = await realpath(candidate);
      if (!this.contains(real)) return null;
      const s = await stat(real);
      if (!s.isFile()) return null;
      const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
      const immutable = real.startsWith(`${this.root}${sep}assets${sep}`);
      return { path: real, size: s.size, contentType: type, isPage: real === this.index.path, immutable };
    } catch {
      return null;
    }
  }

  private contains(p: string): boolean {
    return p.startsWith(`${this.root}${sep}`);
  }
}

// A missing file with an extension or under /assets/ is a real 404; anything
// else is a client-side route and gets the page.
function looksLikeAsset(path: string): boolean {
  return path.startsWith('/assets/') || extname(path) !== '';
}

/** Writes the file (headers only for HEAD). Headers set earlier on `res` are kept. */
export async function sendFile(res: ServerResponse, file: StaticFile, headOnly: boolean): Promise<void> {
  res.statusCode = 200;
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Length', file.size);
  if (!file.isPage) res.setHeader('Cache-Control', file.immutable ? 'private, max-age=31536000, immutable' : 'no-cache');
  if (headOnly) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file.path), res);
  } catch {
    res.destroy(); // client went away or the file vanished mid-read; nothing to report to anyone
  }
}
