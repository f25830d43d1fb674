// GET /status from the machines' snapshots: a reading, never a second source of truth.
import type { SnapshotFrom } from 'xstate';
import type { SlotMachine } from '../statecharts/slot.js';
import type { supervisorMachine } from '../statecharts/supervisor.js';
import { stateToString } from '../trace/trace-record.js';
import type { SlotStatus, SupervisorStatus } from './options.js';
import type { SlotHandle } from './slot-handle.js';

export function statusOf(
  supervisor: SnapshotFrom<typeof supervisorMachine>,
  slots: { handle: SlotHandle; snapshot: SnapshotFrom<SlotMachine> | undefined }[],
  queries: SupervisorStatus['queries'],
  swaps: number,
  storeSeq: number | null,
  answeredBySlot: readonly number[] = [],
  /** The spare answering beside the answerer (`--spare-answers on`), if any. */
  sharing: number | null = null,
): SupervisorStatus {
  const { context } = supervisor;
  const answering = slots.find(({ handle }) => handle.slot === context.answerer)?.handle.live ?? null;
  const freshness =
    storeSeq === null
      ? {}
      : { freshness: { storeSeq, servedVersionSeq: answering?.fromSeq ?? null, answererDelta: answering?.changed ?? null } };
  return {
    state: stateToString(supervisor.value),
    servingVersion: context.servingVersion,
    latestVersion: context.latestSeen?.version ?? null,
    answerer: context.answerer,
    quarantined: context.quarantined,
    slots: slots.map(
      ({ handle: { slot, restarts, live }, snapshot }): SlotStatus => ({
        slot,
        pid: snapshot?.context.pid ?? null,
        role: slot === context.answerer ? 'answer' : slot === sharing ? 'share' : slot === context.retiring ? 'draining' : 'fetch',
        state: snapshot ? stateToString(snapshot.value) : 'stopped',
        version: snapshot?.context.version ?? null,
        restarts,
        lastFailure: snapshot?.context.lastFailure ?? null,
        liveChanges: live,
        answered: answeredBySlot[slot] ?? 0,
      }),
    ),
    queries,
    swaps,
    ...freshness,
  };
}
