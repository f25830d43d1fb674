// Whether the supervisor has gone silent, counted in this process's running time: time it did not
// run (a long native load, starved at low priority) is no sign of a silent supervisor, whose
// heartbeats may sit unread in the socket meanwhile.
export class OrphanWatch {
  private lastHeard: number;
  private lastTick: number;

  constructor(
    private readonly tickMs: number,
    private readonly orphanMs: number,
    now: number,
  ) {
    this.lastHeard = now;
    this.lastTick = now;
  }

  heard(now: number): void {
    this.lastHeard = now;
  }

  /** Called every `tickMs`: the running time the supervisor has been silent if over the limit, else null. */
  tick(now: number): number | null {
    const sinceLastTick = now - this.lastTick;
    this.lastTick = now;
    if (sinceLastTick > 2 * this.tickMs) this.lastHeard += sinceLastTick - this.tickMs;
    const silentMs = now - this.lastHeard;
    return silentMs > this.orphanMs ? silentMs : null;
  }
}
