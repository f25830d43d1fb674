// Private endpoints, a handshake a stranger cannot pass, and no secrets in logs or traces.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Router } from 'zeromq';
import { PROGRAMS } from './helpers/paths.js';
import { spawnNode } from './helpers/spawn.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

/** The session token as the supervisor hands it to a child: in the environment it started the child with. */
function tokenGivenTo(pid: number): string {
  const variable = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('TANDEM_TOKEN='));
  return variable?.slice('TANDEM_TOKEN='.length) ?? '';
}

t.test('endpoints live in a 0700 directory; the token appears in no log or trace', async (t) => {
  const fx = await startFixture(t, { count: 100 });
  await waitFor('served', async () => (await fx.status()).servingVersion);
  const supervisor = fx.system.supervisor;
  t.equal(statSync(supervisor.runtimeDir).mode & 0o777, 0o700, 'runtime dir is private');
  const v2 = await fx.publish();
  await fx.waitServing(v2.version);
  const token = tokenGivenTo((await fx.status()).slots[0]!.pid!);
  t.match(token, /^[0-9a-f]{48}$/);
  fx.log.flush();
  fx.system.tracer.flush();
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const file of ['main.log', 'children.log', path.join('run', 'trace.jsonl')]) {
    const text = readFileSync(path.join(fx.dir, file), 'utf8');
    t.ok(text.length > 0, `${file} has content`);
    t.notOk(text.includes(token), `${file} does not contain the token`);
  }
  t.notOk(JSON.stringify((await fx.get('/trace?limit=5000')).body).includes(token), '/trace does not contain it');
  t.notOk(JSON.stringify((await fx.get('/status')).body).includes(token), '/status does not contain it');
  for (const slot of (await fx.status()).slots)
    t.notOk(
      readFileSync(`/proc/${slot.pid}/cmdline`, 'utf8').includes(token),
      `slot ${slot.slot}: not on its command line (any user can read that)`,
    );
});

t.test('a child obeys only its own supervisor session', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-sec-'));
  const endpoint = `ipc://${dir}/control`;
  const router = new Router({ linger: 0 });
  await router.bind(endpoint);
  const queryRouter = new Router({ linger: 0 });
  await queryRouter.bind(`ipc://${dir}/query`);
  t.teardown(() => {
    router.close();
    queryRouter.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Its stdin a pipe held open, as the supervisor does: a child leaves when its stdin closes.
  const child = await spawnNode(t, PROGRAMS.child, [], {
    stdin: 'pipe',
    env: { ...process.env, TANDEM_SLOT: '0', TANDEM_CONTROL: endpoint, TANDEM_QUERY: `ipc://${dir}/query`, TANDEM_TOKEN: 'right-token' },
  });
  const next = async () => {
    const [id, frame] = await waitFor('a message from the child', router.receive(), 5_000);
    return { id: id!, message: JSON.parse(frame!.toString()) as { type: string; token?: string } };
  };
  const hello = await next();
  t.match(hello.message, { type: 'HELLO', token: 'right-token' });
  // A command before WELCOME is ignored: no ACK, only heartbeats (which start after WELCOME).
  await router.send([hello.id, JSON.stringify({ type: 'FETCH', seq: 1, version: 'v1', path: dir, mode: 'view' })]);
  // Here nothing arriving is the outcome expected, so a race with a fixed time, not a waitFor.
  const early = router.receive().then(() => 'a message');
  early.catch(() => undefined); // still pending when the router closes at teardown
  const silence = await Promise.race([early, sleep(700, 'silence')]);
  t.equal(silence, 'silence', 'FETCH before WELCOME is not acted on');
  await router.send([hello.id, JSON.stringify({ type: 'WELCOME', session: 'someone-else' })]);
  const { code } = await waitFor('the child to leave', child.exited, 5_000);
  t.equal(code, 1, 'a WELCOME from another session makes the child leave');
});
