// When to rebuild in service mode. Source writes come in bursts (an editor's save, a generator's
// chunks, a temp-file rename), so requests are debounced; builds are expensive and publish in
// order, so at most one runs at a time, and a request that arrives during a build is remembered
// and served by exactly one more build afterwards, however many requests it stands for.

export interface RebuildSchedulerOptions {
  debounceMs: number;
  /** One build + publish. Must handle its own errors: a failed build must not stop the service. */
  run: (reason: string) => Promise<void>;
}

export class RebuildScheduler {
  readonly #debounceMs: number;
  readonly #run: (reason: string) => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #pendingReason: string | undefined;
  #stopped = false;

  constructor(options: RebuildSchedulerOptions) {
    if (!(options.debounceMs >= 0)) throw new RangeError(`debounceMs must be >= 0, got ${options.debounceMs}`);
    this.#debounceMs = options.debounceMs;
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
      this.#trigger(reason);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#trigger(reason);
    }, this.#debounceMs);
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
