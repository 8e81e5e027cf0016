/**
 * CLI errors and the one place that turns any failure into the line(s) kubectl would print.
 * A user error never shows a stack trace (set NAVCTL_DEBUG=1 to see one).
 */
import { ClientError, ConnectionError, StatusError, UnknownResourceError } from '@navarch/client';

/** A user-facing failure with its exit code; `message` is printed after `error: `. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, options: { code?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = options.code ?? 'NAVARCH_ERR_CLI';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Thrown to end the run with an exit code after output was already printed (e.g. `diff` → 1). */
export class ExitSignal extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitSignal';
    this.exitCode = exitCode;
  }
}

/** `Error from server (NotFound): pods "x" not found`, optionally with kubectl's `error when ...` context. */
export function formatStatusError(err: StatusError, context?: string): string {
  const prefix = err.reason ? `Error from server (${err.reason}): ` : 'Error from server: ';
  return prefix + (context ? `${context}: ` : '') + err.message;
}

/** The text kubectl prints for an error (without trailing newline). */
export function formatError(err: unknown): string {
  if (err instanceof StatusError) return formatStatusError(err);
  if (err instanceof ConnectionError) return err.message;
  if (err instanceof UnknownResourceError) return `error: ${err.message}`;
  if (err instanceof CliError || err instanceof ClientError) return `error: ${err.message}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
