import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import {
  iteratePickleRecords,
  PICKLE_ALLOWLIST,
  PICKLE_ERROR_CODES,
  PickleError,
  PickleRefusedError,
  readPickle,
} from '../import/pickle.js';
import { FIXTURES } from './helpers/paths.js';
import { differs } from './helpers/pickle-expect.js';
import { writePickle } from './helpers/pickle-writer.js';

const DIR = path.join(FIXTURES, 'pickle');
type Entry =
  | { expect: 'values'; json: string; protocol?: number }
  | { expect: 'refused'; global: string; offset?: number }
  | { expect: 'error'; code: string; offset?: number; message?: string };
const manifest = JSON.parse(readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as Record<string, Entry>;
const bytesOf = (name: string) => readFileSync(path.join(DIR, `${name}.pickle`));
const jsonOf = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));

// Where `touch "$TANDEM_PICKLE_SENTINEL"`, the payload of every malicious fixture, would write.
const tmp = mkdtempSync(path.join(tmpdir(), 'tandem-pickle-'));
const sentinel = path.join(tmp, 'pwned');
process.env.TANDEM_PICKLE_SENTINEL = sentinel;
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

// Python with numpy writes pickles at test time when it is there; without it those tests skip.
const SCRIPT = path.join(DIR, 'make-fixtures.py');
const python = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const needsPython = { skip: python ? false : 'python3 with numpy is not installed' };
function runPython(t: Test, args: string[]): void {
  const run = spawnSync('python3', [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 0, `make-fixtures.py ${args.join(' ')} ${run.stderr}`);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

t.test('the manifest names every fixture file, and each file exists', async (t) => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.pickle'));
  t.same(files.map((f) => f.slice(0, -'.pickle'.length)).sort(), Object.keys(manifest).sort());
  t.ok(files.length >= 50, `${files.length} fixtures`);
});

t.test('every readable fixture decodes to exactly what Python holds, whole and record by record', async (t) => {
  for (const [name, entry] of Object.entries(manifest)) {
    if (entry.expect !== 'values') continue;
    const expected = jsonOf(entry.json);
    const bytes = bytesOf(name);
    t.equal(differs(readPickle(bytes), expected), null, `${name}: readPickle`);
    t.equal(differs([...iteratePickleRecords(bytes)], expected), null, `${name}: iteratePickleRecords`);
  }
});

t.test('records decode to the same values in protocols 2 to 5 (spelled out, not only from JSON)', async (t) => {
  for (const p of [2, 3, 4, 5]) {
    const [a, b, c] = readPickle(bytesOf(`records-p${p}`)) as Array<Record<string, unknown>>;
    if (!a || !b || !c) throw new Error('three records expected');
    t.match(a, { _id: 'p-001', name: '李', surname: '小龍', age: 33, city: 'Zürich' }, `p${p}`);
    t.same(a.vector, [0.5, -1.25, 3, 1e-300, -0]);
    t.ok(Object.is((a.vector as number[])[4], -0), '-0.0 stays -0');
    t.equal(b._id, '5f1d7f3a9c1e4b2a8d0e6f11', 'a bson ObjectId becomes its 24 hex digits');
    t.equal(b.name, 'Zoë 😀');
    t.ok(b.vector instanceof Float32Array);
    t.same([...(b.vector as Float32Array)], [1.5, -2.25, Math.fround(0.1)]);
    t.equal(b.big, 2n ** 70n);
    t.equal(b.neg_big, -(2n ** 64n) - 1n);
    t.same([b.neg, b.mid, b.mid2], [-7, 70000, 300]);
    t.same([...(b.blob as Uint8Array)], [0, 255, 97, 98]);
    t.same(b.ratings, { 1: 'one', 22: 'twenty-two' }, 'int keys become their decimal strings');
    t.same([...(b.tags as Set<string>)].sort(), ['a', 'b']);
    t.ok(c.vector instanceof Float64Array);
    t.same([...(c.vector as Float64Array)], [0.25, -0.5, 1e-310, 2]);
    t.same([c.age, c.weight, c.height, c.active, c.level], [36, 61.5, 1.68, true, 200], 'numpy scalars become JS numbers');
    t.equal(c.interests, a.interests, 'a list shared by two records stays one list (memo GET)');
    t.ok(Object.hasOwn(c, '__proto__'), 'a "__proto__" key is an own property');
    t.equal(Object.getPrototypeOf(c), Object.prototype, 'and does not change the prototype');
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  }
});

t.test('numpy vectors: both byte orders, both widths, numpy 1.x and 2.x module names', async (t) => {
  for (const p of [2, 3, 4, 5]) {
    const rows = readPickle(bytesOf(`vectors-p${p}`)) as Array<{ _id: string; vector: unknown }>;
    const types = Object.fromEntries(rows.map((r) => [r._id, (r.vector as object).constructor.name]));
    t.same(types, {
      'v-list': 'Array',
      'v-f4-le': 'Float32Array',
      'v-f8-le': 'Float64Array',
      'v-f4-be': 'Float32Array',
      'v-f8-be': 'Float64Array',
      'v-empty': 'Float32Array',
      'v-special': 'Float32Array',
    });
    t.same([...(rows[6]!.vector as Float32Array)], [Infinity, -Infinity, -0, Math.fround(3.4e38)]);
  }
  for (const p of [2, 4, 5]) t.ok(bytesOf(`numpy1-names-p${p}`).includes('numpy.core.'), `numpy1-names-p${p} uses numpy.core names`);
});

t.test('every malicious pickle is refused with the exact global it named, and nothing runs', async (t) => {
  let count = 0;
  for (const [name, entry] of Object.entries(manifest)) {
    if (entry.expect !== 'refused') continue;
    count++;
    for (const read of [readPickle, (b: Buffer) => [...iteratePickleRecords(b)]]) {
      const err = thrown(() => read(bytesOf(name)));
      t.ok(err instanceof PickleRefusedError, `${name}: a PickleRefusedError`);
      if (!(err instanceof PickleRefusedError)) continue;
      t.equal(err.code, PICKLE_ERROR_CODES.refused, `${name}: code`);
      t.equal(err.global, entry.global, `${name}: names ${entry.global}`);
      t.ok(err.message.includes(entry.global), `${name}: the message names it too: ${err.message}`);
      if (entry.offset !== undefined) t.equal(err.offset, entry.offset, `${name}: offset`);
    }
  }
  t.ok(count >= 9, `${count} malicious fixtures`);
  t.notOk(existsSync(sentinel), 'the file the payloads would have created does not exist');
});

t.test('every malformed or unsupported pickle fails with its code and byte offset', async (t) => {
  for (const [name, entry] of Object.entries(manifest)) {
    if (entry.expect !== 'error') continue;
    const err = thrown(() => readPickle(bytesOf(name)));
    t.ok(err instanceof PickleError && !(err instanceof PickleRefusedError), `${name}: a PickleError`);
    if (!(err instanceof PickleError)) continue;
    t.equal(err.code, entry.code, `${name}: ${err.message}`);
    t.ok(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= bytesOf(name).length, `${name}: offset ${err.offset}`);
    t.ok(err.message.includes(`(pickle byte ${err.offset})`), `${name}: the message carries the offset`);
    if (entry.offset !== undefined) t.equal(err.offset, entry.offset, `${name}: offset`);
    if (entry.message !== undefined) t.ok(err.message.includes(entry.message), `${name}: "${err.message}" says "${entry.message}"`);
  }
});

t.test('the error codes are one small table of stable strings', async (t) => {
  t.same(Object.values(PICKLE_ERROR_CODES).sort(), [
    'TANDEM_ERR_PICKLE_INVALID',
    'TANDEM_ERR_PICKLE_REFUSED',
    'TANDEM_ERR_PICKLE_TRUNCATED',
    'TANDEM_ERR_PICKLE_UNSUPPORTED',
  ]);
  t.ok(PICKLE_ALLOWLIST.includes('bson.objectid.ObjectId'));
  t.notOk(PICKLE_ALLOWLIST.some((g) => /^(os|posix|subprocess|sys|importlib)\.|\.(eval|exec|getattr|__import__|system)$/.test(g)));
});

t.test('the record iterator: a top-level list only, and not one that holds itself', async (t) => {
  const selfRef = Buffer.from([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]); // l = []; l.append(l)
  const inner = readPickle(selfRef) as unknown[];
  t.equal(inner[0], inner, 'readPickle keeps the cycle');
  t.match(
    thrown(() => [...iteratePickleRecords(selfRef)]),
    { code: PICKLE_ERROR_CODES.unsupported, message: /refers to itself/ },
  );
  const dict = Buffer.from([0x80, 4, 0x7d, 0x94, 0x2e]);
  t.same(readPickle(dict), {});
  t.match(
    thrown(() => [...iteratePickleRecords(dict)]),
    { code: PICKLE_ERROR_CODES.unsupported, message: /not a list/ },
  );
  const records = iteratePickleRecords(bytesOf('records-p4'));
  t.match(records.next().value, { _id: 'p-001' }, 'records come one at a time');
});

t.test('hostile shapes: amplification by reference, names that would forge a log line', async (t) => {
  // 64 KiB of bytes stored once, then bytearray(those bytes) 2,000 times: 128 MiB from a 90 KiB pickle.
  const data = Buffer.alloc(65_536, 0x41);
  const head = Buffer.concat([Buffer.from([0x80, 4, 0x8e]), Buffer.from(new BigUint64Array([65_536n]).buffer), data]);
  const store = Buffer.from([0x94, 0x8c, 8, ...Buffer.from('builtins'), 0x8c, 9, ...Buffer.from('bytearray'), 0x93, 0x94]);
  const call = Buffer.from([0x68, 1, 0x68, 0, 0x85, 0x52, 0x30]); // fn, data, TUPLE1, REDUCE, POP
  const amplify = Buffer.concat([head, store, ...Array.from({ length: 2000 }, () => call), Buffer.from([0x4e, 0x2e])]);
  t.match(
    thrown(() => readPickle(amplify)),
    { code: PICKLE_ERROR_CODES.invalid, message: /outgrow the pickle/ },
  );
  const forged = Buffer.from([0x80, 2, 0x63, ...Buffer.from('os\nsystem\rINFO all good'), 0x0a, 0x4e, 0x2e]);
  const err = thrown(() => readPickle(forged));
  t.match(err, { code: PICKLE_ERROR_CODES.refused, global: 'os.system\rINFO all good' });
  t.notOk(String((err as Error).message).includes('\r'), 'the message escapes the carriage return');
});

t.test('a decoder that never crashes, hangs or throws anything but a PickleError on damaged input', async (t) => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const sources = Object.entries(manifest)
    .filter(([, e]) => e.expect === 'values')
    .map(([name]) => bytesOf(name));
  const tally = { decoded: 0, rejected: 0 };
  for (let i = 0; i < 3000; i++) {
    const src = Buffer.from(sources[rand(sources.length)]!);
    const mode = rand(3);
    let bytes: Buffer;
    if (mode === 0) bytes = src.subarray(0, rand(src.length));
    else if (mode === 1) for (let k = 0, n = 1 + rand(4); k < n; k++) src[rand(src.length)] = rand(256);
    else src.writeUInt32LE(rand(2) ? 0xffffffff : rand(1 << 16), rand(src.length - 4));
    bytes ??= src;
    for (const read of [readPickle, (b: Buffer) => [...iteratePickleRecords(b)]]) {
      const err = thrown(() => read(bytes));
      if (err === undefined) tally.decoded++;
      else if (err instanceof PickleError) tally.rejected++;
      else t.fail(`damaged input #${i} threw ${String(err)}`);
    }
  }
  t.ok(tally.rejected > 1000, `${tally.rejected} rejected, ${tally.decoded} still decoded`);
});

