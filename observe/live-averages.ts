// The moving averages `tandem stats` prints, kept live in the main process for the /inspect page:
// the same reader and the same windows, fed the records the trace file receives as they happen.
import { type MinuteAverages, MovingAverages } from '../trace/moving-average.js';
import { StatEventReader } from '../trace/stat-events.js';

export const LIVE_WINDOW_MINUTES = 10;

export class LiveAverages {
  private readonly reader = new StatEventReader();
  private readonly averages: MovingAverages;

  constructor(windowMinutes = LIVE_WINDOW_MINUTES) {
    // Finished minutes are not kept: the page shows the window as it stands.
    this.averages = new MovingAverages(windowMinutes, () => {});
  }

  get windowMinutes(): number {
    return this.averages.windowMinutes;
  }

  /** A trace record or a queries record, as written to the trace file. */
  onRecord(record: object): void {
    const read = this.reader.readFields(record as Record<string, unknown>);
    if (read.ok && read.event) this.averages.add(read.event.timeMs, read.event.kind, read.event.sum, read.event.count);
  }

  /** The window ending with the current minute, or null before any value. */
  latest(now = Date.now()): (MinuteAverages & { windowMinutes: number }) | null {
    // No value, only the clock: quiet minutes leave the window as they would in `tandem stats`.
    if (this.averages.latest() !== null) this.averages.add(now, 'query', 0, 0);
    const latest = this.averages.latest();
    return latest && { ...latest, windowMinutes: this.windowMinutes };
  }
}
