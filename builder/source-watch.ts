// What tells a watching builder that its source moved on: a file's stat, or the store's change seq.
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Manifest } from '../index-version/format.js';
import type { ProfileSource } from './sources.js';
import { storeSeqNow } from './sources.js';

export interface SourceWatch {
  /** Calls `changed` whenever the source may hold something the latest build has not. */
  start(changed: (reason: string) => void): void;
  stop(): void;
  /** Whether `latest` (null: nothing usable published) is behind the source; why, for the log. */
  ahead(latest: Manifest | null): Promise<{ ahead: boolean; why: string }>;
}

export function watchSource(source: ProfileSource, pollMs: number): SourceWatch {
  return source.kind === 'file' ? watchFileSource(source.path, pollMs) : watchStore(source.path, pollMs);
}

function fileChanged(curr: Stats, prev: Stats): boolean {
  // Missing file: watchFile reports zeroed stats. Wait for it to reappear rather than fail a build.
  if (curr.ino === 0 && curr.mtimeMs === 0) return false;
  // ino catches an atomic rename even within one mtime tick.
  return curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size;
}

function watchFileSource(file: string, pollMs: number): SourceWatch {
  return {
    start(changed) {
      watchFile(file, { interval: pollMs, persistent: true }, (curr, prev) => {
        if (fileChanged(curr, prev)) changed('source changed');
      });
    },
    stop: () => unwatchFile(file),
    async ahead(latest) {
      let mtime: number;
      try {
        mtime = (await stat(file)).mtimeMs;
      } catch (err) {
        return { ahead: false, why: `source not readable yet (${(err as Error).message}); waiting for it` };
      }
      if (latest === null) return { ahead: true, why: 'nothing usable published' };
      if (mtime > Date.parse(latest.created)) return { ahead: true, why: 'source changed since the latest version' };
      return { ahead: false, why: 'latest version is up to date with the source' };
    },
  };
}

function watchStore(file: string, pollMs: number): SourceWatch {
  let timer: NodeJS.Timeout | undefined;
  return {
    start(changed) {
      // The seq is one row of the store: reading it every poll costs a connection and a lookup.
      let seen = storeSeqNow(file);
      timer = setInterval(() => {
        const seq = storeSeqNow(file);
        if (seq !== null && seq !== seen) {
          seen = seq;
          changed(`store at seq ${seq}`);
        }
      }, pollMs);
    },
    stop: () => clearInterval(timer),
    async ahead(latest) {
      const seq = storeSeqNow(file);
      if (seq === null) return { ahead: false, why: 'store not readable yet; waiting for it' };
      if (seq === 0) return { ahead: false, why: 'store holds no profiles yet; waiting for the first write' };
      if (latest === null) return { ahead: true, why: 'nothing usable published' };
      if (latest.storeSeq === undefined) return { ahead: true, why: 'latest version was built from a file, not the store' };
      if (latest.storeSeq < seq) return { ahead: true, why: `store at seq ${seq}, latest version at ${latest.storeSeq}` };
      return { ahead: false, why: 'latest version is up to date with the store' };
    },
  };
}
