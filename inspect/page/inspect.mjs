// @ts-check
// The /inspect page: draws both machines, follows the live stream (/inspect/events) and keeps
// the slot table, the marked states, the timeline and the query chart up to date.
import { drawChart, drawTimeline } from './history-view.mjs';
import { drawMachine, markStates } from './machine-view.mjs';
import { deriveTimeline } from './timeline.mjs';

/** @typedef {import('./types').MachineGraph} MachineGraph */
/** @typedef {import('./types').TraceRecord} TraceRecord */
/** @typedef {import('./types').QuerySecond} QuerySecond */
/** @typedef {import('./types').LiveWindow} LiveWindow */
/** @typedef {import('./types').StatusView} StatusView */
/** @typedef {Awaited<ReturnType<typeof drawMachine>>} MachineView */

const MAX_RECORDS = 5000;
const MAX_SPAN_MS = 10 * 60_000;
const MIN_SPAN_MS = 60_000;

const page = {
  /** @type {TraceRecord[]} */
  records: [],
  /** @type {Map<number, QuerySecond>} */
  seconds: new Map(),
  /** @type {StatusView | null} */
  status: null,
  /** Where each actor is, from the status and then from each trace record: `supervisor`, `slot-0`... */
  /** @type {Map<string, string>} */
  states: new Map(),
  /** Server clock minus ours, so "now" on the axis is the server's. */
  clockOffset: 0,
  machinesText: '',
  /** @type {Map<string, MachineView>} */
  views: new Map(),
  renderQueued: false,
};

/** @param {string} id */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from the page`);
  return found;
}

async function loadMachines() {
  const text = await (await fetch('/inspect/machines.json')).text();
  // A restarted main process may run changed machines: draw again only then.
  if (text === page.machinesText) return;
  page.machinesText = text;
  const { machines } = /** @type {{ machines: MachineGraph[] }} */ (JSON.parse(text));
  for (const graph of machines) {
    const container = document.querySelector(`.machine[data-machine="${graph.id}"]`);
    if (container instanceof HTMLElement) page.views.set(graph.id, await drawMachine(container, graph));
  }
  document.body.dataset.machinesDrawn = 'true';
  markAll();
}

function markAll() {
  const supervisor = page.views.get('supervisor');
  if (supervisor) markStates(supervisor, 'supervisor', [{ cls: 'current', value: page.states.get('supervisor') ?? null }]);
  const slot = page.views.get('slot');
  const slots = page.status?.slots ?? [];
  if (slot)
    markStates(
      slot,
      'slot',
      slots.map(({ slot: n }) => ({ cls: `current-slot-${n}`, value: page.states.get(`slot-${n}`) ?? null, badge: String(n) })),
    );
}

/** @param {StatusView} status */
function applyStatus(status) {
  page.status = status;
  page.states.set('supervisor', status.state);
  for (const slot of status.slots) page.states.set(`slot-${slot.slot}`, slot.state);
  const summary = element('supervisor-summary');
  summary.replaceChildren();
  const lines = [
    ['supervisor', status.state],
    ['serving', status.servingVersion ?? '–'],
    ['newest seen', status.latestVersion ?? '–'],
    ['answering slot', status.answerer === null ? '–' : String(status.answerer)],
    ['swaps', String(status.swaps)],
    ['quarantined', status.quarantined.join(', ') || '–'],
  ];
  for (const [name, value] of lines) {
    const line = document.createElement('div');
    const label = document.createElement('span');
    label.className = 'dim';
    label.textContent = `${name}: `;
    line.append(label);
    const strong = document.createElement('span');
    strong.className = name === 'supervisor' ? 'state' : '';
    strong.dataset.field = name;
    strong.textContent = value ?? '';
    line.append(strong);
    summary.append(line);
  }
  const body = element('slots').querySelector('tbody');
  body?.replaceChildren(
    ...status.slots.map((slot) => {
      const row = document.createElement('tr');
      row.dataset.slot = String(slot.slot);
      row.dataset.role = slot.role;
      row.dataset.state = slot.state;
      for (const value of [slot.slot, slot.pid ?? '–', slot.role, slot.state, slot.version ?? '–', slot.restarts, slot.lastFailure ?? '']) {
        const cell = document.createElement('td');
        cell.textContent = String(value);
        row.append(cell);
      }
      return row;
    }),
  );
  scheduleRender();
}

/** @param {TraceRecord} record */
function applyRecord(record) {
  page.records.push(record);
  if (page.records.length > MAX_RECORDS) page.records.splice(0, page.records.length - MAX_RECORDS);
  if (record.actor === 'supervisor' || /^slot-\d+$/.test(record.actor)) page.states.set(record.actor, record.to);
  scheduleRender();
}

/** @param {LiveWindow | null} window */
function applyAverages(window) {
  const shown = element('averages');
  if (!window) return;
  /** @param {number | null} ms */
  const ms = (ms) => (ms === null ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`);
  const { averages, counts } = window;
  shown.textContent =
    `last ${window.windowMinutes} min: query ${ms(averages.query)} (${counts.query}), ` +
    `fetch ${ms(averages.fetch)} (${counts.fetch}), swap ${ms(averages.swap)} (${counts.swap})`;
}

