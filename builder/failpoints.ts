// Named points in publishing where a test can have the builder stop itself (SIGSTOP) and then kill
// it: a kill that lands exactly between two steps of a publish (fsync, manifest, rename, LATEST),
// which a kill after a delay only hits by luck. Inert unless TANDEM_BUILDER_STOP_AT names the point.
export type FailPoint = 'files-synced' | 'manifest-written' | 'renamed' | 'latest-temp-written' | 'latest-moved';

export function stopHereIfAsked(point: FailPoint): void {
  if (process.env.TANDEM_BUILDER_STOP_AT !== point) return;
  process.stderr.write(`builder: stopped at ${point}\n`);
  process.kill(process.pid, 'SIGSTOP');
}
