// Routes each query to the current answer child and each reply back to its caller.
//
// Queries that arrive in the same tick leave as one message per child (query-outbox.ts) and
// replies come back batched the same way (query-replies.ts); a pending query is a callback in a
// Map, not a promise, so the hot path allocates little. Every query has a deadline; the number in flight is bounded.
import { Router } from 'zeromq';
import { childQueryCode, RETRY_ELSEWHERE } from '../channel/errors.js';
import type { Query, Reply } from '../channel/query-batch.js';
import {
  admits,
  afterLostQuery,
  dispatchFor,
  INITIAL_ROUTING,
  nextRouting,
  type RouteTarget,
  type RoutingEvent,
  type RoutingState,
  releaseHeld,
  spareLeft,
} from '../statecharts/routing.js';
import type { QueryCallback, QueryOutcome, QueryRouterOptions, QuerySpec } from './query-contract.js';
import { type Outgoing, QueryOutbox } from './query-outbox.js';
import { receiveReplies } from './query-replies.js';

export type { QueryCallback, QueryOutcome, QueryRouterOptions, QuerySpec } from './query-contract.js';

interface Pending extends Outgoing {
  done: QueryCallback;
  deadline: number;
  retried: boolean;
  /** When it began waiting for an answerer, while it waits. */
  heldSince: number | null;
  /** performance.now() when the router took it, for its latency. */
  startedAt: number;
}

export class QueryRouter {
  private readonly router: Router;
  private readonly outbox: QueryOutbox;
  private readonly pending = new Map<number, Pending>();
  /** Queries waiting for an answerer (a promotion or a failover in progress). */
  private readonly held: number[] = [];
  /** Who gets queries: decided by statecharts/routing.ts, never here. */
  private routing: RoutingState = INITIAL_ROUTING;
  private nextQ = 1;
  private readonly sweeper: NodeJS.Timeout;
  /** Queries each slot answered, for /status: both children answer while the spare shares the load. */
  readonly answeredBySlot: number[] = [];
  /**
   * held: queries that waited for an answerer; holdExpired: of those, failed after maxHoldMs;
   * moved: queries sent to a spare that stopped sharing before it answered, sent again elsewhere.
   */
  readonly stats = { sent: 0, answered: 0, retried: 0, timedOut: 0, shed: 0, late: 0, held: 0, holdExpired: 0, moved: 0 };

  constructor(private readonly options: QueryRouterOptions) {
    this.router = new Router({ mandatory: true, handover: true, linger: 0, sendTimeout: options.sendTimeoutMs });
    this.outbox = new QueryOutbox(this.router, this.pending, {
      maxBatch: options.maxBatch,
      currentSeq: options.currentSeq,
      stats: this.stats,
      onUndelivered: (slot, queries) => {
        // Not delivered (the child is gone or hung): these get their one retry, but not there.
        this.apply({ type: 'SEND_FAILED', slot, now: Date.now(), suspectMs: this.options.suspectMs });
        for (const { q } of queries) {
          const entry = this.pending.get(q);
          if (entry && entry.slot === slot) this.lost(q, entry);
        }
      },
      log: options.log,
    });
    this.sweeper = setInterval(() => this.expire(), Math.max(10, Math.min(100, options.timeoutMs / 4, options.maxHoldMs / 4)));
    this.sweeper.unref();
  }

  async bind(): Promise<void> {
    await this.router.bind(this.options.endpoint);
    void receiveReplies(this.router, (slot, replies) => this.settle(slot, replies), this.options.log);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The spare answering beside the answerer under the current routing, if any. */
  get sharingSlot(): number | null {
    const { target } = this.routing;
    return target.kind === 'slot' ? (target.spare ?? null) : null;
  }

  setTarget(target: RouteTarget): void {
    this.apply({ type: 'TARGET', target });
  }

  recommend(id: string, n: number, done: QueryCallback): void {
    this.submit((q) => ({ q, op: 'recommend', id, n }), null, done);
  }

  search(vector: Float32Array, n: number, done: QueryCallback): void {
    this.submit((q) => ({ q, op: 'search', v: -1, n }), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), done);
  }

