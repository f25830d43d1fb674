// The reference `tandem stats --naive` computes: every value of the input held in memory, each
// minute's window summed afresh from the raw values. Tests and bench/stats.ts check the streaming
// MovingAverages against it; it is not meant for large inputs.
import { averagesOf, MINUTE_MS, type MinuteAverages, minuteOf, STAT_KINDS, type StatKind } from './moving-average.js';
import type { StatEvent } from './stat-events.js';

/** The same acceptance rule as the streaming one: a value older than the newest window is refused. */
export function naiveAverages(events: readonly StatEvent[], windowMinutes: number): { minutes: MinuteAverages[]; tooOld: number } {
  const byMinute = new Map<number, StatEvent[]>();
  let newest: number | null = null;
  let oldest: number | null = null;
  let tooOld = 0;
  for (const event of events) {
    const minute = minuteOf(event.timeMs);
    if (newest !== null && minute < newest - windowMinutes + 1) {
      tooOld++;
      continue;
    }
    newest = newest === null ? minute : Math.max(newest, minute);
    oldest = oldest === null ? minute : Math.min(oldest, minute);
    const list = byMinute.get(minute) ?? [];
    list.push(event);
    byMinute.set(minute, list);
  }
  const minutes: MinuteAverages[] = [];
  if (newest === null || oldest === null) return { minutes, tooOld };
  for (let minute = oldest; minute <= newest; minute++) {
    const sums: Record<StatKind, number> = { query: 0, fetch: 0, swap: 0 };
    const counts: Record<StatKind, number> = { query: 0, fetch: 0, swap: 0 };
    for (let m = minute - windowMinutes + 1; m <= minute; m++) {
      // Each minute's subtotal first, minutes oldest first: the order the streaming sums use.
      const minuteSums: Record<StatKind, number> = { query: 0, fetch: 0, swap: 0 };
      for (const event of byMinute.get(m) ?? []) {
        minuteSums[event.kind] += event.sum;
        counts[event.kind] += event.count;
      }
      for (const kind of STAT_KINDS) sums[kind] += minuteSums[kind];
    }
    minutes.push({ minute: minute * MINUTE_MS, averages: averagesOf(sums, counts), counts });
  }
  return { minutes, tooOld };
}
