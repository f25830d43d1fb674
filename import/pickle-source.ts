// The original service's file: a pickle of a list of dicts, read whole into memory (a pickle has
// no record boundaries to stream by) by the reader that executes nothing (pickle.ts). A global
// outside its allowlist stops the import with the name it tried; so does a top level that is not
// a list of dicts.
import { setImmediate as turnOfTheLoop } from 'node:timers/promises';
import { ImportError } from './import-errors.js';
import { iteratePickleRecords } from './pickle.js';
import { jsonFromPickle } from './pickle-json.js';
import { idOf, type RecordSource, type SourceRecord } from './record-source.js';
import { describe, isDict } from './values.js';

/** Decoding is synchronous: this often, timers (progress) and signals get their turn. */
const YIELD_EVERY = 1000;

async function* records(buffer: Uint8Array): AsyncGenerator<SourceRecord> {
  let index = 0;
  for (const item of iteratePickleRecords(buffer)) {
    if (!isDict(item)) {
      throw new ImportError(
        'TANDEM_ERR_IMPORT_NOT_RECORDS',
        `item ${index} of the pickled list is a ${describe(item)}, not a dict: the file must be a list of dicts, one per profile`,
      );
    }
    const check = jsonFromPickle(item as Parameters<typeof jsonFromPickle>[0]);
    yield check.ok ? { position: index, value: check.value } : { position: index, id: idOf(item), problem: check.problem };
    index++;
    if (index % YIELD_EVERY === 0) await turnOfTheLoop();
  }
}

/** `read` gives the whole file, once: both passes of verify() and records() share it. */
export function pickleSource(read: () => Promise<Buffer>): RecordSource {
  let whole: Promise<Buffer> | null = null;
  const buffer = () => {
    whole ??= read();
    return whole;
  };
  return {
    positionName: 'record',
    async *records() {
      yield* records(await buffer());
    },
    async verify() {
      for await (const _record of records(await buffer())) {
        // read to the end and dropped: only whether the whole file reads matters here
      }
    },
  };
}
