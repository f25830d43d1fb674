// Query latency for the trace file, one record per query route per second (count, sum, max):
// a log line per request would cost more than the search. `tandem stats` averages these.
import { QUERIES_KIND, type QueriesRecord } from '../trace/stat-events.js';

interface Tally {
  count: number;
  sumMs: number;
  maxMs: number;
}

export class QueryLatencyLog {
  private readonly tallies = new Map<string, Tally>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (kind: string, record: QueriesRecord) => void,
    everyMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  add(route: string, ms: number): void {
    const tally = this.tallies.get(route);
    if (!tally) {
      this.tallies.set(route, { count: 1, sumMs: ms, maxMs: ms });
      return;
    }
    tally.count++;
    tally.sumMs += ms;
    if (ms > tally.maxMs) tally.maxMs = ms;
  }

  /** Writes what the last period saw, one record per route that had queries. */
  flush(): void {
    if (this.tallies.size === 0) return;
    const ts = new Date(this.now()).toISOString();
    for (const [route, { count, sumMs, maxMs }] of this.tallies) {
      this.write(QUERIES_KIND, { ts, route, count, sumMs: Math.round(sumMs * 1000) / 1000, maxMs: Math.round(maxMs * 1000) / 1000 });
    }
    this.tallies.clear();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
