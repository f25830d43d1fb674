// When to rebuild in service mode. Source writes come in bursts (an editor's save, a generator's
// chunks, a temp-file rename), so requests are debounced; builds are expensive and publish in
// order, so at most one runs at a time, and a request that arrives during a build is remembered
// and served by exactly one more build afterwards, however many requests it stands for. A steady
// stream of changes (profile writes all day) would keep a pure debounce waiting forever, so
// `maxDelayMs` bounds how long the first request of a burst waits.

export interface RebuildSchedulerOptions {
  debounceMs: number;
  /** The longest a request waits for quiet before it builds anyway; no bound when absent. */
  maxDelayMs?: number;
  /** One build + publish. Must handle its own errors: a failed build must not stop the service. */
  run: (reason: string) => Promise<void>;
}

export class RebuildScheduler {
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  /** When the burst being debounced must build at the latest. */
  #deadline: number | undefined;
  readonly #run: (reason: string) => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #pendingReason: string | undefined;
  #stopped = false;

  constructor(options: RebuildSchedulerOptions) {
    if (!(options.debounceMs >= 0)) throw new RangeError(`debounceMs must be >= 0, got ${options.debounceMs}`);
    if (options.maxDelayMs !== undefined && !(options.maxDelayMs >= 0))
      throw new RangeError(`maxDelayMs must be >= 0, got ${options.maxDelayMs}`);
    this.#debounceMs = options.debounceMs;
    this.#maxDelayMs = options.maxDelayMs ?? Number.POSITIVE_INFINITY;
    this.#run = options.run;
  }

  get building(): boolean {
    return this.#current !== undefined;
  }

  /** Asks for a build; `immediate` skips the debounce (start-up, timers), not the one-at-a-time rule. */
  request(reason: string, immediate = false): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (immediate || this.#debounceMs === 0) {
      this.#deadline = undefined;
      this.#trigger(reason);
      return;
    }
    const now = Date.now();
    this.#deadline ??= now + this.#maxDelayMs;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#deadline = undefined;
        this.#trigger(reason);
      },
      Math.max(0, Math.min(this.#debounceMs, this.#deadline - now)),
    );
  }

  #trigger(reason: string): void {
    if (this.#stopped) return;
    if (this.#current) {
      this.#pendingReason = reason;
      return;
    }
    this.#current = this.#loop(reason);
  }

  async #loop(reason: string): Promise<void> {
    let next: string | undefined = reason;
    try {
      while (next !== undefined && !this.#stopped) {
        this.#pendingReason = undefined;
        try {
          await this.#run(next);
        } catch {
          // run() owns error reporting; a throw here must not wedge the scheduler.
        }
        next = this.#pendingReason;
      }
    } finally {
      this.#pendingReason = undefined;
      this.#current = undefined;
    }
  }

  /** No new builds start; resolves when the running one (if any) has finished or given up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }
}
