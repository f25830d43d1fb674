// Per-second query aggregates for the /inspect chart: how many queries settled each second, how
// many failed, and their p50/p99 latency. Fed where every query outcome passes (the query router);
// memory is fixed: one reservoir for the current second and a ring of finished seconds.

export interface QuerySecond {
  /** Unix time in whole seconds: the second these queries settled in. */
  t: number;
  count: number;
  errors: number;
  /** Latency in milliseconds, from when the router took the query until its caller got the outcome; null when count is 0. */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface QuerySecondsOptions {
  /** Finished seconds kept (default 600: ten minutes). */
  keepSeconds?: number;
  /** Latency samples kept per second; beyond it a uniform sample (reservoir), so percentiles stay exact up to this rate. */
  reservoirSize?: number;
  random?: () => number;
}

export class QuerySeconds {
  private readonly ring: QuerySecond[] = [];
  private readonly keep: number;
  private readonly reservoir: Float64Array;
  private readonly random: () => number;
  private second = -1;
  private count = 0;
  private errors = 0;
  private max = 0;

  constructor(options: QuerySecondsOptions = {}) {
    this.keep = options.keepSeconds ?? 600;
    this.reservoir = new Float64Array(options.reservoirSize ?? 1024);
    this.random = options.random ?? Math.random;
  }

  /** One settled query: `ms` from submit to outcome, `ok` false for any error (shed, timeout, no answerer...). */
  record(ms: number, ok: boolean, nowMs = Date.now()): void {
    this.roll(nowMs);
    const size = this.reservoir.length;
    if (this.count < size) this.reservoir[this.count] = ms;
    else {
      // Algorithm R: each of the count+1 samples so far stays with probability size/(count+1).
      const slot = Math.floor(this.random() * (this.count + 1));
      if (slot < size) this.reservoir[slot] = ms;
    }
    this.count++;
    if (!ok) this.errors++;
    if (ms > this.max) this.max = ms;
  }

  /** Finished seconds after `afterT` (all kept ones by default), oldest first; seconds without queries included. */
  finished(nowMs = Date.now(), afterT = Number.NEGATIVE_INFINITY): QuerySecond[] {
    this.roll(nowMs);
    return this.ring.filter((s) => s.t > afterT);
  }

  /** Closes every second before the one `nowMs` falls in; an idle gap becomes empty seconds (at most `keep`). */
  private roll(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    // A clock stepping back counts into the current second rather than rewriting finished ones.
    if (now <= this.second) return;
    if (this.second >= 0) {
      this.push(this.close(this.second));
      for (let t = Math.max(this.second + 1, now - this.keep); t < now; t++) this.push(empty(t));
    }
    this.second = now;
    this.count = 0;
    this.errors = 0;
    this.max = 0;
  }

  private close(t: number): QuerySecond {
    if (this.count === 0) return empty(t);
    const samples = this.reservoir.slice(0, Math.min(this.count, this.reservoir.length)).sort();
    return { t, count: this.count, errors: this.errors, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: this.max };
  }

  private push(second: QuerySecond): void {
    this.ring.push(second);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
  }
}

const empty = (t: number): QuerySecond => ({ t, count: 0, errors: 0, p50: null, p99: null, max: null });

/** Nearest-rank quantile of sorted samples. */
function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
