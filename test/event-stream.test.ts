// The /inspect stream never waits for a client: a client that stops reading is dropped once its
// buffer passes the bound, while the others get every event, in order, and the sender never blocks.
import { Writable } from 'node:stream';
import t from 'tap';
import { EventStream, formatEvent } from '../inspect/event-stream.js';

/** A client that reads everything at once. */
function fastClient() {
  const received: string[] = [];
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      received.push(chunk);
      done();
    },
  });
  return { sink, received: () => received.join('') };
}

/** A client that never reads: its writes pile up in its buffer, as on a stalled socket. */
function stalledClient() {
  return new Writable({ highWaterMark: 1024, write() {} });
}

const events = (text: string) => [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));

t.test('a client that falls behind is dropped; the others get every event in order; send never blocks', async (t) => {
  const drops: number[] = [];
  const stream = new EventStream({ maxBufferedBytes: 64 * 1024, onDrop: (bytes) => drops.push(bytes) });
  const fast = fastClient();
  const stalled = stalledClient();
  let stalledClosed = false;
  stalled.once('close', () => {
    stalledClosed = true;
  });
  stream.add(fast.sink, formatEvent('snapshot', { n: -1 }));
  stream.add(stalled, formatEvent('snapshot', { n: -1 }));
  t.equal(stream.size, 2);

  const record = { ts: new Date(0).toISOString(), actor: 'slot-0', event: 'ACK', from: 'a', to: 'b', detail: 'x'.repeat(200) };
  let maxBuffered = 0;
  const started = process.hrtime.bigint();
  for (let n = 0; n < 5000; n++) {
    stream.send('trace', { ...record, n });
    maxBuffered = Math.max(maxBuffered, stalled.writableLength);
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(elapsedMs < 2000, `5,000 sends returned at once (${elapsedMs.toFixed(0)} ms), not waiting for the stalled client`);
  t.equal(stream.size, 1, 'the stalled client is gone');
  t.equal(stream.dropped, 1);
  t.equal(drops.length, 1, 'its drop is reported once');
  t.ok(maxBuffered <= 64 * 1024, `its buffer never passed the bound (${maxBuffered} bytes)`);
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(stalled.destroyed && stalledClosed, 'its connection is closed (its EventSource will reconnect)');

  await new Promise((resolve) => setImmediate(resolve));
  const got = events(fast.received());
  t.equal(got.length, 5001, 'the reading client got the snapshot and every record');
  t.same(
    got.slice(1).map((e) => e.data.n),
    Array.from({ length: 5000 }, (_, n) => n),
    'in order',
  );
  t.match(fast.received(), /^retry: \d+\n\nevent: snapshot\n/, 'told how soon to reconnect, then the snapshot first');
});

t.test('a client that leaves is forgotten; close ends every stream', async (t) => {
  const stream = new EventStream();
  const a = fastClient();
  const b = fastClient();
  let gone = 0;
  stream.add(a.sink, formatEvent('snapshot', {}), () => gone++);
  stream.add(b.sink, formatEvent('snapshot', {}), () => gone++);
  a.sink.destroy();
  await new Promise((resolve) => a.sink.once('close', resolve));
  t.equal(stream.size, 1);
  t.equal(gone, 1, 'its leaving is reported');
  stream.send('tick', { x: 1 });
  stream.close();
  await new Promise((resolve) => b.sink.once('finish', resolve));
  t.equal(stream.size, 0);
  t.same(
    events(b.received()).map((e) => e.event),
    ['snapshot', 'tick'],
  );
});
