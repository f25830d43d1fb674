// Compares what readPickle gave with the tagged JSON Python wrote of the same data
// (test/fixtures/pickle/make-fixtures.py `tag`): exact types, vectors element by element.

type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

const isTag = (e: Tagged, key: string): boolean =>
  typeof e === 'object' && e !== null && !Array.isArray(e) && Object.keys(e).length === 1 && Object.hasOwn(e, key);
/** The payload of a one-key tag object such as {"$f32": [...]}. */
const tagged = (e: Tagged, key: string): Tagged => (e as { [key: string]: Tagged })[key]!;

function float(e: Tagged): number {
  if (typeof e === 'number') return e;
  if (isTag(e, '$float'))
    return (
      { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY }[tagged(e, '$float') as string] ?? Number.NaN
    );
  throw new Error(`not a float tag: ${JSON.stringify(e)}`);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

/** The first difference between `actual` and the tagged `expected`, as "path: what", or null. */
export function differs(actual: unknown, expected: Tagged, path = '$'): string | null {
  const got = () => `${path}: expected ${JSON.stringify(expected).slice(0, 80)}, got ${kind(actual)} ${String(actual).slice(0, 80)}`;
  if (expected === null || typeof expected === 'boolean' || typeof expected === 'string') return Object.is(actual, expected) ? null : got();
  if (typeof expected === 'number' || isTag(expected, '$float'))
    return typeof actual === 'number' && Object.is(actual, float(expected)) ? null : got();
  if (isTag(expected, '$int')) return typeof actual === 'bigint' && actual === BigInt(tagged(expected, '$int') as string) ? null : got();
  if (isTag(expected, '$bytes')) {
    const ok =
      actual instanceof Uint8Array &&
      actual.constructor === Uint8Array &&
      Buffer.from(actual).toString('hex') === tagged(expected, '$bytes');
    return ok ? null : got();
  }
  for (const [tag, Type] of [
    ['$f32', Float32Array],
    ['$f64', Float64Array],
  ] as const) {
    if (!isTag(expected, tag)) continue;
    const want = tagged(expected, tag) as Tagged[];
    if (!(actual instanceof Type) || actual.length !== want.length) return got();
    for (let i = 0; i < want.length; i++)
      if (!Object.is(actual[i], float(want[i]!))) return `${path}[${i}]: expected ${want[i]}, got ${actual[i]}`;
    return null;
  }
  if (isTag(expected, '$tuple') || Array.isArray(expected)) {
    const want = (Array.isArray(expected) ? expected : tagged(expected, '$tuple')) as Tagged[];
    if (!Array.isArray(actual) || Object.isFrozen(actual) !== !Array.isArray(expected) || actual.length !== want.length) return got();
    for (let i = 0; i < want.length; i++) {
      const d = differs(actual[i], want[i]!, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isTag(expected, '$set')) {
    const want = tagged(expected, '$set') as Tagged[];
    if (!(actual instanceof Set) || actual.size !== want.length) return got();
    for (const w of want) if (![...actual].some((a) => differs(a, w) === null)) return `${path}: set lacks ${JSON.stringify(w)}`;
    return null;
  }
  if (typeof actual !== 'object' || actual === null || Object.getPrototypeOf(actual) !== Object.prototype) return got();
  const a = actual as Record<string, unknown>;
  const keys = Object.keys(expected as object);
  if (Object.keys(a).join('\n') !== keys.join('\n')) return `${path}: keys ${Object.keys(a).join(',')} instead of ${keys.join(',')}`;
  for (const k of keys) {
    const d = differs(a[k], tagged(expected, k), `${path}.${k}`);
    if (d) return d;
  }
  return null;
}
