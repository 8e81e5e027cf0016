#!/usr/bin/env node
/**
 * The `navarch` binary: one thin entry that dispatches to `navarch server` and `navarch store`.
 * Flag definitions live beside each command (server-command.ts, store-command.ts).
 */
import { Command } from 'commander';
import { registerServerCommand } from './server-command.js';
import { registerStoreCommand } from './store-command.js';

const program = new Command('navarch').description('Navarch: a container orchestrator').showHelpAfterError();
registerServerCommand(program);
registerStoreCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
