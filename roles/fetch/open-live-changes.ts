// A fetched version's live changes: the store's writes since the version was built, vectorized
// with the version's own vectorizer, read before FETCHED so a swap never waits on them.
import type { Logger } from 'pino';
import { BUILTIN_VECTORIZER, loadVectorizer, type Vectorizer } from '../../builder/vectorize.js';
import { ProfileStore } from '../../store/profile-store.js';
import type { HeldIndex } from '../held-index.js';
import { LiveChanges } from '../live-changes.js';

async function vectorizerOf(held: HeldIndex): Promise<Vectorizer['vectorize']> {
  const { manifest } = held;
  if (manifest.vectorizerModule || manifest.vectorizer === BUILTIN_VECTORIZER)
    return (await loadVectorizer(manifest.vectorizerModule, manifest.dims)).vectorize;
  return () => {
    throw new Error(`vectorizer ${manifest.vectorizer} is not known to the answer role; give the profile a vector`);
  };
}

export async function openLiveChanges(held: HeldIndex, storePath: string, log: Logger): Promise<LiveChanges> {
  const vectorize = await vectorizerOf(held);
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
