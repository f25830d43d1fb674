// What the builder's tests share: a source with one bad record of every kind, loggers, and
// readers of what a build leaves behind (the indexes folder, the JSON log lines of a run).
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { generateProfiles, type Profile } from '../../builder/generate.js';
import { indexesDir } from '../../index-version/format.js';

export const silent = pino({ level: 'silent' });

/** A logger whose records the test can read back. */
export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** 200 good profiles with one bad record of every kind mixed in, as `dir`/profiles.jsonl. */
export function sourceWithBadRecords(dir: string): { file: string; good: Profile[] } {
  const good = [...generateProfiles({ count: 200, seed: 3 })];
  const zeros = new Array(127).fill(0);
  const bad = [
    '{not json',
    JSON.stringify({ name: 'no id' }),
    JSON.stringify({ _id: 17, name: 'numeric id' }),
    JSON.stringify({ ...good[0], name: 'duplicate' }),
    JSON.stringify({ _id: 'wrong-dims', vector: [1, 2, 3] }),
    `{"_id":"non-finite","vector":[1e400,${zeros.join(',')}]}`,
    JSON.stringify({ _id: 'zero', city: ' ' }), // nothing to go on, not even a name: the zero vector
    JSON.stringify({ _id: 'bad-vector', vector: 'abc' }),
    '',
  ];
  const lines: string[] = [];
  good.forEach((p, i) => {
    lines.push(JSON.stringify(p));
    if (i % 20 === 5 && bad.length > 0) lines.push(bad.shift()!);
  });
  lines.push(...bad);
  const file = path.join(dir, 'profiles.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, good };
}

/** Everything in the data dir's indexes folder: versions, LATEST and any temporaries. */
export function visibleEntries(dataDir: string): string[] {
  return readdirSync(indexesDir(dataDir));
}

/** The JSON log lines of a builder run's output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
