// Entry point of the short-lived process that hashes a fetched version's files for a child
// (common/low-priority-checksums.ts). It lowers its own priority first: lowering needs no
// privilege, and from then on the hashing only takes CPU the answerer and the API leave idle.
import { setPriority } from 'node:os';
import { sha256File } from './index-format.js';

export type ChecksumReply = { file: string; sha256: string } | { file: string; error: string };

const [niceness, ...files] = process.argv.slice(2);
// The parent's death closes the IPC channel: nobody is left to read a result. Not process.exit:
// it waits for the read in flight, and a read can block (a FIFO in the tests, a stuck mount).
const dieWithParent = (): void => void process.kill(process.pid, 'SIGKILL');
process.on('disconnect', dieWithParent);
// Loading this module ran the event loop already: a parent that died by now was missed above.
if (!process.connected) dieWithParent();

try {
  setPriority(Number(niceness));
} catch {
  // Hashing at normal priority still verifies; only the effect on the answerer differs.
}
for (const file of files) {
  let reply: ChecksumReply;
  try {
    reply = { file, sha256: await sha256File(file) };
  } catch (err) {
    reply = { file, error: (err as Error).message };
  }
  process.send!(reply);
}
process.off('disconnect', dieWithParent);
process.disconnect();
