// --url mode against a real running system (startFixture: children, HTTP on port 0, a store with
// a write token): records go through POST /profiles/bulk and are read back over GET; a wrong token
// is fatal; a store locked by another writer is waited out line by line. For the answers a healthy
// service never gives on cue (503 with Retry-After, a request left hanging, a refused connection)
// a small front server on port 0 stands before the real one: it answers those itself, as the
// test says, and passes every other request through unchanged.
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { jsonLines } from './helpers/builder-fixture.js';
import { ADA_IN_FIXTURES } from './helpers/import-fixtures.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const DIR = path.join(FIXTURES, 'import');
const TOKEN = 'import-test-token';
// The fixtures' vectors have 4 numbers: the write API is told so (the index's own size does not matter here).
const fx = await startFixture(t, { count: 50, writeTokens: [TOKEN], vectorDims: 4 });
const tokenFile = path.join(fx.dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);

interface Run {
  code: number | null;
  stderr: string;
  log: Record<string, unknown>[];
}

async function runImport(t: Test, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) {
  const child = await spawnNode(t, PROGRAMS.importer, args, { env: { ...process.env, TANDEM_WRITE_TOKEN: '', ...env } });
  return { child, done: finished(child, timeoutMs).then((r): Run => ({ code: r.code, stderr: r.stderr, log: jsonLines(r.stderr) })) };
}

const run = async (t: Test, args: string[], env?: NodeJS.ProcessEnv) => (await runImport(t, args, env)).done;
const summaryOf = (r: Run) => r.log.find((l) => l.msg === 'import finished');
const fatalOf = (r: Run) => r.log.find((l) => l.msg === 'import failed');
const retries = (r: Run) => r.log.filter((l) => l.msg === 'sending again after a pause');
const exitsZero = (t: Test, r: Run) => t.equal(r.code, 0, 'exits 0', { stderr: r.stderr });

/** `count` fresh profiles as an NDJSON file, ids `${prefix}-0`, `${prefix}-1`, ... */
function profilesFile(t: Test, prefix: string, count: number): string {
  const file = path.join(t.testdir(), `${prefix}.jsonl`);
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ _id: `${prefix}-${i}`, name: 'Url', surname: `Import ${i}` }));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const statusOf = async (id: string) => (await fx.get(`/profiles/${id}`)).status;

/** 503 itself; no answer; the real answer cut off after its first `cutAfter` lines; or passed through. */
type Answer = { status: 503; retryAfter: string } | 'hang' | { cutAfter: number } | 'pass';

