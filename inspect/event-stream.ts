// Server-sent events to many clients without ever waiting for one: a write is queued in the
// client's own socket buffer or, when that buffer is over its bound, the client is dropped (its
// EventSource reconnects and resyncs). The supervisor that produces the events never stalls.

/** What a client's connection must offer: an http.ServerResponse does, so does any Writable. */
export interface EventSink {
  write(chunk: string): boolean;
  readonly writableLength: number;
  end(): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

export interface EventStreamOptions {
  /** Bytes a client may have waiting to be sent before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** How long a browser waits before reconnecting after a lost connection. */
  retryMs?: number;
  onDrop?: (bufferedBytes: number) => void;
}

/** One event in the text/event-stream format; JSON has no raw newlines, so one data line suffices. */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class EventStream {
  private readonly clients = new Set<EventSink>();
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;
  /** Clients dropped for falling behind, since start. */
  dropped = 0;

  constructor(private readonly options: EventStreamOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.retryMs = options.retryMs ?? 1000;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Adds a client whose response head is already sent; `first` is its first event (a snapshot). */
  add(sink: EventSink, first: string, onGone: () => void = () => {}): void {
    this.clients.add(sink);
    sink.once('close', () => {
      this.clients.delete(sink);
      onGone();
    });
    const chunk = `retry: ${this.retryMs}\n\n${first}`;
    this.deliver(sink, chunk, Buffer.byteLength(chunk));
  }

  /** Sends one event to every client; returns without waiting for any of them. */
  send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const chunk = formatEvent(event, data);
    const bytes = Buffer.byteLength(chunk);
    for (const sink of this.clients) this.deliver(sink, chunk, bytes);
  }

  /** Ends every stream (the server is closing: an open stream would hold its close up). */
  close(): void {
    for (const sink of this.clients) sink.end();
    this.clients.clear();
  }

  private deliver(sink: EventSink, chunk: string, bytes: number): void {
    const buffered = sink.writableLength;
    if (buffered + bytes > this.maxBufferedBytes) {
      this.clients.delete(sink);
      this.dropped++;
      this.options.onDrop?.(buffered);
      sink.destroy();
      return;
    }
    // write()'s false means "buffered, slow down": the bound above is how this stream slows down.
    sink.write(chunk);
  }
}
