// The import's one transaction, in process: bad records are skipped with their problems and the
// rest goes in under consecutive seqs; a failure midway (a read error, the disk full) leaves the
// store as it was; --if-empty reads the count under the write lock. The SIGKILL case is in
// import-cli.test.ts, on a real process.
import path from 'node:path';
import t, { type Test } from 'tap';
import { ImportReport } from '../import/import-report.js';
import type { RecordSource, SourceRecord } from '../import/record-source.js';
import { importIntoStore } from '../import/store-import.js';
import { StoreUnavailableError } from '../store/errors.js';
import { ImportTransaction } from '../store/import-transaction.js';
import { ProfileStore, type StoreOptions } from '../store/profile-store.js';
import { captureLogger } from './helpers/builder-fixture.js';

const profile = (id: string, extra: Record<string, unknown> = {}) => ({ _id: id, name: `N${id}`, surname: `S${id}`, ...extra });

function openIn(t: Test, options: StoreOptions = {}): ProfileStore {
  const store = ProfileStore.open(path.join(t.testdir(), 'profiles.db'), options);
  t.teardown(() => store.close());
  return store;
}

function sourceOf(records: SourceRecord[], failAfter?: Error): RecordSource {
  return {
    positionName: 'line',
    async *records() {
      for (const record of records) yield record;
      if (failAfter) throw failAfter;
    },
  };
}

const lines = (values: unknown[]): SourceRecord[] => values.map((value, i) => ({ position: i + 1, value }));

t.test('good records go in under consecutive seqs, bad ones are reported by position and id and skipped', async (t) => {
  const store = openIn(t);
  store.put(profile('before'));
  const { logger, lines: log } = captureLogger();
  const report = new ImportReport(logger, 'line');
  const records: SourceRecord[] = [
    ...lines([profile('a'), { ...profile('b'), age: 7 }, profile('c', { vector: [1, 0] })]),
    { position: 4, id: null, problem: { code: 'TANDEM_ERR_BAD_JSON', message: 'not JSON' } },
    { position: 5, value: profile('a', { city: 'Oslo' }) },
  ];
  t.same(await importIntoStore(sourceOf(records), store, report), { imported: true });
  t.same(report.summary(false), {
    read: 5,
    written: 3,
    rejected: 2,
    rejectedByCode: { TANDEM_ERR_BAD_AGE: 1, TANDEM_ERR_BAD_JSON: 1 },
  });
  t.same(
    log.filter((l) => l.msg === 'record rejected').map((l) => [l.line, l._id, l.code]),
    [
      [2, 'b', 'TANDEM_ERR_BAD_AGE'],
      [4, null, 'TANDEM_ERR_BAD_JSON'],
    ],
  );
  t.equal(store.count(), 3, 'before, a and c');
  t.same(store.get('a'), profile('a', { city: 'Oslo' }), 'a later record of the same id replaces the earlier one');
  t.same(
    store.changesSince(1).map((c) => [c.seq, c.id]),
    [
      [3, 'c'],
      [4, 'a'],
    ],
    'one seq per written record, none for the rejected one',
  );
});

t.test('a failure midway rolls everything back: the store is as before', async (t) => {
  const store = openIn(t);
  store.put(profile('before'));
  const report = new ImportReport(captureLogger().logger, 'line');
  const broken = new Error('the input broke');
  await t.rejects(importIntoStore(sourceOf(lines([profile('a'), profile('b')]), broken), store, report), broken);
  t.equal(report.written, 2, 'both were written into the transaction');
  t.equal(store.count(), 1);
  t.equal(store.get('a'), null);
  t.equal(store.currentSeq(), 1, 'no seq of the import survives');
  store.put(profile('after'));
  t.equal(store.currentSeq(), 2, 'and the store takes writes again');
});

t.test('the disk full midway (SQLITE_FULL): StoreUnavailableError, nothing of the import kept', async (t) => {
  const store = openIn(t, { maxPages: 64 });
  store.put(profile('before'));
  const bio = 'x'.repeat(3000);
  const many = lines(Array.from({ length: 200 }, (_, i) => profile(`big-${i}`, { bio })));
  const err = await importIntoStore(sourceOf(many), store, new ImportReport(captureLogger().logger, 'line')).catch((e: unknown) => e);
  t.type(err, StoreUnavailableError);
  t.match(err, { sqliteCode: /^SQLITE_FULL/ });
  t.equal(store.count(), 1);
  t.same(store.get('before'), profile('before'));
});

t.test('--if-empty: nothing read or written when the store holds profiles; the count is taken under the lock', async (t) => {
  const store = openIn(t);
  let read = false;
  const source: RecordSource = {
    positionName: 'line',
    async *records() {
      read = true;
      yield { position: 1, value: profile('a') };
    },
  };
  const report = new ImportReport(captureLogger().logger, 'line');
  t.same(await importIntoStore(source, store, report, { ifEmpty: true }), { imported: true }, 'an empty store is seeded');
  read = false;
  t.same(await importIntoStore(source, store, report, { ifEmpty: true }), { imported: false, profilesInStore: 1 });
  t.notOk(read, 'the input is not read');
  t.equal(store.currentSeq(), 1);
  store.put(profile('x'));
  t.equal(store.currentSeq(), 2, 'the lock was released');
});

t.test('ImportTransaction: holds the write lock from begin to commit; rollback is idempotent, no write after the end', async (t) => {
  const store = openIn(t);
  const other = ProfileStore.open(store.path, { busyTimeoutMs: 10 });
  t.teardown(() => other.close());
  const transaction = ImportTransaction.begin(store);
  t.throws(() => other.put(profile('elsewhere')), StoreUnavailableError, 'another writer waits for the import');
  t.match(transaction.write({ name: 'no id' }), { ok: false, problems: [{ code: 'TANDEM_ERR_BAD_ID' }] });
  t.match(transaction.write(profile('a')), { ok: true, seq: 1, created: true });
  t.equal(other.count(), 0, 'not visible before the commit');
  transaction.commit();
  t.equal(other.count(), 1, 'visible after it');
  t.throws(() => transaction.write(profile('b')), /committed/);
  transaction.rollback();
  t.equal(other.count(), 1, 'a rollback after the commit changes nothing');
  other.put(profile('elsewhere'));
});