  /** Any query: by id, vector or profile, with a filter and a page. */
  query(spec: QuerySpec, done: QueryCallback): void {
    const { vector, ...rest } = spec as QuerySpec & { vector?: Float32Array };
    const frame = vector ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength) : null;
    this.submit((q) => ({ ...rest, q, ...(rest.op === 'search' && { v: -1 }) }) as Query, frame, done);
  }

  /** A child died or hung: what it had in flight is lost to it (statecharts/routing.ts afterLostQuery). */
  slotFailed(slot: number): void {
    this.apply({ type: 'SLOT_FAILED', slot });
    for (const [q, entry] of this.pending) {
      if (entry.slot === slot) this.lost(q, entry);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const q of [...this.pending.keys()]) this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
    this.outbox.close();
    this.router.close();
  }

  /** A routing event; held queries leave, or fail, when the new state says so. */
  private apply(event: RoutingEvent): void {
    const before = this.routing;
    this.routing = nextRouting(before, event);
    if (this.routing === before) return;
    const left = spareLeft(before, this.routing);
    if (left !== null) this.moveFrom(left);
    if (this.held.length === 0) return;
    const release = releaseHeld(this.routing, Date.now());
    if (release === 'keep') return;
    for (const q of this.held.splice(0)) {
      if (release === 'dispatch') this.dispatch(q);
      else this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
    }
  }

  /**
   * A spare stops sharing (it is about to fetch): what it has in flight goes out again now, not
   * counted as its one retry, and whatever it still answers is ignored as late.
   */
  private moveFrom(slot: number): void {
    for (const [q, entry] of this.pending) {
      if (entry.slot !== slot) continue;
      this.stats.moved++;
      this.dispatch(q);
    }
  }

  private submit(makeQuery: (q: number) => Query, vector: Buffer | null, done: QueryCallback): void {
    if (this.pending.size >= this.options.maxInFlight) {
      this.stats.shed++;
      this.options.onSettled?.(0, false);
      done({ ok: false, code: 'OVERLOADED', body: null });
      return;
    }
    if (!admits(this.routing)) {
      this.options.onSettled?.(0, false);
      done({ ok: false, code: 'NO_ANSWERER', body: null });
      return;
    }
    const q = this.nextQ++;
    this.pending.set(q, {
      query: makeQuery(q),
      vector,
      done,
      deadline: Date.now() + this.options.timeoutMs,
      slot: null,
      retried: false,
      heldSince: null,
      startedAt: performance.now(),
    });
    this.dispatch(q);
  }

  private dispatch(q: number): void {
    const entry = this.pending.get(q);
    if (!entry) return;
    const page = entry.query.p;
    const pinned = page && this.options.pageSlot ? this.options.pageSlot(page.version) : 'answerer';
    if (pinned === null) {
      this.finish(q, { ok: false, code: 'VERSION_GONE', body: null });
      return;
    }
    if (pinned !== 'answerer') {
      this.outbox.enqueue(q, entry, pinned);
      return;
    }
    const dispatch = dispatchFor(this.routing, Date.now(), this.outbox.load);
    if (dispatch.kind !== 'send') {
      this.outbox.place(entry, null);
      if (dispatch.kind === 'hold') {
        if (entry.heldSince === null) {
          entry.heldSince = Date.now();
          this.stats.held++;
        }
        this.held.push(q);
      } else this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
      return;
    }
    entry.heldSince = null;
    this.outbox.enqueue(q, entry, dispatch.slot);
  }

  private lost(q: number, entry: Pending): void {
    if (afterLostQuery(entry.retried) === 'fail') {
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
    this.outbox.place(entry, null);
    this.options.onSettled?.(performance.now() - entry.startedAt, outcome.ok);
    entry.done(outcome);
  }

  private expire(): void {
    const now = Date.now();
    this.apply({ type: 'TICK', now });
    for (const [q, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.stats.timedOut++;
      this.options.log.warn({ q, slot: entry.slot, op: entry.query.op }, 'query timed out');
      this.finish(q, { ok: false, code: 'TIMEOUT', body: null });
    }
    if (this.held.length) {
      let expired = 0;
      const stillHeld = this.held.filter((q) => {
        const entry = this.pending.get(q);
        if (!entry) return false;
        if (entry.heldSince === null || now - entry.heldSince < this.options.maxHoldMs) return true;
        expired++;
        this.finish(q, { ok: false, code: 'NO_ANSWERER', body: null });
        return false;
      });
      this.held.splice(0, this.held.length, ...stillHeld);
      if (expired > 0) {
        this.stats.holdExpired += expired;
        this.options.log.warn({ expired, maxHoldMs: this.options.maxHoldMs }, 'queries waited for an answerer in vain');
        this.options.onHoldExpired?.(expired);
      }
    }
  }

  /** One reply batch from a slot: each reply settles its query, unless it came too late. */
  private settle(slot: number | null, replies: Reply[]): void {
    for (const reply of replies) {
      const entry = this.pending.get(reply.q);
      if (!entry || entry.slot !== slot) {
        // Answered after its deadline or after a retry went elsewhere: the caller has its answer.
        this.stats.late++;
        continue;
      }
      if (!reply.ok && reply.code !== undefined && RETRY_ELSEWHERE.has(reply.code)) {
        this.lost(reply.q, entry);
        continue;
      }
      this.stats.answered++;
      if (slot !== null) this.answeredBySlot[slot] = (this.answeredBySlot[slot] ?? 0) + 1;
      this.finish(
        reply.q,
        reply.ok
          ? { ok: true, body: reply.body, version: reply.v, seq: reply.s, next: reply.next }
          : { ok: false, code: childQueryCode(reply.code), body: reply.body },
      );
    }
  }
}
