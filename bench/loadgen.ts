// A closed-loop HTTP/1.1 keep-alive load generator that records every request (send time, latency,
// status), for the swap benchmark: wrk reports only totals, and a swap is a few hundred ms.
// Run as its own process: node dist/bench/loadgen.js --port P --ids F --connections C --seconds S --out F.
// A request fails when it gets a non-200 status or its connection errors or closes before the
// reply (status 0); a refused connect counts as one failed request too. Idle keep-alive sockets the
// server closes are reopened without counting anything.
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    ids: { type: 'string' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string' },
    n: { type: 'string', default: '10' },
    'timeout-ms': { type: 'string', default: '10000' },
  },
});
// A request unanswered this long fails (status 1) and its connection is dropped and reopened, as
// a client with a timeout would do (wrk's --timeout): a hung connection must not silently shrink the load.
const timeoutMs = Number(values['timeout-ms']);
const port = Number(values.port);
const ids = readFileSync(values.ids!, 'utf8').split('\n').filter(Boolean);
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const n = values.n;

let cap = 1 << 20;
let sent = new Float64Array(cap);
let latency = new Float32Array(cap);
let status = new Uint16Array(cap);
let count = 0;
function record(t: number, ms: number, code: number): void {
  if (count === cap) {
    cap *= 2;
    const s = new Float64Array(cap),
      l = new Float32Array(cap),
      c = new Uint16Array(cap);
    s.set(sent);
    l.set(latency);
    c.set(status);
    sent = s;
    latency = l;
    status = c;
  }
  sent[count] = t;
  latency[count] = ms;
  status[count] = code;
  count++;
}

const origin = performance.timeOrigin;
const startedAt = performance.now();
const deadline = startedAt + seconds * 1000;
let deadline2 = deadline;
let stopping = false;
let open = 0;
// Requests still unanswered when the run is forced to end count as failed (status 1: no answer).
const pending = new Set<{ inFlight: boolean; sentAt: number }>();

function request(): Buffer {
  const id = ids[Math.floor(Math.random() * ids.length)]!;
  return Buffer.from(`GET /recommend/${id}/${n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
}

function connection(): void {
  if (stopping) return;
  open++;
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  const state = { inFlight: false, sentAt: 0 };
  pending.add(state);
  let buffer: Buffer = Buffer.alloc(0);
  let connected = false;
  let timer: NodeJS.Timeout | undefined;
  const send = () => {
    if (performance.now() >= deadline2) {
      stopping = true;
      socket.end();
      return;
    }
    state.inFlight = true;
    state.sentAt = performance.now();
    socket.write(request());
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!state.inFlight) return;
      record(state.sentAt, performance.now() - state.sentAt, 1);
      state.inFlight = false;
      socket.destroy();
    }, timeoutMs);
  };
  socket.on('connect', () => {
    connected = true;
    send();
  });
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      const head = buffer.indexOf('\r\n\r\n');
      if (head < 0) return;
      const header = buffer.subarray(0, head).toString('latin1');
      const code = Number(header.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      const length = m ? Number(m[1]) : 0;
      if (buffer.length < head + 4 + length) return;
      buffer = buffer.subarray(head + 4 + length);
      const now = performance.now();
      if (state.inFlight) record(state.sentAt, now - state.sentAt, code);
      state.inFlight = false;
      clearTimeout(timer);
      if (/\r\nconnection:\s*close/i.test(header)) {
        socket.destroy();
        return;
      }
      send();
    }
  });
  const lost = () => {
    clearTimeout(timer);
    open--;
    pending.delete(state);
    if (state.inFlight) record(state.sentAt, performance.now() - state.sentAt, 0);
    else if (!connected && !stopping) record(performance.now(), 0, 0);
    state.inFlight = false;
    if (!stopping && performance.now() < deadline2) setTimeout(connection, connected ? 0 : 10);
    else maybeFinish();
  };
  socket.on('error', () => {});
  socket.on('close', lost);
}

let finished = false;
function maybeFinish(): void {
  if (open > 0 || finished) return;
  finished = true;
  for (const state of pending) if (state.inFlight) record(state.sentAt, performance.now() - state.sentAt, 1);
  const buf = Buffer.alloc(count * 24);
  for (let i = 0; i < count; i++) {
    buf.writeDoubleLE(origin + sent[i]!, i * 24);
    buf.writeDoubleLE(latency[i]!, i * 24 + 8);
    buf.writeDoubleLE(status[i]!, i * 24 + 16);
  }
  if (values.out) writeFileSync(values.out, buf);
  let failed = 0;
  for (let i = 0; i < count; i++) if (status[i] !== 200) failed++;
  process.stdout.write(`${JSON.stringify({ requests: count, failed, seconds: (performance.now() - startedAt) / 1000 })}\n`);
  process.exit(0);
}

for (let i = 0; i < connections; i++) connection();
// Never outlive the deadline by much, whatever the server does.
function forceEnd(): void {
  stopping = true;
  open = 0;
  maybeFinish();
}
let force = setTimeout(forceEnd, seconds * 1000 + 15_000);
// SIGTERM: stop now (each connection finishes its request in flight; 10 s at most).
process.on('SIGTERM', () => {
  deadline2 = performance.now();
  clearTimeout(force);
  force = setTimeout(forceEnd, 10_000);
});
