// Deleting a large version frees its page-cache pages in one go, and retention runs right after
// LATEST moves, just as the service starts fetching the new one: the answerer's p99 rose while
// the kernel worked. Shrinking each file in steps with pauses before unlinking it spreads that
// work out (BENCHMARKS.md).
//
// Shrinking a file that a process still maps would kill that process with SIGBUS (an answerer may
// serve a version retention no longer keeps), and a version a child serves or loads must stay
// whole for a restart or a failover, so a version is first renamed out of sight (nobody can open
// it by its path any more) and shrunk only if no process maps it or holds it open; otherwise it
// gets its name back and stays, for a later retention pass to take once its users let go.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { readdir, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STEP_BYTES = 16 * 1024 * 1024;
const PAUSE_MS = 5;
/** A second look after this long catches an open() that was under way at the rename. */
const RECHECK_MS = 50;

/**
 * What happened: removed step by step; kept, under its own name, because a process maps or holds
 * it; or removed at once because it was a plain file or already gone.
 */
export type DeleteMode = 'gentle' | 'in-use' | 'at-once';

/**
 * Removes `dir` (a version or staging directory, or a stray temporary file). `tombstoneName` is
 * the name it is renamed to first, in the same parent; it must be one that no reader takes for a
 * version and that a crash-leftover sweep removes later.
 */
export async function deleteGently(dir: string, tombstoneName: string, stepBytes = STEP_BYTES): Promise<DeleteMode> {
  const tombstone = path.join(path.dirname(dir), tombstoneName);
  try {
    await rename(dir, tombstone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'at-once';
    throw err;
  }
  if (!(await stat(tombstone)).isDirectory()) {
    // A temporary file (LATEST's, while it was being replaced): small, nobody maps it.
    await rm(tombstone, { force: true });
    return 'at-once';
  }
  const files: { file: string; key: string; size: number }[] = [];
  for (const name of await readdir(tombstone)) {
    const file = path.join(tombstone, name);
    const info = await stat(file);
    if (info.isFile()) files.push({ file, key: fileKey(info.dev, info.ino), size: info.size });
  }
  const keys = new Set(files.map((f) => f.key));
  const stillInUse = async () => {
    await sleep(RECHECK_MS);
    return inUse(keys);
  };
  if (inUse(keys) || (await stillInUse())) {
    await rename(tombstone, dir);
    return 'in-use';
  }
  for (const { file, size } of files) {
    for (let remaining = size - stepBytes; remaining > 0; remaining -= stepBytes) {
      await truncate(file, remaining);
      await sleep(PAUSE_MS);
    }
    await unlink(file);
  }
  await rm(tombstone, { recursive: true, force: true });
  return 'gentle';
}

/** The real uid a process runs as, from /proc/<pid>/status (readable for every process). */
function ownerOf(pid: string): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Uid:'));
    return line ? Number(line.split(/\s+/)[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A file's identity: device and inode, as `stat` gives them. */
export function fileKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/** /proc/<pid>/maps writes the device as hex `major:minor`; this is Linux's dev_t encoding of it. */
function devFromMaps(field: string): number {
  const [major, minor] = field.split(':').map((part) => parseInt(part, 16)) as [number, number];
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/**
 * Whether any process maps or holds open one of these files (keys from `fileKey`). Another
 * user's process we cannot inspect, or a system without /proc, counts as in use: run as a
 * different user from the service (and not as root), the builder always deletes the plain way.
 */
export function inUse(files: Set<string>): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    try {
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        // address perms offset dev inode path
        const [, , , dev, inode] = line.split(/\s+/);
        if (inode && inode !== '0' && files.has(fileKey(devFromMaps(dev!), Number(inode)))) return true;
      }
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = `/proc/${pid}/fd/${fd}`;
        try {
          if (!readlinkSync(target).startsWith('/')) continue;
          const info = statSync(target);
          if (files.has(fileKey(info.dev, info.ino))) return true;
        } catch {
          // Closed while we looked.
        }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') continue; // ended while we looked
      // Another user's process could map our files and we cannot look: assume it does. One of our
      // own user's we may not inspect is not dumpable (an init, a setuid-style program), not a
      // tandem child.
      if (code !== 'EACCES' || ownerOf(pid) !== process.getuid?.()) return true;
    }
  }
  return false;
}
