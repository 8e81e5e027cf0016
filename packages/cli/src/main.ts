#!/usr/bin/env node
/**
 * navctl: the Navarch command line, spelled like kubectl. Startup is part of the experience: this
 * entry loads nothing but the command tree (program.ts), and each command loads its own code, so
 * `navctl version --client` answers without evaluating the HTTP client, YAML or printers.
 */
import { NAVCTL_VERSION } from './version.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 2 && argv[0] === 'version' && argv[1] === '--client') {
    process.stdout.write(`Client Version: ${NAVCTL_VERSION}\n`);
    return;
  }
  const { buildProgram, normaliseArgv } = await import('./program.js');
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Commander already printed its message (help, version, or a flag error).
      const exitCode = (err as { exitCode?: number }).exitCode ?? 1;
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : exitCode === 0 ? 0 : 1;
      return;
    }
    const { ExitSignal, formatError } = await import('./errors.js');
    if (err instanceof ExitSignal) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`${formatError(err)}\n`);
    if (process.env.NAVCTL_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  }
}

void main();
