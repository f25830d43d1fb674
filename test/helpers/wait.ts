// Every wait in a test is bounded: it either sees its condition or fails with what it waited for.
type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

/**
 * Polls `until` every `everyMs` until it returns a truthy value, and returns that value; or, given
 * a promise (a process's exit, a message), awaits it and returns whatever it settles to, even falsy.
 */
export async function waitFor<T>(what: string, until: Probe<T> | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const timedOut = () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  if (typeof until !== 'function') {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), timeoutMs);
    });
    try {
      return await Promise.race([until, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await until();
    if (value) return value;
    if (Date.now() > deadline) throw timedOut();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
