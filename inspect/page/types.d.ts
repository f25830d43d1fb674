// Types the page's JSDoc refers to: the server's own data shapes, imported so the two cannot drift.

import type ElkConstructor from 'elkjs/lib/elk-api.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';

import type { SlotStatus, SupervisorStatus } from '../../supervisor/options.js';

export type { TraceRecord } from '../../trace/trace-record.js';
export type { LiveWindow } from '../live-feed.js';
export type { GraphState, GraphTransition, MachineGraph } from '../machine-graph.js';
export type { QuerySecond } from '../query-seconds.js';
export type { ElkNode };

/** The fields of GET /status the page shows (supervisor/options.ts SupervisorStatus has more). */
export type SlotView = Omit<SlotStatus, 'liveChanges'>;
export type StatusView = Pick<SupervisorStatus, 'state' | 'servingVersion' | 'latestVersion' | 'answerer' | 'quarantined' | 'swaps'> & {
  slots: SlotView[];
};

declare global {
  /** Set by the layout library's browser build (elk.bundled.js), loaded before the modules. */
  const ELK: typeof ElkConstructor;
}