/** A front server: request n gets plan[n] (past the plan: passed through to the real service). */
async function startFront(t: Test, plan: Answer[] | ((n: number) => Answer), passDelayMs = 0) {
  const seen: { at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer(async (request, response) => {
    const n = seen.length;
    seen.push({ at: Date.now() });
    const answer = typeof plan === 'function' ? plan(n) : (plan[n] ?? 'pass');
    if (answer === 'hang') return; // no answer at all: the client's timeout must end it
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (typeof answer === 'object' && 'status' in answer) {
      response.writeHead(answer.status, { 'content-type': 'application/json', 'retry-after': answer.retryAfter });
      response.end(JSON.stringify({ statusCode: 503, code: 'TANDEM_ERR_OVERLOADED', message: 'busy, as the test asked' }));
      return;
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, passDelayMs));
    const passed = await fetch(fx.system.url + request.url, {
      method: request.method,
      headers: { authorization: String(request.headers.authorization), 'content-type': String(request.headers['content-type']) },
      body: Buffer.concat(chunks),
      signal: AbortSignal.timeout(10_000),
    });
    response.writeHead(passed.status, { 'content-type': passed.headers.get('content-type') ?? 'text/plain' });
    const text = await passed.text();
    inFlight--;
    if (typeof answer === 'object') {
      // The lines before the cut reach the client, then the connection is gone mid-answer.
      response.write(`${text.split('\n').slice(0, answer.cutAfter).join('\n')}\n`);
      setTimeout(() => response.socket?.destroy(), 100);
      return;
    }
    response.end(text);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    maxInFlight: () => maxInFlight,
  };
}

t.test('NDJSON through the bulk API: written and rejected as the service says, each by its line and id', async (t) => {
  const r = await run(t, [path.join(DIR, 'profiles.jsonl'), '--url', fx.system.url, '--token-file', tokenFile]);
  exitsZero(t, r);
  t.same(
    r.log.filter((l) => l.msg === 'record rejected').map((l) => [l.line, l._id, l.code]),
    [
      [2, null, 'TANDEM_ERR_BAD_JSON'],
      [4, 'nd-3', 'TANDEM_ERR_BAD_AGE'],
      [5, 'bad id', 'TANDEM_ERR_BAD_ID'],
      [7, null, 'TANDEM_ERR_BAD_PROFILE'],
      [8, 'nd-7', 'TANDEM_ERR_BAD_VECTOR'],
    ],
  );
  t.match(summaryOf(r), { read: 7, written: 2, rejected: 5, retried: 0 });
  const ada = await fx.get('/profiles/nd-1');
  t.same(ada.body, ADA_IN_FIXTURES);
  t.equal(await statusOf('nd-3'), 404);
});

t.test('the pickle through the bulk API, in batches of 2, 2 in flight: every good record as Python holds it', async (t) => {
  const r = await run(t, [path.join(DIR, 'profiles-p4.pickle'), '--url', fx.system.url, '--batch', '2', '--concurrency', '2'], {
    TANDEM_WRITE_TOKEN: TOKEN,
  });
  exitsZero(t, r);
  t.match(summaryOf(r), { read: 7, written: 5, rejected: 2, rejectedByCode: { TANDEM_ERR_BAD_AGE: 1, TANDEM_ERR_BAD_FIELD: 1 } });
  const expected = JSON.parse(readFileSync(path.join(DIR, 'profiles.expected.json'), 'utf8')) as { _id: string }[];
  for (const profile of expected) t.same((await fx.get(`/profiles/${profile._id}`)).body, profile, profile._id);
});

t.test("a wrong token is fatal: exit 1, the service's 403 on stderr, nothing written", async (t) => {
  const wrong = path.join(t.testdir(), 'wrong-token');
  writeFileSync(wrong, 'not-the-token\n');
  const r = await run(t, [path.join(DIR, 'profiles.csv'), '--url', fx.system.url, '--token-file', wrong]);
  t.equal(r.code, 1);
  t.match(fatalOf(r), { code: 'TANDEM_ERR_IMPORT_REFUSED' });
  t.match(r.stderr, /^import: the service refused the write token: 403 TANDEM_ERR_FORBIDDEN: .*\(0 records written before it stopped\)$/m);
  t.equal(await statusOf('csv-1'), 404);
});

t.test('503 with Retry-After: the batch is sent again, no sooner than the server asked, and counted as retried', async (t) => {
  const front = await startFront(t, [
    { status: 503, retryAfter: '1' },
    { status: 503, retryAfter: '1' },
  ]);
  const r = await run(t, [profilesFile(t, 'r503', 3), '--url', front.url, '--token-file', tokenFile]);
  exitsZero(t, r);
  t.match(summaryOf(r), { read: 3, written: 3, rejected: 0, retried: 3 });
  t.equal(front.seen.length, 3, 'two refusals, then through');
  const gaps = front.seen.slice(1).map((s, i) => s.at - front.seen[i]!.at);
  t.ok(
    gaps.every((gap) => gap >= 1000),
    `Retry-After: 1 honoured (gaps ${gaps.join(', ')} ms)`,
  );
  t.match(retries(r)[0], { records: 3, retry: 1, reason: /503 TANDEM_ERR_OVERLOADED/ });
  t.equal(await statusOf('r503-2'), 200);
});

t.test('an answer cut off midway: the lines it answered count as written, only the rest is sent again', async (t) => {
  const front = await startFront(t, [{ cutAfter: 3 }]);
  const r = await run(t, [profilesFile(t, 'cut', 5), '--url', front.url, '--token-file', tokenFile]);
  exitsZero(t, r);
  t.match(retries(r)[0], { records: 2, reason: /the answer stopped after 3 of 5 results/ });
  t.match(summaryOf(r), { read: 5, written: 5, rejected: 0, retried: 2 });
  t.equal(front.seen.length, 2);
  t.equal(await statusOf('cut-4'), 200);
});

t.test('a request with no answer: timed out, sent again, written', async (t) => {
  const front = await startFront(t, ['hang']);
  const r = await run(t, [profilesFile(t, 'hang', 3), '--url', front.url, '--token-file', tokenFile, '--timeout-ms', '500']);
  exitsZero(t, r);
  t.match(summaryOf(r), { written: 3, retried: 3 });
  t.equal(front.seen.length, 2);
  t.match(retries(r)[0], { reason: /no complete answer within 500 ms/ });
  t.equal(await statusOf('hang-0'), 200);
});

t.test("the service's store locked by another writer: the lines it could not write are sent again until it can", async (t) => {
  const lock = new Database(path.join(fx.dir, 'profiles.db'));
  t.teardown(() => lock.close());
  lock.exec('BEGIN IMMEDIATE');
  const started = await runImport(t, [profilesFile(t, 'locked', 3), '--url', fx.system.url, '--token-file', tokenFile]);
  const retried = () => jsonLines(started.child.stderr()).some((l) => l.msg === 'sending again after a pause');
  await waitFor('a retry of the lines the locked store refused', retried, 20_000);
  lock.exec('ROLLBACK');
  const r = await started.done;
  exitsZero(t, r);
  t.match(retries(r)[0], { records: 3, reason: /TANDEM_ERR_STORE_UNAVAILABLE/ });
  t.match(summaryOf(r), { written: 3, rejected: 0, retried: 3 });
  t.equal(await statusOf('locked-1'), 200);
});

t.test('retries run out: a fatal error that says what is left unwritten', async (t) => {
  const front = await startFront(t, () => ({ status: 503, retryAfter: '0' }));
  const r = await run(t, [profilesFile(t, 'gaveup', 4), '--url', front.url, '--token-file', tokenFile, '--retries', '2']);
  t.equal(r.code, 1);
  t.match(fatalOf(r), { code: 'TANDEM_ERR_IMPORT_GAVE_UP', written: 0, retried: 4 });
  t.match(r.stderr, /^import: 4 records not written after 2 retries: 503 TANDEM_ERR_OVERLOADED/m);
  t.equal(front.seen.length, 3, 'the first attempt and 2 retries');
});

t.test('a service that is not there: the connection refused, retried, then given up', async (t) => {
  const closed = http.createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  await once(closed, 'close');
  const r = await run(t, [profilesFile(t, 'refused', 1), '--url', `http://127.0.0.1:${port}`, '--token-file', tokenFile, '--retries', '1']);
  t.equal(r.code, 1);
  t.match(retries(r)[0], { reason: /the connection failed \(ECONNREFUSED\)/ });
  t.match(fatalOf(r), { code: 'TANDEM_ERR_IMPORT_GAVE_UP' });
});

t.test('at most --concurrency batches in flight', async (t) => {
  // Each batch is held 100 ms at the front, so batches the client sends together meet there.
  const front = await startFront(t, [], 100);
  const r = await run(t, [
    profilesFile(t, 'parallel', 100),
    '--url',
    front.url,
    '--token-file',
    tokenFile,
    '--batch',
    '10',
    '--concurrency',
    '3',
  ]);
  exitsZero(t, r);
  t.match(summaryOf(r), { written: 100, retried: 0 });
  t.equal(front.seen.length, 10);
  t.equal(front.maxInFlight(), 3, 'three at once, never more');
});

t.test('a malicious pickle with --url: refused by name before anything is sent', async (t) => {
  const front = await startFront(t, []);
  const r = await run(t, [path.join(DIR, 'evil-after-records-p4.pickle'), '--url', front.url, '--token-file', tokenFile]);
  t.equal(r.code, 1);
  t.match(fatalOf(r), { code: 'TANDEM_ERR_PICKLE_REFUSED', global: 'posix.system' });
  t.equal(front.seen.length, 0, 'not one request: the 1,500 good records before the payload were not sent');
  t.equal(await statusOf('before-0'), 404);
});
