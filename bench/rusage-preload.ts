// Loaded with `node --import` by bench/stats.ts: at exit, the process's own peak RSS and CPU time
// go to the file BENCH_RUSAGE_FILE names (Node cannot read a child's rusage).
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
  });
}
