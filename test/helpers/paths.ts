// Where the programs under test live: one place, so a move of a module breaks one line, not five.
import path from 'node:path';

/** The repository root (this file runs as dist/test/helpers/paths.js). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const DIST = path.join(REPO_ROOT, 'dist');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** A compiled module or program, by its source path without the extension: `distPath('builder/main')`. */
export function distPath(modulePath: string): string {
  return path.join(DIST, `${modulePath}.js`);
}

export const PROGRAMS = {
  service: distPath('service/main'),
  builder: distPath('builder/main'),
  child: distPath('roles/child'),
  generate: distPath('builder/generate-cli'),
  importer: distPath('import/cli'),
} as const;
