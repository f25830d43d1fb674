// When to send a batch again: after the server's Retry-After if it gave one, else exponential
// backoff; jitter either way, so concurrent batches refused together do not return together.

export interface RetryPolicy {
  /** Retries per batch after its first attempt. */
  retries: number;
  /** Backoff before the first retry without Retry-After; doubles each time. */
  baseMs: number;
  maxMs: number;
  /** A Retry-After beyond this is waited only this long: the run must end within sight. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, baseMs: 250, maxMs: 10_000, maxRetryAfterMs: 60_000 };

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date starts with its weekday's name; Date.parse alone takes "-1" or "1.5" for a year.
  if (!/^[A-Za-z]{3}/.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The wait before retry number `attempt` (1 for the first retry). */
export function retryDelayMs(attempt: number, retryAfter: number | null, policy: RetryPolicy, random: () => number = Math.random): number {
  // Retry-After is a floor set by the server: jitter only adds to it.
  if (retryAfter !== null) return Math.min(retryAfter, policy.maxRetryAfterMs) + random() * policy.baseMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}
