// @ts-check
// The timeline lanes and, below them on the same time axis, queries per second with p50/p99
// latency: a latency bump lines up with the swap that caused it.
import { svg } from './machine-view.mjs';
import { LANES } from './timeline.mjs';

/** @typedef {import('./timeline.mjs').TimelineItem} TimelineItem */
/** @typedef {import('./types').QuerySecond} QuerySecond */
/** @typedef {{ t0: number, t1: number, width: number }} Axis */

const LEFT = 70;
const RIGHT = 50;
const LANE_HEIGHT = 26;

/** @param {Axis} axis @param {number} t */
const xOf = (axis, t) => LEFT + ((t - axis.t0) / (axis.t1 - axis.t0)) * (axis.width - LEFT - RIGHT);

/** @param {number} ms */
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8);

/**
 * Time ticks and their grid lines, every 10 s, 30 s, 1 min or 5 min depending on the span.
 * @param {SVGElement} root @param {Axis} axis @param {number} top @param {number} bottom
 */
function timeAxis(root, axis, top, bottom) {
  const span = axis.t1 - axis.t0;
  const step = [10_000, 30_000, 60_000, 300_000].find((s) => span / s <= 8) ?? 600_000;
  const group = svg('g', { class: 'axis' });
  for (let t = Math.ceil(axis.t0 / step) * step; t <= axis.t1; t += step) {
    const x = xOf(axis, t);
    group.append(svg('line', { x1: x, x2: x, y1: top, y2: bottom }));
    group.append(svg('text', { x, y: bottom + 12, 'text-anchor': 'middle' }, clock(t)));
  }
  root.append(group);
}

/**
 * @param {HTMLElement} container
 * @param {TimelineItem[]} items
 * @param {Axis} axis
 * @param {(item: TimelineItem, element: SVGElement) => void} onSelect
 */
export function drawTimeline(container, items, axis, onSelect) {
  const height = LANES.length * LANE_HEIGHT + 20;
  const root = svg('svg', { width: axis.width, height, viewBox: `0 0 ${axis.width} ${height}` });
  timeAxis(root, axis, 0, LANES.length * LANE_HEIGHT);
  for (const [index, lane] of LANES.entries()) {
    root.append(svg('text', { class: 'lane-label', x: 6, y: index * LANE_HEIGHT + 17 }, lane));
  }
  for (const item of items) {
    const lane = LANES.indexOf(item.lane);
    if (lane < 0) continue;
    const end = item.end ?? (item.open ? axis.t1 : null);
    if ((end ?? item.start) < axis.t0) continue;
    const y = lane * LANE_HEIGHT + 13;
    const x = xOf(axis, Math.max(axis.t0, item.start));
    const classes = `item ${item.kind}${item.failed ? ' failed' : ''}${item.open ? ' open' : ''}`;
    const attributes = { class: classes, 'data-kind': item.kind, 'data-lane': item.lane };
    const shape =
      end === null
        ? svg(item.kind === 'swap' || item.kind === 'serve' ? 'rect' : 'circle', {
            ...attributes,
            ...(item.kind === 'swap' || item.kind === 'serve'
              ? { x: x - 5, y: y - 5, width: 10, height: 10, transform: `rotate(45 ${x} ${y})` }
              : { cx: x, cy: y, r: 5 }),
          })
        : svg('rect', { ...attributes, x, y: y - 6, width: Math.max(3, xOf(axis, end) - x), height: 12, rx: 2 });
    shape.append(svg('title', {}, `${clock(item.start)} ${item.label}`));
    shape.addEventListener('click', () => onSelect(item, shape));
    root.append(shape);
  }
  container.replaceChildren(root);
}

/**
 * @param {HTMLElement} container
 * @param {QuerySecond[]} seconds oldest first
 * @param {Axis} axis
 */
export function drawChart(container, seconds, axis) {
  const height = 150;
  const bottom = height - 20;
  const top = 8;
  const root = svg('svg', { width: axis.width, height, viewBox: `0 0 ${axis.width} ${height}` });
  const shown = seconds.filter((s) => s.t * 1000 >= axis.t0 - 1000);
  const maxRate = Math.max(1, ...shown.map((s) => s.count));
  const maxMs = Math.max(1, ...shown.map((s) => s.p99 ?? 0));
  timeAxis(root, axis, top, bottom);
  const rateY = (/** @type {number} */ count) => bottom - (count / maxRate) * (bottom - top);
  const msY = (/** @type {number} */ ms) => bottom - (ms / maxMs) * (bottom - top);
  const barWidth = Math.max(1, xOf(axis, 1000) - xOf(axis, 0) - 1);
  for (const second of shown) {
    if (second.count === 0) continue;
    const x = xOf(axis, second.t * 1000);
    const bar = svg('rect', { class: 'rate', x, y: rateY(second.count), width: barWidth, height: bottom - rateY(second.count) });
    bar.append(
      svg(
        'title',
        {},
        `${clock(second.t * 1000)}: ${second.count} queries (${second.errors} failed), p50 ${second.p50?.toFixed(2)} ms, p99 ${second.p99?.toFixed(2)} ms`,
      ),
    );
    root.append(bar);
  }
  for (const quantile of /** @type {const} */ (['p50', 'p99'])) {
    const points = shown
      .filter((s) => s[quantile] !== null)
      .map((s) => `${(xOf(axis, s.t * 1000) + barWidth / 2).toFixed(1)},${msY(s[quantile] ?? 0).toFixed(1)}`);
    if (points.length > 0) root.append(svg('polyline', { class: quantile, points: points.join(' ') }));
  }
  const axes = svg('g', { class: 'axis' });
  axes.append(svg('text', { x: LEFT - 6, y: top + 8, 'text-anchor': 'end' }, `${maxRate}/s`));
  axes.append(svg('text', { x: LEFT - 6, y: bottom, 'text-anchor': 'end' }, '0'));
  axes.append(svg('text', { x: axis.width - RIGHT + 4, y: top + 8 }, `${maxMs.toFixed(1)} ms`));
  axes.append(svg('text', { class: 'p50', x: axis.width - RIGHT + 4, y: top + 24 }, 'p50'));
  axes.append(svg('text', { class: 'p99', x: axis.width - RIGHT + 4, y: top + 38 }, 'p99'));
  root.append(axes);
  container.replaceChildren(root);
}
