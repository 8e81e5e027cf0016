import type { Command } from 'commander';

/** Adds `navarch server` to the program. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('not built yet')
    .action(() => {
      throw new Error('navarch server is not built yet (see the open issues)');
    });
}
