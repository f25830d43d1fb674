// A fetched version's live changes: the store's writes since the version was built, vectorized
// with the version's own vectorizer, read before FETCHED so a swap never waits on them.
import type { Logger } from 'pino';
import { BUILTIN_VECTORIZER, loadVectorizer, type Vectorizer } from '../../builder/vectorize.js';
import { ProfileStore } from '../../store/profile-store.js';
import type { HeldIndex } from '../held-index.js';
import { LiveChanges } from '../live-changes.js';

export type Vectorize = Vectorizer['vectorize'];

/** What a version whose vectorizer this child cannot run does with a profile without a vector. */
export const unknownVectorizer: Vectorize = () => {
  throw new Error('the version was built by a vectorizer not known to the answer role; give the profile a vector');
};

/** The version's own vectorizer, the built-in one or the module its manifest names. */
export async function vectorizerOf(held: HeldIndex): Promise<Vectorize> {
  const { manifest } = held;
  if (manifest.vectorizerModule || manifest.vectorizer === BUILTIN_VECTORIZER)
    return (await loadVectorizer(manifest.vectorizerModule, manifest.dims)).vectorize;
  return unknownVectorizer;
}

export async function openLiveChanges(held: HeldIndex, storePath: string, vectorize: Vectorize, log: Logger): Promise<LiveChanges> {
  const reader = ProfileStore.openReadOnly(storePath);
  const live = new LiveChanges({
    reader,
    fromSeq: held.manifest.storeSeq ?? 0,
    dims: held.dims,
    metric: held.manifest.params.metric,
    vectorize,
    indexRowOf: (id) => held.rowOf(id),
    onUnindexable: (id, reason) => log.warn({ id, reason }, 'changed profile not searchable; it is left out until it is fixed'),
  });
  try {
    live.catchUp();
  } catch (err) {
    live.close();
    throw err;
  }
  return live;
}
