// The reader for a format, over an opened input.
import { csvSource } from './csv-source.js';
import type { Format } from './formats.js';
import { type Input, readWhole } from './input.js';
import { ndjsonSource } from './ndjson-source.js';
import { pickleSource } from './pickle-source.js';
import type { RecordSource } from './record-source.js';

export function openSource(format: Format, input: Input): RecordSource {
  switch (format) {
    case 'ndjson':
      return ndjsonSource(input.chunks());
    case 'csv':
      return csvSource(input.chunks());
    case 'pickle':
      return pickleSource(() => readWhole(input));
  }
}
