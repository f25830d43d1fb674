// Retention takes a version out of sight first (renamed: nobody can open it by its path any more)
// and deletes it only if no process maps it or holds it open: a version a child serves or loads
// must stay whole for a restart or a failover, so it gets its name back and stays for a later pass.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A second look after this long catches an open() that was under way at the rename. */
const RECHECK_MS = 50;

/** What happened: deleted, or kept under its own name because a process maps or holds it. */
export type RetireOutcome = 'deleted' | 'in-use';

/**
 * Removes `dir` (a version or staging directory, or a stray temporary file) unless a process uses
 * it. `tombstoneName` is the name it is renamed to first, in the same parent; it must be one that
 * no reader takes for a version and that a crash-leftover sweep removes later.
 */
export async function retireVersion(dir: string, tombstoneName: string): Promise<RetireOutcome> {
  const tombstone = path.join(path.dirname(dir), tombstoneName);
  try {
    await rename(dir, tombstone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'deleted';
    throw err;
  }
  if ((await stat(tombstone)).isDirectory()) {
    const keys = new Set<string>();
    for (const name of await readdir(tombstone)) {
      const info = await stat(path.join(tombstone, name));
      if (info.isFile()) keys.add(fileKey(info.dev, info.ino));
    }
    const stillInUse = async () => {
      await sleep(RECHECK_MS);
      return inUse(keys);
    };
    if (inUse(keys) || (await stillInUse())) {
      await rename(tombstone, dir);
      return 'in-use';
    }
  }
  await rm(tombstone, { recursive: true, force: true });
  return 'deleted';
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
