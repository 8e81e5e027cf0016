/**
 * The command tree built for one command (what a run does) against the whole tree: the same
 * commands, and each command's help, arguments and options identical either way.
 */
import { buildProgram, COMMAND_NAMES } from '@navarch/cli';
import type { Command } from 'commander';
import { describe, expect, test } from 'vitest';

/** Every command under `cmd`, as `path → help text`. */
function helpTexts(cmd: Command, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of cmd.commands) {
    const path = `${prefix}${sub.name()}`;
    out.set(path, sub.helpInformation());
    for (const [p, text] of helpTexts(sub, `${path} `)) out.set(p, text);
  }
  return out;
}

describe('buildProgram(only)', () => {
  test('COMMAND_NAMES lists every top-level command, in order', () => {
    expect(buildProgram().commands.map((c) => c.name())).toEqual(COMMAND_NAMES);
  });

  test.each(COMMAND_NAMES)('%s: the only command, with the same help as in the whole tree', (name) => {
    const whole = buildProgram();
    const single = buildProgram(name);
    expect(single.commands.map((c) => c.name())).toEqual([name]);
    const wholeHelp = [...helpTexts(whole)].filter(([path]) => path === name || path.startsWith(`${name} `));
    expect([...helpTexts(single)]).toEqual(wholeHelp);
    // Root options (globals, --navctl-version) are the same.
    expect(single.options.map((o) => o.flags)).toEqual(whole.options.map((o) => o.flags));
  });
});
