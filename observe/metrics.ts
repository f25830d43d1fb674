// GET /metrics: the service's numbers in the Prometheus text format, on a registry of our own.
// Swaps, fetches and restarts come from the statechart trace (one subscriber, no counters in the
// machines); query counters, versions and children are read from the supervisor at scrape time.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { MANIFEST_FILE, versionDir } from '../index-version/format.js';
import type { SupervisorStatus } from '../supervisor/options.js';
import type { TraceRecord } from '../trace/trace-record.js';
import { crashOf, isSwap, SpanTracker } from '../trace/trace-spans.js';
import { childUsage } from './child-usage.js';

export const METRIC_PREFIX = 'tandem_';

/** A route no pattern matched (a 404): one label value, so junk URLs add no series. */
export const UNMATCHED_ROUTE = 'unmatched';

type RouterCounter = 'shed' | 'retried' | 'timedOut' | 'held' | 'holdExpired';
const ROUTER_COUNTERS: [RouterCounter, string, string][] = [
  ['shed', 'queries_shed_total', 'Queries refused at once because too many were in flight (503 overloaded).'],
  ['retried', 'queries_retried_total', 'Queries whose child failed them, sent again to the next answerer.'],
  ['timedOut', 'queries_timed_out_total', 'Queries that got no answer before their deadline (504).'],
  ['held', 'queries_held_total', 'Queries that waited for an answerer (a promotion or a failover in progress).'],
  ['holdExpired', 'queries_hold_expired_total', 'Held queries that waited the longest hold in vain (503).'],
];

type RequestLabels = 'route' | 'method' | 'status';

export class ServiceMetrics {
  readonly registry = new Registry();
  private status: (() => SupervisorStatus) | null = null;
  /** The supervisor's status, read once per scrape for every collector. */
  private scraped: SupervisorStatus | null = null;
  private served: { version: string; createdMs: number } | null = null;
  private readonly spans = new SpanTracker();
  private readonly requests: Counter<RequestLabels>;
  private readonly latency: Histogram<'route' | 'method'>;
  /** route -> method -> the latency histogram's child and the request counter's child by status. */
  private readonly requestChildren = new Map<
    string,
    Map<
      string,
      { latency: ReturnType<Histogram<'route' | 'method'>['labels']>; byStatus: Map<number, ReturnType<Counter<RequestLabels>['labels']>> }
    >
  >();
  private readonly swaps: Counter;
  private readonly swapSeconds: Histogram;
  private readonly fetchSeconds: Histogram<'outcome'>;
  private readonly restarts: Counter<'slot' | 'reason'>;

