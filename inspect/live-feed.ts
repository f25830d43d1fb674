// What the /inspect page streams: a snapshot when it connects (status, recent trace records, recent
// query seconds), then every trace record as it happens and, each second, the status and the
// seconds finished since. Runs only while someone watches.
import type { SupervisorStatus } from '../supervisor/options.js';
import type { MinuteAverages } from '../trace/moving-average.js';
import type { TraceRecord } from '../trace/trace-record.js';
import type { Tracer } from '../trace/tracer.js';
import { type EventSink, EventStream, type EventStreamOptions, formatEvent } from './event-stream.js';
import type { QuerySecond, QuerySeconds } from './query-seconds.js';

export interface LiveSources {
  status(): SupervisorStatus;
  tracer: Pick<Tracer, 'recent' | 'subscribe'>;
  querySeconds: Pick<QuerySeconds, 'finished'>;
  /** The trace's moving averages (observe/live-averages.ts), the window ending now. */
  averages?: () => LiveWindow | null;
}

export type LiveWindow = MinuteAverages & { windowMinutes: number };

export interface InspectSnapshot {
  /** Server time (ms since the epoch), for lining the page's clock up with the records'. */
  now: number;
  status: SupervisorStatus;
  trace: TraceRecord[];
  seconds: QuerySecond[];
  averages: LiveWindow | null;
}

export interface InspectTick {
  now: number;
  status: SupervisorStatus;
  seconds: QuerySecond[];
  averages: LiveWindow | null;
}

export interface LiveFeedOptions extends EventStreamOptions {
  tickMs?: number;
  /** Trace records in the snapshot (default 1000). */
  backlog?: number;
  now?: () => number;
}

export class LiveFeed {
  private readonly stream: EventStream;
  private readonly tickMs: number;
  private readonly backlog: number;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastSecond = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sources: LiveSources,
    options: LiveFeedOptions = {},
  ) {
    this.stream = new EventStream(options);
    this.tickMs = options.tickMs ?? 1000;
    this.backlog = options.backlog ?? 1000;
    this.now = options.now ?? Date.now;
  }

  get clients(): number {
    return this.stream.size;
  }

  get dropped(): number {
    return this.stream.dropped;
  }

  snapshot(): InspectSnapshot {
    const now = this.now();
    return {
      now,
      status: this.sources.status(),
      trace: this.sources.tracer.recent(this.backlog),
      seconds: this.sources.querySeconds.finished(now),
      averages: this.sources.averages?.() ?? null,
    };
  }

  /** Streams to `sink` (its response head already sent) from a snapshot on. */
  attach(sink: EventSink): void {
    const snapshot = this.snapshot();
    if (this.stream.size === 0) this.start(snapshot);
    this.stream.add(sink, formatEvent('snapshot', snapshot), () => {
      if (this.stream.size === 0) this.stop();
    });
  }

  close(): void {
    this.stream.close();
    this.stop();
  }

  private start(snapshot: InspectSnapshot): void {
    this.lastSecond = snapshot.seconds.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
    // Synchronous with the snapshot just taken: no record falls between the two.
    this.unsubscribe = this.sources.tracer.subscribe((record) => this.stream.send('trace', record));
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = this.now();
    const seconds = this.sources.querySeconds.finished(now, this.lastSecond);
    this.lastSecond = seconds.at(-1)?.t ?? this.lastSecond;
    const tick: InspectTick = { now, status: this.sources.status(), seconds, averages: this.sources.averages?.() ?? null };
    this.stream.send('tick', tick);
  }
}
