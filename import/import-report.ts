// What an import did, as counts, and its rejected records as log lines: each listed with its
// position, id and code up to a cap (a file of a million bad lines must not flood the log), all
// counted by code for the summary.
import type { Logger } from 'pino';
import type { RecordSource } from './record-source.js';

export const MAX_LISTED_REJECTIONS = 100;

export interface Rejection {
  position: number;
  id: string | null;
  code: string;
  message: string;
}

export interface ImportSummary {
  read: number;
  written: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** --url mode: records sent again after a 503, 429, timeout or lost connection. */
  retried?: number;
}

export class ImportReport {
  read = 0;
  written = 0;
  retried = 0;
  #rejected = 0;
  readonly #byCode = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly positionName: RecordSource['positionName'],
    private readonly maxListed = MAX_LISTED_REJECTIONS,
  ) {}

  get rejected(): number {
    return this.#rejected;
  }

  reject({ position, id, code, message }: Rejection): void {
    this.#rejected++;
    this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + 1);
    if (this.#rejected <= this.maxListed) {
      this.log.warn({ [this.positionName]: position, _id: id, code, problem: message }, 'record rejected');
    }
    if (this.#rejected === this.maxListed + 1) {
      this.log.warn({ listed: this.maxListed }, 'more records rejected: from here on they are only counted, by code');
    }
  }

  summary(withRetries: boolean): ImportSummary {
    const rejectedByCode = Object.fromEntries([...this.#byCode].sort(([a], [b]) => a.localeCompare(b)));
    return {
      read: this.read,
      written: this.written,
      rejected: this.#rejected,
      rejectedByCode,
      ...(withRetries ? { retried: this.retried } : {}),
    };
  }
}