  constructor(
    private readonly dataDir: string,
    options: { liveChanges: boolean; processMetrics?: boolean },
  ) {
    const registers = [this.registry];
    const name = (suffix: string) => METRIC_PREFIX + suffix;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.requests = new Counter({
      name: name('http_requests_total'),
      help: 'HTTP requests answered, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: name('http_request_duration_seconds'),
      help: 'Time from a request to its reply, by route pattern and method.',
      labelNames: ['route', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: name('queries_in_flight'),
      help: 'Queries sent to a child or waiting for one, not answered yet.',
      registers,
      collect() {
        if (metrics.scraped) this.set(metrics.scraped.queries.inFlight);
      },
    });
    for (const [field, suffix, help] of ROUTER_COUNTERS) {
      new Counter({
        name: name(suffix),
        help,
        registers,
        // The router keeps the running totals; a scrape restates them.
        collect() {
          if (!metrics.scraped) return;
          this.reset();
          this.inc(metrics.scraped.queries[field]);
        },
      });
    }
    this.swaps = new Counter({
      name: name('swaps_total'),
      help: 'Swaps: new queries switched to a newer version (its ANSWER acked).',
      registers,
    });
    this.swapSeconds = new Histogram({
      name: name('swap_duration_seconds'),
      help: "A swap from the promotion's start (ANSWER sent) to the old answerer's DRAINED.",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.fetchSeconds = new Histogram({
      name: name('fetch_duration_seconds'),
      help: 'A fetch from FETCH sent to its end, by outcome (fetched, failed, crashed, stopped).',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.restarts = new Counter({
      name: name('child_restarts_total'),
      help: 'Children taken down and restarted, by slot and by the event that did it (exited, heartbeat_lost, ack_timeout, ...).',
      labelNames: ['slot', 'reason'],
      registers,
    });
    new Gauge({
      name: name('quarantined_versions'),
      help: 'Versions quarantined for failures on their merits (never fetched again).',
      registers,
      // The verdict lives in the machine's context, not in any one trace record.
      collect() {
        if (metrics.scraped) this.set(metrics.scraped.quarantined.length);
      },
    });
    new Gauge({
      name: name('served_version_age_seconds'),
      help: "Seconds since the served version's manifest was created (NaN: none served).",
      registers,
      collect() {
        this.set(
          metrics.served && metrics.scraped?.servingVersion === metrics.served.version
            ? (Date.now() - metrics.served.createdMs) / 1000
            : Number.NaN,
        );
      },
    });
    if (options.liveChanges)
      new Gauge({
        name: name('live_update_lag_changes'),
        help: 'Store change seq minus the seq the answering child has applied (NaN: no answering child has reported).',
        registers,
        collect() {
          this.set(metrics.scraped ? liveLag(metrics.scraped) : Number.NaN);
        },
      });
    new Gauge({
      name: name('child_resident_memory_bytes'),
      help: 'Resident memory of each child (/proc/<pid>/status VmRSS).',
      labelNames: ['slot'],
      registers,
      collect() {
        this.reset();
        for (const { slot, usage } of metrics.childUsages()) this.set({ slot: String(slot) }, usage.residentBytes);
      },
    });
    new Counter({
      name: name('child_cpu_seconds_total'),
      help: 'CPU time of the current process of each child, user and system (/proc/<pid>/stat); starts again at a restart.',
      labelNames: ['slot'],
      registers,
      collect() {
        this.reset();
        for (const { slot, usage } of metrics.childUsages()) this.inc({ slot: String(slot) }, usage.cpuSeconds);
      },
    });
  }

  /** The supervisor starts after the tracer; scrapes read it from then on. */
  attach(status: () => SupervisorStatus): void {
    this.status = status;
  }

  /** Every trace record passes here (the Tracer's subscriber). */
  onTrace(record: TraceRecord): void {
    if (isSwap(record)) this.swaps.inc();
    const crash = crashOf(record);
    if (crash) this.restarts.inc({ slot: crash.slot, reason: crash.reason });
    const span = this.spans.onRecord(record, Date.parse(record.ts));
    if (span?.kind === 'fetch') this.fetchSeconds.observe({ outcome: span.outcome }, span.ms / 1000);
    else if (span?.kind === 'swap') this.swapSeconds.observe(span.ms / 1000);
  }

  /**
   * Per request, on the hot path: label sets are looked up once and kept, by route, method and
   * status in nested maps (a joined string key was built and hashed anew for every request).
   */
  onRequest(route: string, method: string, status: number, ms: number): void {
    let byMethod = this.requestChildren.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.requestChildren.set(route, byMethod);
    }
    let forMethod = byMethod.get(method);
    if (!forMethod) {
      forMethod = { latency: this.latency.labels(route, method), byStatus: new Map() };
      byMethod.set(method, forMethod);
    }
    let counter = forMethod.byStatus.get(status);
    if (!counter) {
      counter = this.requests.labels(route, method, String(status));
      forMethod.byStatus.set(status, counter);
    }
    counter.inc();
    forMethod.latency.observe(ms / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(): Promise<string> {
    this.scraped = this.status?.() ?? null;
    await this.readServedVersion();
    return this.registry.metrics();
  }

  private async readServedVersion(): Promise<void> {
    const version = this.scraped?.servingVersion ?? null;
    if (version === null || this.served?.version === version) return;
    try {
      const manifest = JSON.parse(await readFile(path.join(versionDir(this.dataDir, version), MANIFEST_FILE), 'utf8')) as {
        created?: unknown;
      };
      const createdMs = typeof manifest.created === 'string' ? Date.parse(manifest.created) : Number.NaN;
      if (Number.isFinite(createdMs)) this.served = { version, createdMs };
    } catch {
      // Retention may have removed it already; the age is then unknown (NaN), not an error.
    }
  }

  private childUsages() {
    return (this.scraped?.slots ?? []).flatMap(({ slot, pid }) => {
      const usage = pid === null ? null : childUsage(pid);
      return usage ? [{ slot, usage }] : [];
    });
  }
}

function liveLag(status: SupervisorStatus): number {
  const applied = status.slots.find((slot) => slot.slot === status.answerer)?.liveChanges?.appliedSeq;
  return status.freshness && applied !== undefined ? Math.max(0, status.freshness.storeSeq - applied) : Number.NaN;
}
