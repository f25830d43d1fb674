// Progress of an import: a bar on stderr when it is a terminal (log lines are drawn above it),
// otherwise a log line with the counts every few seconds, for a CI log or a file.
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { ImportReport } from './import-report.js';

export const DEFAULT_PROGRESS_EVERY_MS = 2000;
const BAR_REDRAW_MS = 200;

/** Where log lines go: the stream, or above the progress bar while one is drawn. */
export class LogSink {
  #bar: cliProgress.MultiBar | null = null;

  constructor(readonly stream: NodeJS.WriteStream) {}

  write(line: string): void {
    if (this.#bar) this.#bar.log(line);
    else this.stream.write(line);
  }

  drawOn(bar: cliProgress.MultiBar | null): void {
    this.#bar = bar;
  }
}

export interface ProgressSubject {
  report: ImportReport;
  /** Bytes read of totalBytes; null when the input's size is unknown or it is read whole at once. */
  bytes: { read(): number; total: number } | null;
  /** --url mode also counts records sent again. */
  withRetries: boolean;
}

export interface Progress {
  /** Idempotent: the bar shows its last state and the terminal is left as it was. */
  stop(): void;
}

function counts(subject: ProgressSubject) {
  const { report } = subject;
  const retried = subject.withRetries ? `, ${report.retried} retried` : '';
  return { counts: `${report.read} read, ${report.written} written, ${report.rejected} rejected${retried}` };
}

function bar(sink: LogSink, subject: ProgressSubject): Progress {
  const format = subject.bytes ? '{bar} {percentage}% | {counts} | {duration_formatted}' : 'importing | {counts} | {duration_formatted}';
  const multibar = new cliProgress.MultiBar(
    { stream: sink.stream, format, hideCursor: true, gracefulExit: false, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const total = subject.bytes?.total ?? 1;
  const line = multibar.create(total, 0, counts(subject));
  sink.drawOn(multibar);
  const redraw = () => line.update(subject.bytes?.read() ?? 0, counts(subject));
  const timer = setInterval(redraw, BAR_REDRAW_MS);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      redraw();
      // Draws the log lines still buffered above the bar before it stops for good.
      multibar.update();
      multibar.stop();
      sink.drawOn(null);
    },
  };
}

function logLines(log: Logger, subject: ProgressSubject, everyMs: number): Progress {
  const timer = setInterval(() => {
    const { report } = subject;
    const bytes = subject.bytes ? { bytesRead: subject.bytes.read(), totalBytes: subject.bytes.total } : {};
    const retried = subject.withRetries ? { retried: report.retried } : {};
    log.info({ read: report.read, written: report.written, rejected: report.rejected, ...retried, ...bytes }, 'progress');
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}

export function startProgress(sink: LogSink, log: Logger, subject: ProgressSubject, everyMs = DEFAULT_PROGRESS_EVERY_MS): Progress {
  return sink.stream.isTTY ? bar(sink, subject) : logLines(log, subject, everyMs);
}
