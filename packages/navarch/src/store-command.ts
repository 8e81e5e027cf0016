import type { Command } from 'commander';

/** Adds `navarch store` to the program. */
export function registerStoreCommand(program: Command): void {
  program
    .command('store')
    .description('not built yet')
    .action(() => {
      throw new Error('navarch store is not built yet (see the open issues)');
    });
}
