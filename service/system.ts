// The whole main process as one unit: supervisor + children + HTTP API. `main.ts` runs it from
// the command line; tests start it in-process with a private data dir and port 0.
import { mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { AuthSettings } from '../api/auth.js';
import { httpError } from '../api/errors.js';
import { sendError } from '../api/reply-error.js';
import { buildApi } from '../api/server.js';
import { LiveAverages } from '../observe/live-averages.js';
import { ServiceMetrics } from '../observe/metrics.js';
import { QueryLatencyLog } from '../observe/query-latency.js';
import { ProfileStore } from '../store/profile-store.js';
import { Supervisor, type SupervisorOptions } from '../supervisor/supervisor.js';
import type { TraceRecord } from '../trace/trace-record.js';
import { Tracer } from '../trace/tracer.js';

/** The supervisor's options, less what the system makes itself (tracer, component loggers). */
export interface SystemOptions extends Omit<SupervisorOptions, 'tracer'> {
  runDir: string;
  port: number;
  host: string;
  onTrace?: (record: TraceRecord) => void;
  /** The profile store's file and the tokens that may write it; no store, no write API. */
  profiles?: { storePath: string; writeTokens: readonly string[]; dims?: number };
  /** Signs page cursors (TANDEM_CURSOR_SECRET); without it they last as long as the process. */
  cursorSecret?: string;
  /** Login and read auth (api/auth.ts); defaults: no login, reads open. */
  auth?: Partial<AuthSettings>;
}

export interface RunningSystem {
  url: string;
  port: number;
  supervisor: Supervisor;
  tracer: Tracer;
  traceFile: string;
  /** What GET /metrics serves. */
  metrics: ServiceMetrics;
  /** The profile store, when the system has one. */
  store: ProfileStore | null;
  /**
   * Reports not-ready, keeps serving for `graceMs` (connections already queued in the kernel's
   * accept backlog would otherwise be reset), then stops accepting, lets in-flight requests
   * finish and shuts the children down.
   */
  stop(graceMs?: number): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  mkdirSync(options.runDir, { recursive: true });
  const traceFile = path.join(options.runDir, 'trace.jsonl');
  const metrics = new ServiceMetrics(options.dataDir, { liveChanges: options.profiles !== undefined });
  const tracer = new Tracer(traceFile, 5000, options.onTrace);
  tracer.subscribe((record) => metrics.onTrace(record));
  const liveAverages = new LiveAverages();
  tracer.subscribe((record) => liveAverages.onRecord(record));
  const queryLatency = new QueryLatencyLog((kind, record) => {
    tracer.note(kind, record);
    liveAverages.onRecord({ kind, ...record });
  });
  const {
    runDir: _runDir,
    port: _port,
    host: _host,
    onTrace: _onTrace,
    profiles: _profiles,
    auth: _auth,
    log,
    ...supervisorOptions
  } = options;
  const store = options.profiles ? ProfileStore.open(options.profiles.storePath, { dims: options.profiles.dims }) : null;
  const liveChanges = store ? { storePath: store.path, currentSeq: () => store.currentSeq() } : undefined;
  const supervisor = await Supervisor.start({
    ...supervisorOptions,
    ...(liveChanges ? { liveChanges } : {}),
    ...(options.profiles?.dims !== undefined ? { expectedDims: options.profiles.dims } : {}),
    log: log.child({ component: 'supervisor' }),
    tracer,
  });
  metrics.attach(() => supervisor.status());
  const app = buildApi({
    supervisor,
    tracer,
    log: options.log.child({ component: 'api' }),
    ...(options.cursorSecret ? { cursorSecret: options.cursorSecret } : {}),
    ...(store && options.profiles ? { profiles: { store, writeTokens: options.profiles.writeTokens } } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    observers: { metrics, queryLatency },
    liveAverages,
  });
  let draining = false;
  // Readiness goes first: a balancer watching /ready stops sending before the listener closes.
  // A callback hook: an async one cost a promise on every request, queries included.
  app.addHook('onRequest', (request, reply, done) => {
    if (draining && request.url === '/ready') sendError(reply, httpError('TANDEM_ERR_SHUTTING_DOWN'));
    else done();
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    queryLatency.close();
    await supervisor.stop();
    store?.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    supervisor,
    tracer,
    traceFile,
    metrics,
    store,
    stop(graceMs = 0) {
      stopping ??= (async () => {
        draining = true;
        if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
        await app.close();
        // Before the supervisor's stop, which flushes the trace file.
        queryLatency.close();
        store?.close();
        await supervisor.stop();
      })();
      return stopping;
    },
  };
}

/** Points <runs>/latest at this run, for `make trace`. */
export function markLatestRun(runsDir: string, runDir: string): void {
  const link = path.join(runsDir, 'latest');
  try {
    unlinkSync(link);
  } catch {
    // no previous run
  }
  symlinkSync(path.relative(runsDir, runDir), link);
}
