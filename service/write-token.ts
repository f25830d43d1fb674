// Where the write tokens come from: the environment, else a token file; with neither, one is made
// (mode 0600) so a fresh `make multi` has a working write API. The token itself is never logged.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeTokensFromEnv } from '../api/auth.js';

export function writeTokens(env: NodeJS.ProcessEnv, fallbackFile: string, log: Logger): string[] {
  const configured = writeTokensFromEnv(env);
  if (configured.length > 0) return configured;
  if (!existsSync(fallbackFile)) {
    mkdirSync(path.dirname(fallbackFile), { recursive: true });
    writeFileSync(fallbackFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    log.info({ file: fallbackFile }, 'no write token configured: generated one (send it as Authorization: Bearer <token>)');
  }
  return writeTokensFromEnv({ TANDEM_WRITE_TOKEN_FILE: fallbackFile });
}