t.test('10,000 random records Python pickled in every protocol read as Python reads them', needsPython, async (t) => {
  const seed = Date.now() % 100_000;
  const dir = path.join(tmp, 'random');
  runPython(t, ['--random', dir, '--seed', String(seed), '--count', '10000', '--dims', '32']);
  const expected = JSON.parse(readFileSync(path.join(dir, 'random.json'), 'utf8'));
  for (const p of [2, 3, 4, 5]) {
    const bytes = readFileSync(path.join(dir, `random-p${p}.pickle`));
    const whole = readPickle(bytes) as unknown[];
    t.equal(whole.length, 10_000);
    t.equal(differs(whole, expected), null, `protocol ${p}, seed ${seed}: readPickle`);
    t.equal(differs([...iteratePickleRecords(bytes)], expected), null, `protocol ${p}, seed ${seed}: iteratePickleRecords`);
  }
});

t.test('a 10,000-record pickle of 64-d float32 vectors decodes whole and record by record', async (t) => {
  let seed = 7;
  const next = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const records = Array.from({ length: 10_000 }, (_, i) => ({
    _id: `p-${i}`,
    name: `名前 ${i} 🎉`,
    surname: i % 7 === 0 ? '' : 'Surname',
    age: 18 + (i % 80),
    vector: i % 10 === 0 ? Array.from({ length: 64 }, next) : Float32Array.from({ length: 64 }, next),
  }));
  const bytes = writePickle(records);
  const started = performance.now();
  const whole = readPickle(bytes) as Array<Record<string, unknown>>;
  t.comment(`${bytes.length} bytes read in ${Math.round(performance.now() - started)} ms`);
  let streamed = 0;
  for (const record of iteratePickleRecords(bytes)) {
    const want = records[streamed]!;
    const got = record as Record<string, unknown>;
    const vector = got.vector as ArrayLike<number>;
    const ok =
      got._id === want._id &&
      got.name === want.name &&
      got.age === want.age &&
      vector.constructor === want.vector.constructor &&
      Array.from(want.vector).every((x, i) => Object.is(vector[i], x));
    if (!ok) t.fail(`record ${streamed} differs`);
    streamed++;
  }
  t.equal(streamed, 10_000, 'every record streamed');
  t.equal(whole.length, 10_000);
  t.same(whole[9_999], { ...records[9_999] }, 'the last record whole');
});

t.test('Python reads the test writer pickles as tandem does (so the 10,000-record test is honest)', needsPython, async (t) => {
  const value = [{ _id: 'x', v: Float32Array.from([1.5, -2]), big: 2n ** 80n, n: -70000, f: 0.1, list: [null, true, 'é'] }];
  const file = path.join(tmp, 'writer.pickle');
  writeFileSync(file, writePickle(value));
  runPython(t, ['--tag', file, `${file}.json`]);
  const python = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
  t.equal(differs(readPickle(readFileSync(file)), python), null);
});
