// Which reader an input needs: --format, else the file's extension, else its first bytes.
import path from 'node:path';
import { ImportError } from './import-errors.js';

export const FORMATS = ['ndjson', 'csv', 'pickle'] as const;
export type Format = (typeof FORMATS)[number];

const BY_EXTENSION: Record<string, Format> = {
  '.jsonl': 'ndjson',
  '.ndjson': 'ndjson',
  '.csv': 'csv',
  '.pkl': 'pickle',
  '.pickle': 'pickle',
};

/** Every pickle of protocol 2 and later starts with the PROTO opcode. */
const PICKLE_PROTO = 0x80;

export function formatFromName(file: string): Format | null {
  return BY_EXTENSION[path.extname(file).toLowerCase()] ?? null;
}

/** pickle: byte 0x80; NDJSON: a `{` first; CSV: a first line naming `_id` (its header); else null. */
export function sniffFormat(head: Buffer): Format | null {
  if (head[0] === PICKLE_PROTO) return 'pickle';
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trimStart().startsWith('{')) return 'ndjson';
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const header = firstLine.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
  return header.includes('_id') ? 'csv' : null;
}

export function chooseFormat(name: string, head: Buffer, given?: Format): Format {
  const format = given ?? (name === '-' ? null : formatFromName(name)) ?? sniffFormat(head);
  if (format === null) {
    const what = name === '-' ? 'standard input' : name;
    throw new ImportError('TANDEM_ERR_IMPORT_FORMAT', `cannot tell the format of ${what}: give --format ndjson, csv or pickle`);
  }
  return format;
}
