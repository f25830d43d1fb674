// The sweep of runtime folders left by supervisors that are gone: only folders marked as a
// supervisor's, only when their owner is not running (dead, or its pid now someone else's).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createRuntimeDir, removeStaleRuntimeDirs } from '../supervisor/runtime-dir.js';

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

t.test('folders of running owners and unmarked folders stay; dead or reused owners go', async (t) => {
  const root = t.testdir();
  const folder = (name: string, owner?: string) => {
    const dir = path.join(root, name);
    mkdirSync(dir);
    if (owner !== undefined) writeFileSync(path.join(dir, 'supervisor.pid'), `${owner}\n`);
    return dir;
  };
  const parent = process.ppid;
  const running = folder('tandem-running', `${parent} ${startTimeOf(parent)}`);
  const reused = folder('tandem-reused', `${parent} 1`);
  const dead = folder('tandem-dead', '4194300 1');
  const unmarked = folder('tandem-unmarked');
  const other = folder('someone-else', '4194300 1');
  const mine = await createRuntimeDir(root);

  const removed = await removeStaleRuntimeDirs(root);
  t.same(removed.sort(), [dead, reused].sort(), 'a dead owner, and a pid now running something that started at another time');
  for (const dir of [running, unmarked, other, mine]) t.ok(existsSync(dir), `${path.basename(dir)} kept`);
});
