// Opaque page cursors: where the pages served so far end, the version and store seq that answered
// the first page, and a fingerprint of the query, signed (HMAC-SHA256) so a client can neither
// forge one nor carry one over to another query.
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PageMark, PageRequest, QueryFilter } from '../channel/query-batch.js';

interface CursorBody {
  v: string;
  s: number;
  m: PageMark;
  /** The query's fingerprint. */
  f: string;
}

export type CursorCheck =
  | { ok: true; page: PageRequest }
  | { ok: false; code: 'TANDEM_ERR_BAD_CURSOR'; why: string }
  | { ok: false; code: 'TANDEM_ERR_CURSOR_MISMATCH' };

/** What a query is, for its cursor: its subject and its filter, not its page size. */
export function queryFingerprint(subject: unknown, filter: QueryFilter | undefined): string {
  // One-shot hash: a Hash object per query cost three times as much, on every answered page.
  return hash('sha256', JSON.stringify([subject, filter ?? {}]), 'base64url').slice(0, 22);
}

export class CursorSigner {
  private readonly secret: Buffer;

  /** Without a configured secret, cursors are good for this process's lifetime only. */
  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  issue(page: PageRequest, fingerprint: string): string {
    const body = Buffer.from(JSON.stringify({ v: page.version, s: page.seq, m: page.mark, f: fingerprint } satisfies CursorBody)).toString(
      'base64url',
    );
    return `${body}.${this.sign(body)}`;
  }

  check(cursor: string, fingerprint: string): CursorCheck {
    const [body, signature, ...rest] = cursor.split('.');
    if (!body || !signature || rest.length > 0) return { ok: false, code: 'TANDEM_ERR_BAD_CURSOR', why: 'not of the form body.signature' };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, code: 'TANDEM_ERR_BAD_CURSOR', why: 'its signature does not hold (changed, or from another deployment)' };
    let parsed: CursorBody;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorBody;
    } catch {
      return { ok: false, code: 'TANDEM_ERR_BAD_CURSOR', why: 'its body is not readable' };
    }
    if (parsed.f !== fingerprint) return { ok: false, code: 'TANDEM_ERR_CURSOR_MISMATCH' };
    return { ok: true, page: { version: parsed.v, seq: parsed.s, mark: parsed.m } };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
