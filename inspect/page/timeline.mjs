// @ts-check
// What happened, read from trace records: swaps, fetches and drains (with their durations),
// crashes, restarts, quarantines and degraded spells, each with the records it came from.
/** @typedef {import('./types').TraceRecord} TraceRecord */
/**
 * @typedef {{
 *   kind: 'swap' | 'serve' | 'fetch' | 'drain' | 'crash' | 'restart' | 'quarantine' | 'degraded',
 *   lane: string,
 *   start: number,
 *   end: number | null,
 *   open: boolean,
 *   failed: boolean,
 *   label: string,
 *   records: TraceRecord[],
 * }} TimelineItem
 */

export const LANES = ['supervisor', 'slot-0', 'slot-1'];

/** @param {string | null} state @param {string} name */
const inState = (state, name) => state !== null && (state === name || state.startsWith(`${name}.`));

/**
 * @param {TraceRecord[]} records oldest first
 * @returns {TimelineItem[]}
 */
export function deriveTimeline(records) {
  /** @type {TimelineItem[]} */
  const items = [];
  /** @type {Map<string, TimelineItem>} */
  const open = new Map();
  /**
   * @param {TimelineItem['kind']} kind
   * @param {TraceRecord} record
   * @param {string} label
   */
  const point = (kind, record, label) =>
    items.push({ kind, lane: record.actor, start: Date.parse(record.ts), end: null, open: false, failed: false, label, records: [record] });
  /**
   * @param {string} key
   * @param {TraceRecord} record
   * @param {boolean} failed
   */
  const close = (key, record, failed) => {
    const item = open.get(key);
    if (!item) return;
    open.delete(key);
    item.end = Date.parse(record.ts);
    item.open = false;
    item.failed = failed;
    item.records.push(record);
    item.label += ` ${failed ? 'failed' : 'done'} in ${((item.end - item.start) / 1000).toFixed(2)} s`;
    items.push(item);
  };
  for (const record of records) {
    const { actor, from, to } = record;
    if (actor === 'supervisor') {
      if (record.event === 'SLOT_ANSWERING' && from === 'promoting' && to === 'draining')
        point('swap', record, `swap to slot ${record.slot ?? '?'} (${record.version ?? '?'})`);
      if (record.event === 'SLOT_ANSWERING' && from === 'promoting' && to === 'serving')
        point('serve', record, `slot ${record.slot ?? '?'} answers (${record.version ?? '?'})`);
      if (to === 'degraded' && from !== 'degraded') point('degraded', record, 'degraded: no child can answer');
      continue;
    }
    if (record.event === 'QUARANTINED') {
      point('quarantine', { ...record, actor: 'supervisor' }, `quarantined ${record.version ?? '?'}`);
      continue;
    }
    if (!/^slot-\d+$/.test(actor)) continue;
    const fetchKey = `${actor}:fetch`;
    const drainKey = `${actor}:drain`;
    if (inState(to, 'fetching') && !inState(from, 'fetching')) {
      open.set(fetchKey, {
        kind: 'fetch',
        lane: actor,
        start: Date.parse(record.ts),
        end: null,
        open: true,
        failed: false,
        label: `fetch ${record.version ?? ''}`,
        records: [record],
      });
    } else if (open.has(fetchKey) && !inState(to, 'fetching')) close(fetchKey, record, to !== 'standby');
    if (inState(to, 'draining') && !inState(from, 'draining')) {
      open.set(drainKey, {
        kind: 'drain',
        lane: actor,
        start: Date.parse(record.ts),
        end: null,
        open: true,
        failed: false,
        label: 'drain',
        records: [record],
      });
    } else if (open.has(drainKey) && !inState(to, 'draining')) close(drainKey, record, to !== 'idle');
    if (to === 'crashed' && from !== 'crashed') point('crash', record, `crash: ${record.event}${record.detail ? ` ${record.detail}` : ''}`);
    if (to === 'spawning' && (from === 'backoff' || from === 'restartLimited')) point('restart', record, 'restart');
  }
  // Still running: drawn up to now.
  items.push(...open.values());
  return items.sort((a, b) => a.start - b.start);
}
