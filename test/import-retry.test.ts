// When --url sends a batch again: Retry-After read as the server means it (seconds or a date),
// never waited less than it says, capped; without it exponential backoff whose jitter stays in
// its band. The retries against a real service are import-url.test.ts.
import t from 'tap';
import { bulkEndpoint } from '../import/bulk-import.js';
import { DEFAULT_RETRY_POLICY, retryAfterMs, retryDelayMs } from '../import/retry.js';

const policy = { retries: 5, baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };

t.test('Retry-After: delta-seconds or an HTTP date; anything else is no answer', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(retryAfterMs('1', now), 1000);
  t.equal(retryAfterMs(' 120 ', now), 120_000);
  t.equal(retryAfterMs('0', now), 0);
  t.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now), 3000);
  t.equal(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now), 0, 'a date gone by: at once');
  t.equal(retryAfterMs(null, now), null);
  t.equal(retryAfterMs('soon', now), null);
  t.equal(retryAfterMs('-1', now), null);
  t.equal(retryAfterMs('1.5', now), null, 'delta-seconds are whole');
});

t.test('with Retry-After: never sooner than the server asked, never past the cap, jitter only adds', async (t) => {
  t.equal(
    retryDelayMs(1, 2000, policy, () => 0),
    2000,
  );
  t.equal(
    retryDelayMs(1, 2000, policy, () => 0.999),
    2000 + 0.999 * policy.baseMs,
  );
  t.equal(
    retryDelayMs(4, 0, policy, () => 0),
    0,
    'Retry-After: 0 is at once, whatever the attempt',
  );
  t.equal(
    retryDelayMs(1, 3_600_000, policy, () => 0),
    policy.maxRetryAfterMs,
    'an hour is capped',
  );
});

t.test('without it: exponential, capped, jittered within the upper half of each step', async (t) => {
  const bands = [1, 2, 3, 4, 5, 6].map((attempt) => [
    retryDelayMs(attempt, null, policy, () => 0),
    retryDelayMs(attempt, null, policy, () => 1),
  ]);
  t.same(bands, [
    [50, 100],
    [100, 200],
    [200, 400],
    [400, 800],
    [500, 1000],
    [500, 1000],
  ]);
  const total = [1, 2, 3, 4, 5].reduce((sum, attempt) => sum + retryDelayMs(attempt, null, DEFAULT_RETRY_POLICY, () => 1), 0);
  t.ok(total <= 8000, `the default 5 retries wait at most ${total} ms in all without Retry-After`);
});

t.test('the bulk endpoint keeps a path prefix of --url', async (t) => {
  t.equal(bulkEndpoint('http://127.0.0.1:5000').href, 'http://127.0.0.1:5000/profiles/bulk');
  t.equal(bulkEndpoint('http://127.0.0.1:5000/').href, 'http://127.0.0.1:5000/profiles/bulk');
  t.equal(bulkEndpoint('https://example.test/tandem').href, 'https://example.test/tandem/profiles/bulk');
});
