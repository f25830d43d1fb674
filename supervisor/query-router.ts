// Routes each query to the current answer child and each reply back to its caller.
//
// Queries that arrive in the same tick are coalesced into one message per child and replies
// come back batched the same way; a pending query is a callback in a Map, not a promise, so the
// hot path allocates little. Every query has a deadline; the number in flight is bounded.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Router } from 'zeromq';
import { slotFromRoutingId, slotRoutingId } from '../channel/protocol.js';
import { decodeReplies, encodeQueries, type Query, type QueryErrorCode, type Reply } from '../channel/query-batch.js';
import { SocketWriter } from '../channel/socket-writer.js';

export type QueryOutcome =
  | { ok: true; body: Buffer }
  | { ok: false; code: QueryErrorCode | 'TIMEOUT' | 'OVERLOADED' | 'NO_ANSWERER'; body: Buffer | null };

export type QueryCallback = (outcome: QueryOutcome) => void;

interface Pending {
  query: Query;
  /** A search query's vector, raw float32, kept for a retry. */
  vector: Buffer | null;
  done: QueryCallback;
  deadline: number;
  slot: number | null;
  retried: boolean;
}

export interface QueryRouterOptions {
  endpoint: string;
  timeoutMs: number;
  maxInFlight: number;
  /**
   * A batch this full is sent at once instead of at the end of the tick, so the child starts
   * searching while the rest of the tick's requests are still being parsed.
   */
  maxBatch: number;
  sendTimeoutMs: number;
  /** How long a slot a send failed to reach gets no queries unless the supervisor decides first. */
  suspectMs: number;
  log: Logger;
}

/** Where new queries go: a slot, nowhere (fail fast), or "wait": a promotion is under way. */
export type RouteTarget = { kind: 'slot'; slot: number } | { kind: 'none' } | { kind: 'wait' };

export class QueryRouter {
  private readonly router: Router;
  private readonly writer: SocketWriter;
  private readonly pending = new Map<number, Pending>();
  /** Queries waiting for an answerer (a promotion or a failover in progress). */
  private readonly held: number[] = [];
  private readonly outbox = new Map<number, number[]>();
  private flushScheduled = false;
  private target: RouteTarget = { kind: 'none' };
  /**
   * A slot a send just failed to reach (its process is dying, or hung): hold its queries rather
   * than send them back, until the supervisor names another target or the suspicion lapses.
   */
  private suspect: { slot: number; until: number } | null = null;
  private nextQ = 1;
  private readonly sweeper: NodeJS.Timeout;
  readonly stats = { sent: 0, answered: 0, retried: 0, timedOut: 0, shed: 0, late: 0 };

  constructor(private readonly options: QueryRouterOptions) {
    this.router = new Router({ mandatory: true, handover: true, linger: 0, sendTimeout: options.sendTimeoutMs });
    this.writer = new SocketWriter(this.router, (err) => options.log.warn({ err: err.message }, 'query batch not delivered'));
    this.sweeper = setInterval(() => this.expire(), Math.max(10, Math.min(100, options.timeoutMs / 4)));
    this.sweeper.unref();
  }

  async bind(): Promise<void> {
    await this.router.bind(this.options.endpoint);
    void this.receive();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  setTarget(target: RouteTarget): void {
    const changed =
      target.kind !== this.target.kind || (target.kind === 'slot' && this.target.kind === 'slot' && target.slot !== this.target.slot);
    if (changed) this.suspect = null;
    this.target = target;
    if (target.kind === 'slot') {
      if (!this.isSuspect(target.slot)) for (const q of this.held.splice(0)) this.dispatch(q);
    } else if (target.kind === 'none') {
      for (const q of this.held.splice(0)) this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
    }
  }

  recommend(id: string, n: number, done: QueryCallback): void {
    this.submit((q) => ({ q, op: 'recommend', id, n }), null, done);
  }

  search(vector: Float32Array, n: number, done: QueryCallback): void {
    this.submit((q) => ({ q, op: 'search', v: -1, n }), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), done);
  }

  private submit(makeQuery: (q: number) => Query, vector: Buffer | null, done: QueryCallback): void {
    if (this.pending.size >= this.options.maxInFlight) {
      this.stats.shed++;
      done({ ok: false, code: 'OVERLOADED', body: null });
      return;
    }
    if (this.target.kind === 'none') {
      done({ ok: false, code: 'NO_ANSWERER', body: null });
      return;
    }
    const q = this.nextQ++;
    this.pending.set(q, { query: makeQuery(q), vector, done, deadline: Date.now() + this.options.timeoutMs, slot: null, retried: false });
    this.dispatch(q);
  }

