// Shared by the authentication tests.
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config.ts';
import type { Logger } from '../../src/log.ts';
import type { Auth } from '../../src/server/auth.ts';

/** A logger that keeps what it is told, to check what the server says (and never says). */
export function recordingLog(): { log: Logger; lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> } {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger, lines };
}

/** The error a refused token gets; fails when the token is accepted. */
export async function refusal(auth: Auth, token: string): Promise<Error> {
  try {
    await auth.verifyAccessToken(token);
  } catch (error) {
    return error as Error;
  }
  assert.fail('the token was accepted');
}

/** The problems of the ConfigError a call throws. */
export function configProblem(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.join('\n');
  }
  assert.fail('no ConfigError');
}
