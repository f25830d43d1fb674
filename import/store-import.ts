// Direct mode: every record of the input into the store file in one transaction, all good records
// or none. Bad records are reported and skipped; anything else (a read error, a refused pickle,
// the disk full) rolls the whole import back.

import { ImportTransaction } from '../store/import-transaction.js';
import type { ProfileStore } from '../store/profile-store.js';
import type { ImportReport } from './import-report.js';
import { idOf, type RecordSource } from './record-source.js';

export interface StoreImportOptions {
  /** Do nothing when the store already holds live profiles (seeding the demo data once). */
  ifEmpty?: boolean;
  /** Called with the open transaction, so a signal handler can roll it back before exiting. */
  onBegin?: (transaction: ImportTransaction) => void;
}

export type StoreImportOutcome = { imported: true } | { imported: false; profilesInStore: number };

export async function importIntoStore(
  source: RecordSource,
  store: ProfileStore,
  report: ImportReport,
  options: StoreImportOptions = {},
): Promise<StoreImportOutcome> {
  const transaction = ImportTransaction.begin(store);
  try {
    if (options.ifEmpty && transaction.countBefore > 0) {
      transaction.rollback();
      return { imported: false, profilesInStore: transaction.countBefore };
    }
    options.onBegin?.(transaction);
    for await (const record of source.records()) {
      report.read++;
      if ('problem' in record) {
        report.reject({ position: record.position, id: record.id, ...record.problem });
        continue;
      }
      const written = transaction.write(record.value);
      if (written.ok) {
        report.written++;
      } else {
        const first = written.problems[0]!;
        const message = written.problems.map((p) => p.message).join('; ');
        report.reject({ position: record.position, id: idOf(record.value), code: first.code, message });
      }
    }
    transaction.commit();
    return { imported: true };
  } catch (err) {
    transaction.rollback();
    throw err;
  }
}