  /**
   * A child died or hung. What it had in flight is retried once on whoever answers next;
   * nothing more goes to it until it is the target again.
   */
  slotFailed(slot: number): void {
    if (this.target.kind === 'slot' && this.target.slot === slot) this.target = { kind: 'wait' };
    for (const [q, entry] of this.pending) {
      if (entry.slot === slot) this.retry(q, entry);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const q of [...this.pending.keys()]) this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
    this.writer.close();
    this.router.close();
  }

  private isSuspect(slot: number): boolean {
    return this.suspect !== null && this.suspect.slot === slot && Date.now() < this.suspect.until;
  }

  private dispatch(q: number): void {
    const entry = this.pending.get(q);
    if (!entry) return;
    if (this.target.kind !== 'slot' || this.isSuspect(this.target.slot)) {
      entry.slot = null;
      this.held.push(q);
      return;
    }
    entry.slot = this.target.slot;
    let batch = this.outbox.get(entry.slot);
    if (!batch) {
      batch = [];
      this.outbox.set(entry.slot, batch);
    }
    batch.push(q);
    if (batch.length >= this.options.maxBatch) {
      this.outbox.delete(entry.slot);
      this.sendBatch(entry.slot, batch);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [slot, qs] of this.outbox) this.sendBatch(slot, qs);
    this.outbox.clear();
  }

  private sendBatch(slot: number, qs: number[]): void {
    const queries: Query[] = [];
    const vectors: Buffer[] = [];
    for (const q of qs) {
      const entry = this.pending.get(q);
      if (!entry || entry.slot !== slot) continue;
      if (entry.query.op === 'search' && entry.vector) {
        queries.push({ ...entry.query, v: vectors.length });
        vectors.push(entry.vector);
      } else {
        queries.push(entry.query);
      }
    }
    if (queries.length === 0) return;
    this.stats.sent += queries.length;
    this.writer.send([slotRoutingId(slot), ...encodeQueries(queries, vectors)], () => {
      // Not delivered (the child is gone or hung): these get their one retry, but not there.
      this.suspect = { slot, until: Date.now() + this.options.suspectMs };
      for (const { q } of queries) {
        const entry = this.pending.get(q);
        if (entry && entry.slot === slot) this.retry(q, entry);
      }
    });
  }

  private retry(q: number, entry: Pending): void {
    if (entry.retried) {
      this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
      return;
    }
    entry.retried = true;
    this.stats.retried++;
    this.dispatch(q);
  }

  private finish(q: number, outcome: QueryOutcome): void {
    const entry = this.pending.get(q);
    if (!entry) return;
    this.pending.delete(q);
    entry.done(outcome);
  }

  private expire(): void {
    const now = Date.now();
    if (this.suspect !== null && now >= this.suspect.until) {
      // Nobody declared the slot dead: it was a passing hiccup. Resume sending to it.
      this.suspect = null;
      if (this.target.kind === 'slot') for (const q of this.held.splice(0)) this.dispatch(q);
    }
    for (const [q, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.stats.timedOut++;
      this.options.log.warn({ q, slot: entry.slot, op: entry.query.op }, 'query timed out');
      this.finish(q, { ok: false, code: 'TIMEOUT', body: null });
    }
    if (this.held.length) {
      const stillHeld = this.held.filter((q) => this.pending.has(q));
      this.held.splice(0, this.held.length, ...stillHeld);
    }
  }

  private async receive(): Promise<void> {
    try {
      for await (const [id, header, bodies] of this.router) {
        const slot = slotFromRoutingId(id!.toString('utf8'));
        let replies: Reply[];
        try {
          replies = decodeReplies(header!, bodies);
        } catch (err) {
          this.options.log.error({ err, slot }, 'undecodable reply batch');
          continue;
        }
        for (const reply of replies) {
          const entry = this.pending.get(reply.q);
          if (!entry || entry.slot !== slot) {
            // Answered after its deadline or after a retry went elsewhere: the caller has its answer.
            this.stats.late++;
            continue;
          }
          if (!reply.ok && reply.code === 'NO_INDEX') {
            this.retry(reply.q, entry);
            continue;
          }
          this.stats.answered++;
          this.finish(reply.q, reply.ok ? { ok: true, body: reply.body } : { ok: false, code: reply.code ?? 'INTERNAL', body: reply.body });
        }
        // Queued replies arrive without a trip through the event loop: yield, or a steady stream of
        // them would hold off new connections and the heartbeat watchdog's timer.
        await yieldToEventLoop();
      }
    } catch (err) {
      if (!this.router.closed) this.options.log.error({ err }, 'query channel receive failed');
    }
  }
}
