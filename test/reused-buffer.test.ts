// The scratch buffer a filtered scan gathers vectors into: one allocation serves query after query,
// each view starts at the buffer's start and has exactly the length asked.
import t from 'tap';
import { ReusedBuffer } from '../roles/reused-buffer.js';

t.test('views of one reused buffer', async (t) => {
  const scratch = new ReusedBuffer();
  const wide = scratch.view(Float32Array, 1000);
  wide.fill(7);
  const narrow = scratch.view(Float32Array, 10);
  t.equal(narrow.length, 10, 'exactly the length asked, not the buffer');
  t.equal(narrow.byteOffset, 0, "at the buffer's start (the engine ignores an offset)");
  t.equal(narrow.buffer, wide.buffer, 'the same memory as the wider view before it: no allocation per query');
  const int8 = scratch.view(Int8Array, 4000);
  t.equal(int8.buffer, wide.buffer, 'other element types share it too');
  const grown = scratch.view(Float32Array, 5000);
  t.equal(grown.length, 5000, 'grows when a query needs more');
  t.equal(scratch.view(Float32Array, 100).buffer, grown.buffer, 'and keeps the grown buffer');
  const huge = scratch.view(Int8Array, 64 * 1024 * 1024);
  t.not(huge.buffer, grown.buffer, 'a view past the kept size gets a buffer of its own');
  t.equal(scratch.view(Int8Array, 10).buffer, grown.buffer, 'which is not kept');
});
