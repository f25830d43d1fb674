// The builder validates every record: each bad one is skipped, counted by reason in the manifest
// and logged with its line and id; with no valid record at all nothing is published.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { captureLogger, silent, sourceWithBadRecords, visibleEntries } from './helpers/builder-fixture.js';

t.test('each bad record is skipped, counted by its reason and logged', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file, good } = sourceWithBadRecords(dir);
  const { logger, lines } = captureLogger();

  const manifest = await buildIndex({ source: file, dataDir, logger, threads: 2, batchSize: 64 });

  t.equal(manifest.skipped.total, 8);
  t.same(manifest.skipped.byReason, {
    invalid_json: 1,
    missing_id: 2,
    duplicate_id: 1,
    wrong_dimensions: 1,
    non_finite: 1,
    zero_vector: 1,
    vectorizer_error: 1,
  });
  t.equal(manifest.skipped.samples.length, 8);
  t.match(
    manifest.skipped.samples.find((s) => s.reason === 'duplicate_id'),
    { id: good[0]!._id },
  );

  const warns = lines.filter((l) => l.msg === 'record skipped');
  t.equal(warns.length, 8, 'one warn line per skipped record');
  t.ok(warns.every((w) => w.level === 40 && typeof w.reason === 'string' && 'id' in w && typeof w.line === 'number'));
});

t.test('no valid record: a clear error and nothing published', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'bad.jsonl');
  writeFileSync(file, '{oops\n{"name":"no id"}\n');
  await t.rejects(buildIndex({ source: file, dataDir, logger: silent }), {
    code: 'TANDEM_ERR_NO_VALID_RECORDS',
    message: /no valid record/,
  });
  t.same(visibleEntries(dataDir), [], 'no version, no LATEST, no temporary');
  await t.rejects(buildIndex({ source: path.join(dir, 'missing.jsonl'), dataDir, logger: silent }), {
    code: 'TANDEM_ERR_SOURCE_UNREADABLE',
  });
});
