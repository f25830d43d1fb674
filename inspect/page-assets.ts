// The /inspect page's files: plain ES modules and CSS from inspect/page/, plus the layout library's
// own browser build from node_modules; served by name from a fixed list, never by a path from the URL.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** inspect/page/ in the source tree: dist/inspect/ is two levels below the repository. */
export const PAGE_DIR = fileURLToPath(new URL('../../inspect/page/', import.meta.url));
export const ELK_ASSET = 'elk.bundled.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  type: string;
}

function assetFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(PAGE_DIR)) {
    if (path.extname(name) in TYPES) files.set(name, path.join(PAGE_DIR, name));
  }
  files.set(ELK_ASSET, createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js'));
  return files;
}

/** Reads each file once; the list is taken when first asked. */
export class PageAssets {
  private files: Map<string, string> | null = null;
  private readonly cache = new Map<string, Promise<Asset>>();

  /** The asset called `name`, or null when there is none by that name. */
  get(name: string): Promise<Asset> | null {
    this.files ??= assetFiles();
    const file = this.files.get(name);
    if (!file) return null;
    let asset = this.cache.get(name);
    if (!asset) {
      asset = readFile(file).then((body) => ({ body, type: TYPES[path.extname(file)]! }));
      this.cache.set(name, asset);
    }
    return asset;
  }

  names(): string[] {
    this.files ??= assetFiles();
    return [...this.files.keys()];
  }
}
