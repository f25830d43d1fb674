// /inspect in headless Chromium against a real system: both machines drawn from their
// definitions, the live state as /status says, a swap seen as it happens (answering slot, timeline,
// details on click), the query chart, and a resync after the main process restarts.
import { copyFileSync, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { machineGraph } from '../inspect/machine-graph.js';
import { startSystem } from '../service/system.js';
import { slotMachine } from '../statecharts/slot.js';
import { supervisorMachine } from '../statecharts/supervisor.js';
import type { SupervisorStatus } from '../supervisor/supervisor.js';
import { startLoad } from './helpers/load.js';
import { REPO_ROOT } from './helpers/paths.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
// This test is about the page: fetches at normal priority, so a busy machine does not starve them.
const NORMAL_PRIORITY_FETCH = { niceness: 0, lowerSession: false };
const SCREENSHOT = path.join(REPO_ROOT, 'docs', 'inspect.png');
const missing = existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install -y chromium (in CI this test must run)`;

/** What the page marks and lists, read from its DOM. */
async function pageView(page: Page) {
  const currentOf = (selector: string) =>
    page
      .locator(selector)
      .first()
      .getAttribute('data-state-id', { timeout: 1000 })
      .catch(() => null);
  const rows = page.locator('#slots tbody tr');
  const slots = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    slots.push({
      slot: Number(await row.getAttribute('data-slot')),
      role: await row.getAttribute('data-role'),
      pid: await row.locator('td').nth(1).textContent(),
      marked: await currentOf(`[data-machine="slot"] g.state.current-slot-${i}`),
    });
  }
  return { supervisor: await currentOf('[data-machine="supervisor"] g.state.current'), slots };
}

/** The page as /status would draw it. */
function expectedView(status: SupervisorStatus) {
  return {
    supervisor: `supervisor.${status.state}`,
    slots: status.slots.map((slot) => ({ slot: slot.slot, role: slot.role, pid: String(slot.pid ?? '–'), marked: `slot.${slot.state}` })),
  };
}

/** Polls until the page shows what /status says at that moment. */
async function waitMatchesStatus(page: Page, status: () => Promise<SupervisorStatus>, what: string) {
  let last = '';
  return waitFor(
    what,
    async () => {
      const [seen, expected] = [await pageView(page), expectedView(await status())];
      last = JSON.stringify({ seen, expected });
      return JSON.stringify(seen) === JSON.stringify(expected) ? expected : null;
    },
    30_000,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
}

t.test('the /inspect page in Chromium', { skip: !process.env.CI && missing }, async (t) => {
  if (missing) throw new Error(missing);
  const fx = await startFixture(t, { count: 300, system: { standbyDelayMs: 100, fetchPolicy: NORMAL_PRIORITY_FETCH } });
  await waitFor('first version served', async () => (await fx.status()).state === 'serving', 60_000);
  const load = startLoad(fx.system.url, fx.ids, 2);
  t.teardown(() => load.stop());

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 60_000,
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1500, height: 1200 } });
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const external: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(fx.system.url)) external.push(request.url());
  });
  await page.goto(`${fx.system.url}/inspect`);
  await page.waitForSelector('body[data-machines-drawn="true"]');

  for (const machine of [supervisorMachine, slotMachine]) {
    const graph = machineGraph(machine);
    const drawn = page.locator(`.machine[data-machine="${machine.id}"] g.state[data-state-id]`);
    // The root is the drawing itself; every other state is a node of it.
    t.equal(await drawn.count(), graph.states.length - 1, `${machine.id}: a node per state of the definition`);
    const ids = await drawn.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state-id')));
    t.same(
      ids.sort(),
      graph.states
        .slice(1)
        .map((state) => state.id)
        .sort(),
      `${machine.id}: the same states`,
    );
    const edges = graph.transitions.reduce((sum, transition) => sum + transition.targets.length, 0);
    t.equal(
      await page.locator(`.machine[data-machine="${machine.id}"] g.edge`).count(),
      edges,
      `${machine.id}: an edge per transition target`,
    );
  }

  const before = await waitMatchesStatus(page, fx.status, 'the page to show the states /status gives');
  const answerer = before.slots.find((slot) => slot.role === 'answer')!.slot;
  t.pass(`live state shown: supervisor ${before.supervisor}, slot ${answerer} answers`);
  t.equal(await page.locator('#timeline [data-kind="swap"]').count(), 0, 'no swap yet');

  const next = await fx.publish();
  const after = await fx.waitServing(next.version);
  t.not(after.answerer, answerer, 'the roles swapped');
  await page.waitForSelector(`#slots tr[data-slot="${after.answerer}"][data-role="answer"]`);
  await page.waitForSelector(`[data-machine="slot"] g.state.current-slot-${after.answerer}[data-state-id="slot.answering.serving"]`);
  t.pass(`the page shows slot ${after.answerer} answering`);
  const swap = page.locator('#timeline [data-kind="swap"]');
  await swap.first().waitFor();
  t.equal(await swap.count(), 1, 'the timeline gained the swap');
  t.ok((await page.locator('#timeline [data-kind="fetch"]').count()) >= 1, 'and the fetch before it');
  await swap.first().click();
  t.match(await page.locator('#details').textContent(), /SLOT_ANSWERING[\s\S]*"to": "draining"/, 'a click shows its trace record');
  await page.waitForSelector('#chart rect.rate');
  t.ok((await page.locator('#chart polyline.p99').count()) === 1, 'the chart draws query rate and p99 latency');
  const averages = await waitFor('the moving averages to hold the swap', async () => {
    const text = (await page.locator('#averages').textContent()) ?? '';
    return /swap [\d.]+ m?s \(1\)/.test(text) && text;
  });
  t.match(averages, /query [\d.]+ m?s \([1-9]\d*\)/, "the moving averages (tandem stats' windows, live): the swap and the queries");
  t.match(averages, /fetch [\d.]+ m?s \([1-9]\d*\)/, 'and the fetches');
  await waitMatchesStatus(page, fx.status, 'the page to settle on the new state');

  await load.stop();
  const shot = path.join(fx.dir, 'inspect.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.ok(statSync(shot).size > 20_000, `screenshot kept at ${shot} (TANDEM_KEEP_TEST_DIRS=1 keeps the folder)`);
  if (process.env.UPDATE_SCREENSHOT) {
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    copyFileSync(shot, SCREENSHOT);
  }

  // The main process restarts on the same port: the page reconnects and shows the new children.
  const { port } = fx.system;
  const childLogs = createWriteStream(path.join(fx.dir, 'children-2.log'));
  t.teardown(() => childLogs.end());
  await fx.system.stop();
  await page.waitForSelector('#connection[data-connected="false"]');
  const restarted = await startSystem({
    dataDir: fx.dataDir,
    runDir: path.join(fx.dir, 'run-2'),
    port,
    host: '127.0.0.1',
    mode: 'view',
    log: fx.log,
    childLogs,
    fetchPolicy: NORMAL_PRIORITY_FETCH,
  });
  t.teardown(() => restarted.stop());
  const status = async () =>
    (await (await fetch(`${restarted.url}/status`, { signal: AbortSignal.timeout(10_000) })).json()) as SupervisorStatus;
  await waitFor('the restarted system serving', async () => (await status()).state === 'serving', 30_000);
  await page.waitForSelector('#connection[data-connected="true"]');
  const resynced = await waitMatchesStatus(page, status, 'the page to resync with the restarted process');
  t.notSame(
    resynced.slots.map((slot) => slot.pid),
    after.slots.map((slot) => String(slot.pid)),
    'new children, new pids on the page',
  );
  t.same(pageErrors, [], 'no error in the page');
  t.same(external, [], 'nothing loaded from another host');
});
