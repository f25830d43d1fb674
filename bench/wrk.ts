// Runs wrk with bench/lua/recommend.lua, in a session of its own, and parses the JSON line its done() prints.
import path from 'node:path';
import { ROOT, run } from './common.js';

export interface WrkResult {
  requests: number;
  durationSec: number;
  rps: number;
  bytes: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
  meanUs: number;
  errConnect: number;
  errRead: number;
  errWrite: number;
  errStatus: number;
  errTimeout: number;
}

export const LUA = path.join(ROOT, 'bench', 'lua', 'recommend.lua');

export function wrkArgs(url: string, connections: number, seconds: number): string[] {
  const threads = Math.min(2, connections);
  return [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', LUA, url];
}

/** The command as a person would type it (for BENCHMARKS.md). */
export function wrkCommand(connections: number, seconds: number): string {
  return `IDS=<ids.txt> wrk ${wrkArgs('http://127.0.0.1:PORT', connections, seconds).join(' ').replace(LUA, 'bench/lua/recommend.lua')}`;
}

export async function runWrk(url: string, idsFile: string, connections: number, seconds: number): Promise<WrkResult> {
  // A session of its own, as each server has: autogroup scheduling shares CPU between sessions first.
  const out = await run('wrk', wrkArgs(url, connections, seconds), { env: { ...process.env, IDS: idsFile }, detached: true });
  const line = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  return JSON.parse(line) as WrkResult;
}

export function errorsOf(r: WrkResult): number {
  return r.errConnect + r.errRead + r.errWrite + r.errStatus + r.errTimeout;
}
