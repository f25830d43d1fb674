// Signals and orphans, with the main process as a real OS process.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { SupervisorStatus } from '../supervisor/supervisor.js';
import { type MainProcess, startMainProcess } from './helpers/main-process.js';
import { isAlive } from './helpers/spawn.js';
import { tally } from './helpers/tally.js';
import { waitFor } from './helpers/wait.js';

async function childPids(url: string): Promise<number[]> {
  const status = (await (await fetch(`${url}/status`)).json()) as SupervisorStatus;
  return status.slots.map((s) => s.pid).filter((pid): pid is number => pid !== null);
}

t.test('main process SIGKILLed: both children exit by themselves (no orphans)', async (t) => {
  const main = await startMainProcess(t);
  const pids = await childPids(main.url);
  t.equal(pids.length, 2);
  main.child.kill('SIGKILL');
  await main.exited;
  await waitFor('children gone', () => pids.every((pid) => !isAlive(pid)), 8_000);
  t.pass(`children ${pids.join(', ')} exited on their own`);
});

t.test('main process alive but silent (SIGSTOP): its children leave after the orphan timeout', async (t) => {
  const main = await startMainProcess(t);
  const pids = await childPids(main.url);
  process.kill(main.child.pid!, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(main.child.pid!, 'SIGCONT');
    } catch {
      // gone
    }
  });
  // stdin stays open (the process lives): only the silence can tell them.
  await waitFor('children gone', () => pids.every((pid) => !isAlive(pid)), 20_000);
  t.pass(`children ${pids.join(', ')} left a supervisor that stopped talking`);
});

/**
 * A burst of requests on fresh connections, a stop signal while they are under way, then the
 * checks both stop paths share: exit 0, every request answered or cleanly refused, children gone.
 * Returns each request's outcome (a status code or a connection error code).
 */
async function burstThenStop(t: Test, main: MainProcess, stop: () => void): Promise<string[]> {
  const pids = await childPids(main.url);
  const outcomes: string[] = [];
  const burst = Array.from({ length: 60 }, async (_, i) => {
    try {
      const response = await fetch(`${main.url}/recommend/${main.ids[i % main.ids.length]}/5`, {
        headers: { connection: 'close' },
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      outcomes.push(String(response.status));
    } catch (err) {
      outcomes.push((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    }
  });
  setTimeout(stop, 5);
  await Promise.all(burst);
  t.equal((await main.exited).code, 0, 'exit code 0');
  const unexpected = outcomes.filter((o) => !['200', '503', 'ECONNREFUSED'].includes(o));
  t.same(unexpected, [], `answered or refused cleanly, never reset (${JSON.stringify(tally(outcomes))})`);
  await waitFor('children gone', () => pids.every((pid) => !isAlive(pid)), 5_000);
  return outcomes;
}

t.test('SIGTERM: in-flight requests finish, children stopped, exit 0', async (t) => {
  const main = await startMainProcess(t);
  const outcomes = await burstThenStop(t, main, () => main.child.kill('SIGTERM'));
  t.ok(outcomes.includes('200'), 'requests accepted before the signal were answered');
  t.match(main.output(), /shutting down/);
});

t.test('SIGTERM: not ready at once, yet queries are still answered in the grace period', async (t) => {
  const main = await startMainProcess(t);
  main.child.kill('SIGTERM');
  const notReady = await waitFor(
    '/ready to say 503',
    async () => {
      const response = await fetch(`${main.url}/ready`).catch(() => null);
      if (response === null) return null;
      const body = (await response.json()) as { code?: string };
      return response.status === 503 ? body : null;
    },
    2_000,
    10,
  );
  t.equal(notReady.code, 'TANDEM_ERR_SHUTTING_DOWN', 'a balancer watching /ready stops sending');
  const query = await fetch(`${main.url}/recommend/${main.ids[0]}/3`);
  t.equal(query.status, 200, 'while a query that still arrives is answered');
  t.equal((await main.exited).code, 0);
});

t.test('SIGINT (Ctrl-C): the same clean stop as SIGTERM', async (t) => {
  const main = await startMainProcess(t);
  const outcomes = await burstThenStop(t, main, () => main.child.kill('SIGINT'));
  t.ok(outcomes.includes('200'), 'requests accepted before the signal were answered');
  t.match(main.output(), /"signal":"SIGINT"[^\n]*shutting down/);
});

t.test('SIGTERM to every process (group and children): the supervisor still drains, children wait for SHUTDOWN', async (t) => {
  // What `systemctl stop` does: every process of the unit's cgroup gets the signal. The children
  // lead a group of their own (so Ctrl-C reaches only the supervisor), so they are signalled
  // straight, as the cgroup kill would.
  const main = await startMainProcess(t, 100, true);
  const children = await childPids(main.url);
  await burstThenStop(t, main, () => {
    process.kill(-main.child.pid!, 'SIGTERM');
    for (const pid of children) process.kill(pid, 'SIGTERM');
  });
  const [run] = readdirSync(main.runsDir);
  const trace = readFileSync(path.join(main.runsDir, run!, 'trace.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string });
  t.same(
    trace.filter((r) => r.event === 'SLOT_CRASHED'),
    [],
    'no child is seen to crash',
  );
  t.ok(
    trace.some((r) => r.event === 'CMD_SHUTDOWN'),
    'children were stopped by SHUTDOWN',
  );
});
