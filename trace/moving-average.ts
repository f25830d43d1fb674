// Per-minute moving averages over a stream of timed values (query latency, fetch and swap
// durations): `tandem stats` prints them, and the inspect page can read the live ones. Memory is a
// ring of 2 x window per-minute sums and counts, whatever the length of the input.

export const STAT_KINDS = ['query', 'fetch', 'swap'] as const;
export type StatKind = (typeof STAT_KINDS)[number];

export const MINUTE_MS = 60_000;

/** The window ending with one minute: average and number of values per kind (null: none in the window). */
export interface MinuteAverages {
  /** The minute's start, ms since the epoch (UTC). */
  minute: number;
  averages: Record<StatKind, number | null>;
  counts: Record<StatKind, number>;
}

interface Bucket {
  minute: number;
  sums: Record<StatKind, number>;
  counts: Record<StatKind, number>;
}

const zeros = (): Record<StatKind, number> => ({ query: 0, fetch: 0, swap: 0 });

/** A minute number (minutes since the epoch) of a time in ms. */
export function minuteOf(timeMs: number): number {
  return Math.floor(timeMs / MINUTE_MS);
}

/**
 * Averages over the last `windowMinutes` minutes, for every minute from the first value's to the
 * newest one's, gaps included. A value may arrive out of order as long as it falls in the newest
 * window (it goes to its own minute); an older one is refused (`tooOld`). A minute is final, and
 * handed to `onMinute`, once no acceptable value can change it: `windowMinutes` behind the newest.
 */
export class MovingAverages {
  private readonly ring: Bucket[];
  /** Newest minute seen (minute number), or null before the first value. */
  private newest: number | null = null;
  /** The next minute to hand out; before any is handed out, the oldest minute holding a value. */
  private nextOut: number | null = null;
  private handedOut = false;

  constructor(
    readonly windowMinutes: number,
    private readonly onMinute: (minute: MinuteAverages) => void,
  ) {
    if (!Number.isInteger(windowMinutes) || windowMinutes < 1)
      throw new RangeError(`window must be a whole number of minutes >= 1, got ${windowMinutes}`);
    // Twice the window: the minutes still to hand out need the window before them too.
    this.ring = Array.from({ length: 2 * windowMinutes }, () => ({ minute: -1, sums: zeros(), counts: zeros() }));
  }

  /** `sum` of `count` values (an aggregated record), or one value with count 1. */
  add(timeMs: number, kind: StatKind, sum: number, count = 1): 'added' | 'tooOld' {
    const minute = minuteOf(timeMs);
    if (this.newest !== null && minute < this.newest - this.windowMinutes + 1) return 'tooOld';
    if (this.newest === null || minute > this.newest) {
      this.newest = minute;
      // Hand out what is final before its buckets can be reused.
      this.handOutThrough(minute - this.windowMinutes);
    }
    if (!this.handedOut && (this.nextOut === null || minute < this.nextOut)) this.nextOut = minute;
    const bucket = this.ring[this.slotOf(minute)]!;
    if (bucket.minute !== minute) {
      bucket.minute = minute;
      bucket.sums = zeros();
      bucket.counts = zeros();
    }
    bucket.sums[kind] += sum;
    bucket.counts[kind] += count;
    return 'added';
  }

  /** The end of the input: every minute not handed out yet, up to the newest. */
  end(): void {
    if (this.newest !== null) this.handOutThrough(this.newest);
  }

  /** The window ending with the newest minute as it stands (it may still change): for a live view. */
  latest(): MinuteAverages | null {
    return this.newest === null ? null : this.windowEnding(this.newest);
  }

  private handOutThrough(last: number): void {
    if (this.nextOut === null) return;
    for (; this.nextOut <= last; this.nextOut++) {
      this.handedOut = true;
      this.onMinute(this.windowEnding(this.nextOut));
    }
  }

  private slotOf(minute: number): number {
    const size = this.ring.length;
    return ((minute % size) + size) % size;
  }

  /** Sums the window's buckets oldest first, so the result is the same as summing the values minute by minute. */
  private windowEnding(minute: number): MinuteAverages {
    const sums = zeros();
    const counts = zeros();
    for (let m = minute - this.windowMinutes + 1; m <= minute; m++) {
      const bucket = this.ring[this.slotOf(m)]!;
      if (bucket.minute !== m) continue;
      for (const kind of STAT_KINDS) {
        sums[kind] += bucket.sums[kind];
        counts[kind] += bucket.counts[kind];
      }
    }
    return { minute: minute * MINUTE_MS, averages: averagesOf(sums, counts), counts };
  }
}

export function averagesOf(sums: Record<StatKind, number>, counts: Record<StatKind, number>): Record<StatKind, number | null> {
  return {
    query: counts.query > 0 ? sums.query / counts.query : null,
    fetch: counts.fetch > 0 ? sums.fetch / counts.fetch : null,
    swap: counts.swap > 0 ? sums.swap / counts.swap : null,
  };
}
