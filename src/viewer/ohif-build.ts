/**
 * An OHIF build installed by scripts/ohif/fetch.sh (the prebuilt @ohif/app
 * package, pinned in scripts/ohif/version.txt) and served by the gateway under
 * a path prefix. The build is made for the site root: its index.html and its
 * webpack public path say "/", so those two files are rewritten for the prefix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/project-root.js';

export const OHIF_VERSION = readFileSync(path.join(PROJECT_ROOT, 'scripts', 'ohif', 'version.txt'), 'utf8').trim();

/** Where scripts/ohif/fetch.sh puts the build; null when it is not installed. */
export function installedOhifDir(): string | null {
  const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'ohif', OHIF_VERSION, 'dist');
  return existsSync(path.join(dir, 'index.html')) ? dir : null;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The file under `root` a URL sub-path names, or null if it escapes the root or does not exist. */
export function resolveBuildFile(root: string, subPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(subPath);
  } catch {
    return null;
  }
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return null;
  return existsSync(file) ? file : null;
}

/**
 * The build's files with its site-root paths moved under `prefix` ("/viewer"):
 * index.html, the webpack public path of the app and worker bundles, and the
 * CSS font URLs. Files without such paths are streamed as they are.
 */
export class PrefixedBuild {
  private readonly rewritten = new Map<string, Promise<Buffer | null>>();

  constructor(readonly root: string, readonly prefix: string) {}

  /** The rewritten file, or null when the file has no site-root path (stream it). */
  rewrittenFile(file: string): Promise<Buffer | null> {
    if (path.dirname(file) !== this.root || !/\.(html|js|css)$/.test(file)) return Promise.resolve(null);
    let answer = this.rewritten.get(file);
    if (!answer) {
      answer = readFile(file, 'utf8').then((text) => {
        const moved = this.rewrite(text);
        return moved === text ? null : Buffer.from(moved);
      });
      this.rewritten.set(file, answer);
    }
    return answer;
  }

  private rewrite(text: string): string {
    const base = `${this.prefix}/`;
    return text
      .replace('window.PUBLIC_URL="/"', `window.PUBLIC_URL="${base}"`)
      .replace(/(href|src)="\/(?!\/)/g, `$1="${base}`)
      .replaceAll('__webpack_require__.p = "/";', `__webpack_require__.p = "${base}";`)
      .replace(/url\(\/(?!\/)/g, `url(${base}`);
  }
}
