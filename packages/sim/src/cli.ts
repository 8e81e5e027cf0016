/**
 * `npm run sim -- --seeds N [--seed S] [--steps K]`: runs seeds S, S+1, ..., S+N-1 and prints a
 * summary. Prints the seed(s) first so any run can be repeated exactly; a failing seed reproduces
 * with `--seed <seed> --seeds 1`. Exits 1 when any seed finds a violation, 2 on bad arguments.
 * This is the only file of the package allowed to read the clock: to pick a seed when none is given.
 */
import type { TestingBugs } from '@navarch/raft';
import { MAX_SEED } from './prng.js';
import { chooseProfile, type FaultProfile, type RunResult, runSeed } from './run.js';

interface CliOptions {
  seed: number;
  seeds: number;
  steps: number;
  livenessTicks: number;
  bug?: keyof TestingBugs;
  verbose: boolean;
  failFast: boolean;
  traceLines: number;
  /** Overrides of the seed's fault profile (top-level numeric or boolean fields). */
  profile: Partial<FaultProfile>;
}

const USAGE = `usage: npm run sim -- [--seeds N] [--seed S] [--steps K] [--liveness-ticks L] [--bug NAME] [--verbose]
  --seeds N           number of seeds to run (default 1)
  --seed S            first seed (default: from the clock, or the SEED environment variable)
  --steps K           ticks of the safety phase per seed (default 2000)
  --liveness-ticks L  ticks the healed cluster gets to commit a new write (default 600)
  --bug NAME          turn on a deliberate Raft bug: commitPreviousTermEntries, forgetVoteOnRestart, skipPrevLogCheck
  --fail-fast         stop at the first seed that finds a violation
  --set NAME=VALUE    override a field of every seed's fault profile (e.g. --set membershipRate=0.02)
  --trace N           on a violation, print the last N events (messages, Readys, faults, Raft's log)
  --verbose           print one line per seed`;

const BUGS: readonly (keyof TestingBugs)[] = [
  'commitPreviousTermEntries',
  'forgetVoteOnRestart',
  'skipPrevLogCheck',
];

