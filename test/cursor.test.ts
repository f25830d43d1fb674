// Page cursors keep their bytes: the signature is HMAC-SHA256 as createHmac computes it and the
// fingerprint sha256 as createHash does, for any secret length (a key over one block is hashed
// first), so cursors issued by an earlier build with the same secret still check.
import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { CursorSigner, queryFingerprint } from '../api/cursor.js';

const page = { version: 'v20261206T164343156Z', seq: 7, mark: { distance: 0.25, ids: ['a', 'b"c'], served: 10 } };

t.test('the signature is HMAC-SHA256 of the body for every secret length', async (t) => {
  for (const secret of ['k', 'x'.repeat(32), 'y'.repeat(63), 'z'.repeat(64), 'w'.repeat(65), 'é€'.repeat(40)]) {
    const cursor = new CursorSigner(secret).issue(page, 'fingerprint');
    const [body, signature] = cursor.split('.');
    t.equal(signature, createHmac('sha256', secret).update(body!).digest('base64url'), `secret of ${Buffer.byteLength(secret)} bytes`);
    t.same(new CursorSigner(secret).check(cursor, 'fingerprint'), { ok: true, page }, 'and it checks');
  }
});

t.test('a cursor signed with another secret or changed does not check', async (t) => {
  const cursor = new CursorSigner('one secret').issue(page, 'fp');
  t.match(new CursorSigner('another secret').check(cursor, 'fp'), { ok: false, code: 'TANDEM_ERR_BAD_CURSOR' });
  t.match(new CursorSigner('one secret').check(`x${cursor}`, 'fp'), { ok: false, code: 'TANDEM_ERR_BAD_CURSOR' });
  t.match(new CursorSigner('one secret').check(cursor, 'other'), { ok: false, code: 'TANDEM_ERR_CURSOR_MISMATCH' });
});

t.test('the fingerprint is the first 22 characters of sha256 over the JSON of subject and filter', async (t) => {
  const subject = { id: '5968fa1544570fd02f89c896' };
  const filter = { ageMin: 25, genders: ['female'] };
  for (const f of [undefined, filter]) {
    const expected = createHash('sha256')
      .update(JSON.stringify([subject, f ?? {}]))
      .digest('base64url')
      .slice(0, 22);
    t.equal(queryFingerprint(subject, f), expected);
  }
});
