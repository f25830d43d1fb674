// The builder, like the children (roles/child.ts), must not outlive whoever started it: `make
// multi` starts it in a session of its own (for its niceness to count), so a SIGKILL of the
// launcher's process group does not reach it. When the launcher dies the kernel gives the builder
// a new parent (init or a subreaper); that change is the signal to leave.
import type { Logger } from 'pino';

const POLL_MS = 500;

/** Logs and calls `stop` once when this process's parent changes. Returns a function that stops watching. */
export function stopWhenParentGone(logger: Logger, stop: () => void, pollMs = POLL_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    logger.warn({ formerParent: parent }, 'the process that started the builder is gone');
    stop();
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