function parseInteger(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${text ?? 'nothing'}`);
  }
  return value;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const envSeed = process.env.SEED;
  // biome-ignore lint/style/noRestrictedGlobals: only the CLI reads the clock, to pick a seed when none is given.
  const clockSeed = Date.now() % 1_000_000_000;
  const options: CliOptions = {
    seed: envSeed !== undefined && envSeed !== '' ? parseInteger('SEED', envSeed, 0) : clockSeed,
    seeds: 1,
    steps: 2000,
    livenessTicks: 600,
    verbose: false,
    failFast: false,
    traceLines: 0,
    profile: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (arg) {
      case '--seed':
        options.seed = parseInteger('--seed', next(), 0);
        if (options.seed > MAX_SEED) throw new Error(`--seed must be at most ${MAX_SEED}`);
        break;
      case '--seeds':
        options.seeds = parseInteger('--seeds', next(), 1);
        break;
      case '--steps':
        options.steps = parseInteger('--steps', next(), 0);
        break;
      case '--liveness-ticks':
        options.livenessTicks = parseInteger('--liveness-ticks', next(), 1);
        break;
      case '--bug': {
        const name = next();
        if (!BUGS.includes(name as keyof TestingBugs))
          throw new Error(`--bug must be one of ${BUGS.join(', ')}`);
        options.bug = name as keyof TestingBugs;
        break;
      }
      case '--verbose':
        options.verbose = true;
        break;
      case '--trace':
        options.traceLines = parseInteger('--trace', next(), 1);
        break;
      case '--fail-fast':
        options.failFast = true;
        break;
      case '--set':
        setProfileField(options.profile, next());
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** Applies `--set name=value` to the profile overrides; only existing numeric or boolean fields. */
function setProfileField(profile: Partial<FaultProfile>, assignment: string | undefined): void {
  const [name, text] = (assignment ?? '').split('=', 2);
  const sample = chooseProfile(0) as unknown as Record<string, unknown>;
  if (name === undefined || text === undefined || !(name in sample)) {
    throw new Error(`--set needs NAME=VALUE with NAME one of ${Object.keys(sample).join(', ')}`);
  }
  const kind = typeof sample[name];
  const target = profile as Record<string, unknown>;
  if (kind === 'boolean' && (text === 'true' || text === 'false')) target[name] = text === 'true';
  else if (kind === 'number' && text !== '' && Number.isFinite(Number(text))) target[name] = Number(text);
  else throw new Error(`--set ${name} takes a ${kind}`);
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function main(): number {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`sim: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const last = options.seed + options.seeds - 1;
  console.log(
    options.seeds === 1 ? `seed ${options.seed}` : `seeds ${options.seed}..${last} (${options.seeds} seeds)`,
  );
  console.log(`steps ${options.steps} per seed${options.bug ? `, bug ${options.bug} ON` : ''}`);
  const faults: Record<string, number> = {};
  const lin: Record<string, number> = {};
  const failures: RunResult[] = [];
  let ticks = 0;
  let invoked = 0;
  let completed = 0;
  let unknown = 0;
  let readIndexReads = 0;
  let checks = 0;
  let run = 0;
  const sets = Object.entries(options.profile)
    .map(([k, v]) => ` --set ${k}=${String(v)}`)
    .join('');
  for (let seed = options.seed; seed <= last; seed++) {
    run++;
    const result = runSeed({
      seed,
      safetyTicks: options.steps,
      livenessTicks: options.livenessTicks,
      traceLines: options.traceLines,
      profile: options.profile,
      ...(options.bug === undefined ? {} : { testingBugs: { [options.bug]: true } }),
    });
    ticks += result.ticks;
    invoked += result.operations.invoked;
    completed += result.operations.completed;
    unknown += result.operations.unknown;
    readIndexReads += result.operations.readIndexReads;
    checks += result.invariantChecks;
    add(faults, result.faults);
    lin[result.linearizability] = (lin[result.linearizability] ?? 0) + 1;
    if (options.verbose || !result.ok) {
      const status = result.ok
        ? 'ok'
        : `VIOLATION ${result.violation?.kind} at tick ${result.violation?.tick}`;
      console.log(
        `seed ${seed}: ${status}; ticks ${result.ticks}, ops ${result.operations.invoked} (${result.operations.unknown} unknown), commit ${result.committedIndex}, trace ${result.traceHash}`,
      );
    }
    if (result.ok && result.linearizability === 'inconclusive') {
      console.log(
        `seed ${seed}: note: linearizability search budget exhausted (inconclusive, not a violation)`,
      );
    }
    if (!result.ok) {
      failures.push(result);
      console.log(`  ${result.violation?.message.split('\n').join('\n  ')}`);
      if (options.verbose) for (const line of result.nodes) console.log(`  ${line}`);
      if (result.events.length > 0) {
        console.log(`  last ${result.events.length} events:`);
        for (const line of result.events) console.log(`    ${line}`);
      }
      console.log(
        `  reproduce: npm run sim -- --seed ${seed} --steps ${options.steps}${options.bug ? ` --bug ${options.bug}` : ''}${sets}`,
      );
      if (options.failFast) break;
    }
  }
  console.log('summary');
  console.log(`  seeds       ${run} run, ${run - failures.length} passed, ${failures.length} failed`);
  console.log(`  ticks       ${ticks}`);
  const faultText = Object.keys(faults)
    .sort()
    .map((k) => `${k}=${faults[k]}`)
    .join(' ');
  console.log(`  faults      ${faultText}`);
  console.log(
    `  operations  ${invoked} invoked, ${completed} completed (${readIndexReads} ReadIndex gets), ${unknown} unknown outcome`,
  );
  console.log(
    `  linearizability ${Object.keys(lin)
      .sort()
      .map((k) => `${k}=${lin[k]}`)
      .join(' ')}`,
  );
  console.log(`  invariant checks ${checks}`);
  console.log(
    `  violations  ${failures.length}${failures.length > 0 ? ` (seeds ${failures.map((f) => f.seed).join(', ')})` : ''}`,
  );
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = main();
