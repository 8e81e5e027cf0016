/**
 * navctl: the Navarch command line, spelled like kubectl. Startup is part of the experience: this
 * entry loads nothing but the command tree (program.ts), and each command loads its own code, so
 * `navctl version --client` answers without evaluating the HTTP client, YAML or printers. It is
 * bundled into dist/navctl-core.cjs, which the executable (launcher.ts) starts.
 */
import { NAVCTL_VERSION } from './version.js';

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
