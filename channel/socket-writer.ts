// zeromq v6 allows one pending send() per socket (a second throws EBUSY), so each socket gets
// exactly one writer that drains a queue. Callers never await a send: the reply path stays free
// of per-message promises, and a failed send is reported, not thrown into a caller.
import type { Writable } from 'zeromq';

export type Frames = (Buffer | string)[];

export class SocketWriter {
  private readonly queue: { frames: Frames; onError?: (err: Error) => void }[] = [];
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly socket: Writable,
    private readonly onError: (err: Error, frames: Frames) => void,
  ) {}

  /** Queues one multipart message; onError hears if this message in particular could not be sent. */
  send(frames: Frames, onError?: (err: Error) => void): void {
    if (this.closed) {
      onError?.(new Error('socket writer closed'));
      return;
    }
    this.queue.push(onError ? { frames, onError } : { frames });
    if (!this.pumping) void this.pump();
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  flushed(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const item of this.queue.splice(0)) item.onError?.(new Error('socket writer closed'));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      try {
        await this.socket.send(item.frames);
      } catch (err) {
        item.onError?.(err as Error);
        this.onError(err as Error, item.frames);
      }
    }
    this.pumping = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
