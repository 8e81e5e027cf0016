#!/usr/bin/env node
/**
 * navctl: the Navarch command line, spelled like kubectl. Startup is part of the experience: this
 * entry loads nothing but the command tree (program.ts), and each command loads its own code, so
 * `navctl version --client` answers without evaluating the HTTP client, YAML or printers.
 */
import { setFlagsFromString } from 'node:v8';
import { NAVCTL_VERSION } from './version.js';

// undici parses HTTP with a WebAssembly module. V8 compiles it again with its optimising tier in
// background threads, and the process cannot exit until that compile ends: measured ~150 ms per
// command. A CLI makes a few requests, so the baseline (Liftoff) code is enough. It must be set
// before undici is loaded (the commands load it lazily).
setFlagsFromString('--liftoff-only');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 2 && argv[0] === 'version' && argv[1] === '--client') {
    process.stdout.write(`Client Version: ${NAVCTL_VERSION}\n`);
    return;
  }
  const { runCli } = await import('./program.js');
  const code = await runCli(argv);
  // An idle keep-alive connection in the HTTP pool would hold the process open for a while after
  // the work is done (measured: about 0.6 s per command). Exit as soon as the output is flushed.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

void main();
