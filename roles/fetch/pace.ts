// A long sequential read (a fetch's checksum pass: 1.26 GB at 1M profiles) streams through the
// caches and the memory bus the answerer's graph walks depend on; at low CPU priority it still
// raised the answerer's p99 while it ran (BENCHMARKS.md). Spread over time, the same bytes
// cost it next to nothing. A Pace keeps the bytes done so far from getting ahead of a rate.
import { setTimeout as sleep } from 'node:timers/promises';

export class Pace {
  private done = 0;
  private readonly start: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be > 0, got ${bytesPerSecond}`);
    this.start = now();
  }

  /** Call after each chunk; resolves once the chunk is no longer ahead of the rate. */
  async consumed(bytes: number): Promise<void> {
    this.done += bytes;
    const aheadMs = (this.done / this.bytesPerSecond) * 1000 - (this.now() - this.start);
    if (aheadMs >= 1) await this.wait(aheadMs);
  }
}

/** A fresh pace per file at `bytesPerSecond`; none when 0 (unpaced). */
export function pacePerFile(bytesPerSecond: number): () => Pace | undefined {
  return () => (bytesPerSecond > 0 ? new Pace(bytesPerSecond) : undefined);
}
