// A fetch's checksums are computed by a helper process at low priority: same hashes, same error
// codes, the priority really applied, and no helper outlives the child that started it.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { IndexFormatError } from '../index-version/errors.js';
import { hashFilesHere } from '../index-version/verify.js';
import { hashFilesAtNiceness } from '../roles/fetch/low-priority-checksums.js';
import { nicenessOf } from './helpers/niceness.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { finished, isAlive, spawnNode, spawnProcess } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The pid of the helper hashing `file`, found by its command line. */
function helperPidFor(file: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg.endsWith('checksum-helper.js')) && argv.includes(file)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** A FIFO nobody writes to yet: a helper hashing it blocks until the test writes. */
async function fifo(t: Test): Promise<string> {
  const file = path.join(t.testdir(), 'never-written');
  const made = await finished(await spawnProcess(t, 'mkfifo', [file]));
  if (made.code !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  return file;
}

t.test('the helper returns the same hashes as hashing in this process, in order', async (t) => {
  const dir = t.testdir();
  const contents = [randomBytes(3 << 20), Buffer.alloc(0), randomBytes(17)];
  const files = contents.map((bytes, i) => {
    const file = path.join(dir, `f${i}`);
    writeFileSync(file, bytes);
    return file;
  });
  const expected = contents.map(sha256);
  t.same(await hashFilesAtNiceness(10)(files), expected);
  t.same(await hashFilesHere(files), expected);
  t.equal(hashFilesAtNiceness(0), hashFilesHere, 'niceness 0 hashes in this process');
});

t.test('a paced pass reads no faster than asked, in the helper and in this process', async (t) => {
  const dir = t.testdir();
  const bytes = randomBytes(3 << 20);
  const file = path.join(dir, 'three-mib');
  writeFileSync(file, bytes);
  const rate = 12 << 20; // 3 MiB at 12 MiB/s: no less than a quarter of a second
  for (const [where, hashFiles] of [
    ['helper', hashFilesAtNiceness(10, rate)],
    ['in-process', hashFilesAtNiceness(0, rate)],
  ] as const) {
    const started = performance.now();
    t.same(await hashFiles([file]), [sha256(bytes)], `${where}: the same hash`);
    const tookMs = performance.now() - started;
    // A lower bound only: the pace makes it at least this slow; a slow machine only adds to it.
    t.ok(tookMs >= 240, `${where}: took ${tookMs.toFixed(0)} ms, at least the 250 ms the rate allows (less 1 ms per chunk)`);
  }
});

t.test('the supervisor refuses a verify rate that is not a number >= 0', async (t) => {
  const main = PROGRAMS.service;
  for (const bad of ['-1', 'fast', '']) {
    const run = await finished(await spawnNode(t, main, ['--verify-rate', bad, '--port', '0', '--data', t.testdir()]));
    t.not(run.code, 0, `--verify-rate ${JSON.stringify(bad)}: a non-zero exit`);
    t.match(run.stderr, /--verify-rate must be a number of MB\/s >= 0/, 'and a message that names the option');
  }
});

t.test('a file the helper cannot read is FILE_MISSING, as in this process', async (t) => {
  const dir = t.testdir({ present: 'x' });
  const files = [path.join(dir, 'present'), path.join(dir, 'absent')];
  for (const hashFiles of [hashFilesAtNiceness(10), hashFilesHere]) {
    const err = await hashFiles(files).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof IndexFormatError, 'an IndexFormatError');
    t.equal((err as IndexFormatError).code, 'FILE_MISSING');
    t.match((err as Error).message, 'absent');
  }
});

t.test('the helper runs at the niceness asked for', async (t) => {
  const file = await fifo(t);
  const hashing = hashFilesAtNiceness(13)([file]);
  // Blocked on the FIFO until we write, so there is time to look at it.
  const pid = await waitFor('the checksum helper', () => helperPidFor(file), 5000);
  await waitFor('niceness 13', () => nicenessOf(pid) === 13, 5000);
  t.equal(nicenessOf(pid), 13);
  const writer = openSync(file, 'w');
  writeSync(writer, 'abc');
  closeSync(writer);
  t.same(await hashing, [sha256(Buffer.from('abc'))]);
});

t.test('a helper whose parent is killed exits too', async (t) => {
  const file = await fifo(t);
  const parent = await spawnNode(t, path.join(FIXTURES, 'hash-at-niceness.mjs'), ['10', file]);
  const helper = await waitFor('the checksum helper', () => helperPidFor(file), 5000);
  t.teardown(() => {
    if (isAlive(helper)) process.kill(helper, 'SIGKILL');
  });
  parent.child.kill('SIGKILL');
  await waitFor('the orphaned helper to exit', () => !isAlive(helper), 5000);
  t.pass('the helper exited after its parent was killed');
});
