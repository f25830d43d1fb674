// Where trace records go: a JSON-lines file (pino) for `make trace`, a ring buffer for
// GET /trace, and live subscribers (the /inspect page's event stream).
import pino, { type Logger } from 'pino';
import { createTraceRecorder, type TraceRecord } from './trace-record.js';

export class Tracer {
  private readonly ring: TraceRecord[] = [];
  private next = 0;
  private readonly file: Logger | null;
  private readonly listeners = new Set<(record: TraceRecord) => void>();
  readonly inspect: ReturnType<typeof createTraceRecorder>;

  constructor(
    traceFile: string | null,
    private readonly capacity = 2000,
    private readonly onRecord: (record: TraceRecord) => void = () => {},
  ) {
    this.file = traceFile
      ? pino({ base: null, timestamp: false, messageKey: 'kind' }, pino.destination({ dest: traceFile, mkdir: true, sync: false }))
      : null;
    this.inspect = createTraceRecorder((record) => this.record(record));
  }

  record(record: TraceRecord): void {
    if (this.ring.length < this.capacity) this.ring.push(record);
    else this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    this.file?.info(record, 'transition');
    this.onRecord(record);
    for (const listener of this.listeners) listener(record);
  }

  /** Calls `listener` with every record from now on, synchronously; returns the unsubscribe. */
  subscribe(listener: (record: TraceRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A line for the trace file only (the ring is for transitions): `kind` names what it is. */
  note(kind: string, fields: object): void {
    this.file?.info(fields, kind);
  }

  /** The newest `limit` records, oldest first. */
  recent(limit = 200): TraceRecord[] {
    const ordered = this.ring.length < this.capacity ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.slice(-limit);
  }

  flush(): void {
    this.file?.flush();
  }
}
