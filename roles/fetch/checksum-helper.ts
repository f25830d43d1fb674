// Entry point of the short-lived process that hashes a fetched version's files for a child
// (roles/fetch/low-priority-checksums.ts), which starts it at a lower priority, so the hashing only
// takes CPU the answerer and the API leave idle.
import { sha256File } from '../../index-version/verify.js';
import { pacePerFile } from './pace.js';

export type ChecksumReply = { file: string; sha256: string } | { file: string; error: string };

// argv: <bytes per second, 0 = unpaced> <file>...
const [rate, ...files] = process.argv.slice(2);
const paceFor = pacePerFile(Number(rate));
// The parent's death closes the IPC channel: nobody is left to read a result. Not process.exit:
// it waits for the read in flight, and a read can block (a FIFO in the tests, a stuck mount).
const dieWithParent = (): void => void process.kill(process.pid, 'SIGKILL');
process.on('disconnect', dieWithParent);
// Loading this module ran the event loop already: a parent that died by now was missed above.
if (!process.connected) dieWithParent();

for (const file of files) {
  let reply: ChecksumReply;
  try {
    reply = { file, sha256: await sha256File(file, paceFor()) };
  } catch (err) {
    reply = { file, error: (err as Error).message };
  }
  process.send!(reply);
}
process.off('disconnect', dieWithParent);
process.disconnect();
