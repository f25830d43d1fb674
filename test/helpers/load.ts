// Continuous HTTP load on 127.0.0.1 for fault tests: bounded by a stop() call and per-request
// timeouts, with every non-200 and every error kept for the assertion message.
export interface LoadReport {
  sent: number;
  ok: number;
  failures: string[];
  maxLatencyMs: number;
  statuses: Record<number, number>;
}

export function startLoad(baseUrl: string, ids: string[], workers = 4, requestTimeoutMs = 15_000) {
  let stopped = false;
  const report: LoadReport = { sent: 0, ok: 0, failures: [], maxLatencyMs: 0, statuses: {} };
  const worker = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const id = ids[(w * 7919 + i * 31) % ids.length]!;
      const started = performance.now();
      report.sent++;
      try {
        const response = await fetch(`${baseUrl}/recommend/${id}/10`, { signal: AbortSignal.timeout(requestTimeoutMs) });
        await response.arrayBuffer();
        report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
        if (response.status === 200) report.ok++;
        else report.failures.push(`${response.status} for ${id}`);
      } catch (err) {
        report.failures.push(`${id}: ${(err as Error).message}`);
      }
      report.maxLatencyMs = Math.max(report.maxLatencyMs, performance.now() - started);
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    report,
    async stop(): Promise<LoadReport> {
      stopped = true;
      await running;
      return report;
    },
  };
}
