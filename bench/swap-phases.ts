// The phases of a swap run, each measured against a quiet baseline (issue 16): from the builder's
// publish start to the swap's end (the publish's copy, hash and fsync, the fetch, promote, drain),
// then the old answerer's standby fetch of the same version. What lies in neither is quiet: no
// builder activity, no fetch.

export interface Span {
  start: number;
  end: number;
}

export type PhaseKind = 'publishToSwap' | 'standbyFetch';

export interface Phase extends Span {
  kind: PhaseKind;
}

/** A supervisor state change from a run's trace.jsonl, `t` in ms since the epoch. */
export interface SupervisorTransition {
  t: number;
  from: string | null;
  to: string;
}

/**
 * Each publish's phases: publish start to the supervisor's next return to `serving` from a swap
 * (`promoting` or `draining`), then the next stretch in `fetching` that starts before the following
 * publish (the standby fetch). A publish whose swap never ends (a failed fetch) spans to its publish's end.
 */
export function tandemPhases(transitions: SupervisorTransition[], publishes: Span[]): Phase[] {
  const phases: Phase[] = [];
  const ordered = [...publishes].sort((a, b) => a.start - b.start);
  ordered.forEach((publish, i) => {
    const nextPublish = ordered[i + 1]?.start ?? Infinity;
    const swapEnd = transitions.find(
      (s) => s.t >= publish.start && s.to === 'serving' && (s.from === 'promoting' || s.from === 'draining'),
    );
    phases.push({ kind: 'publishToSwap', start: publish.start, end: swapEnd?.t ?? publish.end });
    if (!swapEnd) return;
    const standby = transitions.find((s) => s.t >= swapEnd.t && s.t < nextPublish && s.from === 'serving' && s.to === 'fetching');
    if (!standby) return;
    const done = transitions.find((s) => s.t >= standby.t && s.from === 'fetching');
    phases.push({ kind: 'standbyFetch', start: standby.t, end: done?.t ?? standby.t });
  });
  return phases;
}

/**
 * The phase a request overlaps (sent at `sentAt`, answered `latencyMs` later), a swap's phase over a
 * standby fetch where both do; `null`: quiet.
 */
export function phaseAt(phases: Phase[], sentAt: number, latencyMs = 0): PhaseKind | null {
  let found: PhaseKind | null = null;
  for (const p of phases) {
    if (sentAt > p.end || sentAt + latencyMs < p.start) continue;
    if (p.kind === 'publishToSwap') return p.kind;
    found = p.kind;
  }
  return found;
}