/** @param {QuerySecond[]} seconds */
function addSeconds(seconds) {
  for (const second of seconds) page.seconds.set(second.t, second);
  const keepAfter = (Date.now() + page.clockOffset - MAX_SPAN_MS) / 1000;
  for (const t of page.seconds.keys()) if (t < keepAfter) page.seconds.delete(t);
}

function scheduleRender() {
  if (page.renderQueued) return;
  page.renderQueued = true;
  requestAnimationFrame(() => {
    page.renderQueued = false;
    render();
  });
}

function render() {
  markAll();
  const now = Date.now() + page.clockOffset;
  const items = deriveTimeline(page.records);
  const seconds = [...page.seconds.values()].sort((a, b) => a.t - b.t);
  const earliest = Math.min(items[0]?.start ?? now, (seconds[0]?.t ?? now / 1000) * 1000);
  const t0 = Math.min(now - MIN_SPAN_MS, Math.max(now - MAX_SPAN_MS, earliest));
  const axis = { t0, t1: now, width: Math.max(600, element('history').clientWidth - 4) };
  const details = element('details');
  drawTimeline(element('timeline'), items, axis, (item, shape) => {
    for (const selected of document.querySelectorAll('.item.selected')) selected.classList.remove('selected');
    shape.classList.add('selected');
    details.textContent = `${item.label}\n\n${item.records.map((record) => JSON.stringify(record, null, 2)).join('\n')}`;
  });
  drawChart(element('chart'), seconds, axis);
}

/** @param {boolean} connected @param {string} text */
function showConnection(connected, text) {
  const indicator = element('connection');
  indicator.dataset.connected = String(connected);
  indicator.textContent = text;
}

function connect() {
  const source = new EventSource('/inspect/events');
  source.addEventListener('open', async () => {
    showConnection(true, 'live');
    // After a restart of the main process: its machines and its status, not the ones we had.
    await loadMachines();
    applyStatus(/** @type {StatusView} */ (await (await fetch('/status')).json()));
  });
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    page.clockOffset = snapshot.now - Date.now();
    page.records = [];
    page.seconds.clear();
    for (const record of snapshot.trace) applyRecord(record);
    addSeconds(snapshot.seconds);
    applyAverages(snapshot.averages);
    applyStatus(snapshot.status);
  });
  source.addEventListener('trace', (event) => applyRecord(JSON.parse(event.data)));
  source.addEventListener('tick', (event) => {
    const tick = JSON.parse(event.data);
    page.clockOffset = tick.now - Date.now();
    addSeconds(tick.seconds);
    applyAverages(tick.averages);
    applyStatus(tick.status);
  });
  source.addEventListener('error', () => {
    showConnection(false, 'reconnecting…');
    // EventSource retries a lost connection itself, but gives up on an answer that is not a stream (a 503 while restarting).
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
  });
}

connect();
window.addEventListener('resize', scheduleRender);
