/**
 * The navctl command tree: commands and flags only; each command's code is loaded on first use.
 */
import { Command, Option } from 'commander';
import type { Factory, GlobalFlags } from './context.js';
import { type Io, io } from './io.js';
import { NAVCTL_VERSION } from './version.js';

type Run = (factory: Factory, args: string[], flags: Record<string, unknown>, cmd: Command) => Promise<void>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const integer = (name: string) => (value: string) => {
  if (!/^-?\d+$/.test(value))
    throw new Error(`invalid argument "${value}" for "--${name}" flag: must be an integer`);
  return Number(value);
};

const GLOBAL_KEYS = [
  'kubeconfig',
  'context',
  'cluster',
  'user',
  'namespace',
  'server',
  'token',
  'insecureSkipTlsVerify',
  'certificateAuthority',
  'requestTimeout',
] as const;

function addGlobals(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'path to the kubeconfig file to use')
    .option('--context <name>', 'the name of the kubeconfig context to use')
    .option('--cluster <name>', 'the name of the kubeconfig cluster to use')
    .option('--user <name>', 'the name of the kubeconfig user to use')
    .option('-n, --namespace <namespace>', 'the namespace scope for this request')
    .option('-s, --server <url>', 'the address and port of the API server')
    .option('--token <token>', 'bearer token for authentication to the API server')
    .option('--insecure-skip-tls-verify', "don't check the server's certificate (insecure)")
    .option('--certificate-authority <file>', 'path to a cert file for the certificate authority')
    .option('--request-timeout <duration>', 'time to wait for one request (e.g. 30s, 1m; 0 = no limit)');
}

function globalFlags(cmd: Command): GlobalFlags {
  const merged = cmd.optsWithGlobals() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of GLOBAL_KEYS) if (merged[key] !== undefined) out[key] = merged[key];
  return out as GlobalFlags;
}

/** Wraps a lazily loaded command body: builds the factory, runs, closes connections. */
function lazy(load: () => Promise<Run>) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const { Factory } = await import('./context.js');
    const factory = new Factory(globalFlags(cmd));
    try {
      const run = await load();
      // With globals: the root program takes options like --namespace wherever they appear.
      await run(factory, cmd.args, cmd.optsWithGlobals(), cmd);
    } finally {
      await factory.close();
    }
  };
}

/** kubectl accepts `-o=json`; commander would read `=json` as the value, so split it first. */
export function normaliseArgv(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg === '--') {
      passthrough = true;
      out.push(arg);
      continue;
    }
    const m = /^(-[a-zA-Z])=(.*)$/s.exec(arg);
    if (m) out.push(m[1] as string, m[2] as string);
    else out.push(arg);
  }
  return out;
}

const dryRunOption = () =>
  new Option('--dry-run [strategy]', 'only print what would be sent: "client" or "server"').choices([
    'none',
    'client',
    'server',
  ]);

/** The top-level commands, in the order help lists them. */
export const COMMAND_NAMES: readonly string[] = [
  'get',
  'describe',
  'apply',
  'create',
  'replace',
  'diff',
  'delete',
  'scale',
  'label',
  'annotate',
  'patch',
  'edit',
  'api-resources',
  'api-versions',
  'explain',
  'version',
  'cluster-info',
  'completion',
  'config',
];

/**
 * Builds the navctl program (exported for tests and for completion). With `only`, the root
 * program gets just that one command: a run that invokes `get` need not build the other
 * commands' ~300 options (measured cold: 12 ms of CPU against 3.5). Parsing, help and errors of
 * that command are the same either way, since commander consults a command's siblings only for
 * root help and unknown-command suggestions, and a run whose first argument is a command name
 * needs neither (test/program.test.ts compares the help of every command both ways).
 */
export function buildProgram(only?: string): Command {
  const program = addGlobals(new Command('navctl'))
    .description('navctl controls the Navarch cluster manager (kubectl compatible).')
    .version(NAVCTL_VERSION, '--navctl-version', 'print the navctl version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(text),
    });

  const wanted = (name: string) => only === undefined || only === name;
  const sub = (name: string, description: string) =>
    addGlobals(program.command(name)).description(description);

  if (wanted('get')) {
    sub('get', 'Display one or many resources')
      .argument('[resources...]', 'TYPE[,TYPE...] [NAME...] | TYPE/NAME ...')
      .option('-o, --output <format>', 'json|yaml|name|wide|jsonpath=...|custom-columns=...')
      .option('-l, --selector <selector>', 'label selector (e.g. -l app=web,tier!=db)')
      .option('--field-selector <selector>', 'field selector (e.g. metadata.name=x)')
      .option('-A, --all-namespaces', 'list across all namespaces')
      .option('--show-labels', 'show all labels as the last column')
      .option('--sort-by <jsonpath>', 'sort by a JSONPath expression (e.g. .metadata.name)')
      .option('-w, --watch', 'after listing, watch for changes')
      .option('--watch-only', 'watch for changes without listing first')
      .option('--output-watch-events', 'print the watch event type (ADDED, MODIFIED, DELETED)')
      .option('--no-headers', "don't print headers")
      .option('--ignore-not-found', 'treat "resource not found" as a successful retrieval')
      .action(lazy(async () => (await import('./commands/get.js')).runGet as Run));
  }

  if (wanted('describe')) {
    sub('describe', 'Show details of a resource or group of resources')
      .argument('<type>', 'resource type (or TYPE/NAME)')
      .argument('[names...]', 'object names')
      .option('-l, --selector <selector>', 'label selector')
      .option('-A, --all-namespaces', 'describe across all namespaces')
      .option('--show-events', 'show events (default true)', true)
      .action(lazy(async () => (await import('./commands/describe.js')).runDescribe as Run));
  }

  if (wanted('apply')) {
    sub('apply', 'Apply a configuration to a resource by file name or stdin')
      .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect, [])
      .option('-R, --recursive', 'process directories recursively')
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'print applied objects: json|yaml|name')
      .option('--server-side', 'use server-side apply')
      .option('--force-conflicts', 'with --server-side, take ownership of conflicting fields')
      .option(
        '--field-manager <name>',
        'name of the manager for server-side apply',
        'kubectl-client-side-apply',
      )
      .action(lazy(async () => (await import('./commands/apply.js')).runApply as Run));
  }

  if (wanted('create')) {
    const create = sub('create', 'Create a resource from a file or from stdin')
      .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect, [])
      .option('-R, --recursive', 'process directories recursively')
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'print created objects: json|yaml|name')
      .action(lazy(async () => (await import('./commands/apply.js')).runCreate as Run));
    addGlobals(create.command('namespace'))
      .alias('ns')
      .description('Create a namespace with the specified name')
      .argument('<name>')
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'json|yaml|name')
      .action(lazy(async () => (await import('./commands/apply.js')).runCreateNamespace as Run));
    addGlobals(create.command('configmap'))
      .alias('cm')
      .description('Create a config map from literal values')
      .argument('<name>')
      .option('--from-literal <key=value>', 'a key and literal value (repeatable)', collect, [])
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'json|yaml|name')
      .action(lazy(async () => (await import('./commands/apply.js')).runCreateConfigMap as Run));
  }

  if (wanted('replace')) {
    sub('replace', 'Replace a resource by file name or stdin')
      .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect, [])
      .option('-R, --recursive', 'process directories recursively')
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'json|yaml|name')
      .action(lazy(async () => (await import('./commands/apply.js')).runReplace as Run));
  }

  if (wanted('diff')) {
    sub('diff', 'Diff the live version against a would-be applied version')
      .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect, [])
      .option('-R, --recursive', 'process directories recursively')
      .action(lazy(async () => (await import('./commands/diff.js')).runDiff as Run));
  }

  if (wanted('delete')) {
    sub('delete', 'Delete resources by file names, stdin, resources and names, or by label selector')
      .argument('[resources...]', 'TYPE NAME... | TYPE/NAME ...')
      .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect, [])
      .option('-R, --recursive', 'process directories recursively')
      .option('-l, --selector <selector>', 'label selector')
      .option('--all', 'delete all resources of the given types in the namespace')
      .option('-A, --all-namespaces', 'with --all or -l, act in every namespace')
      .option(
        '--grace-period <seconds>',
        'seconds the object is given to terminate (-1: its default)',
        integer('grace-period'),
      )
      .option('--now', 'same as --grace-period=1')
      .option('--force', 'with --grace-period=0, delete immediately')
      .option('--ignore-not-found', 'treat "resource not found" as a successful delete')
      .option(
        '--wait [bool]',
        'wait for the objects to be gone (accepted for compatibility; navctl returns once the server accepted the delete)',
      )
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'name: print only kind/name')
      .action(lazy(async () => (await import('./commands/delete.js')).runDelete as Run));
  }

  if (wanted('scale')) {
    sub('scale', 'Set a new size for a deployment, replica set or stateful set')
      .argument('[resources...]', 'TYPE NAME | TYPE/NAME')
      .requiredOption('--replicas <count>', 'the new desired number of replicas', integer('replicas'))
      .option(
        '--current-replicas <count>',
        'only scale if the current size is this',
        integer('current-replicas'),
      )
      .option('-f, --filename <file>', 'file naming the objects to scale', collect, [])
      .option('-l, --selector <selector>', 'label selector')
      .option('--all', 'scale every object of the type')
      .addOption(dryRunOption())
      .action(lazy(async () => (await import('./commands/mutate.js')).runScale as Run));
  }

  for (const [verb, what] of [
    ['label', 'labels'],
    ['annotate', 'annotations'],
  ] as const) {
    if (!wanted(verb)) continue;
    sub(verb, `Update the ${what} on a resource`)
      .argument('[args...]', `TYPE NAME KEY=VALUE ... KEY- ...`)
      .option('--overwrite', `allow changing ${what} that already have a value`)
      .option('-l, --selector <selector>', 'label selector')
      .option('--all', 'every object of the type in the namespace')
      .option('-A, --all-namespaces', 'with --all or -l, act in every namespace')
      .option('--list', `print the current ${what} instead of changing them`)
      .option('-f, --filename <file>', 'file naming the objects', collect, [])
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'json|yaml|name')
      .action(
        lazy(
          async () =>
            (await import('./commands/mutate.js'))[verb === 'label' ? 'runLabel' : 'runAnnotate'] as Run,
        ),
      );
  }

  if (wanted('patch')) {
    sub('patch', 'Update fields of a resource')
      .argument('[resources...]', 'TYPE NAME | TYPE/NAME')
      .requiredOption('-p, --patch <patch>', 'the patch (JSON or YAML)')
      .addOption(
        new Option('--type <type>', 'patch type')
          .choices(['json', 'merge', 'strategic'])
          .default('strategic'),
      )
      .option('-f, --filename <file>', 'file naming the object', collect, [])
      .addOption(dryRunOption())
      .option('-o, --output <format>', 'json|yaml|name')
      .action(lazy(async () => (await import('./commands/mutate.js')).runPatch as Run));
  }

  if (wanted('edit')) {
    sub('edit', 'Edit a resource on the server with $KUBE_EDITOR or $EDITOR')
      .argument('[resources...]', 'TYPE NAME | TYPE/NAME')
      .addOption(new Option('-o, --output <format>', 'edit format').choices(['yaml', 'json']).default('yaml'))
      .action(lazy(async () => (await import('./commands/mutate.js')).runEdit as Run));
  }

  if (wanted('api-resources')) {
    sub('api-resources', 'Print the supported API resources on the server')
      .option('-o, --output <format>', 'wide|name')
      .option('--namespaced <bool>', 'only namespaced (true) or cluster-scoped (false) resources')
      .option('--api-group <group>', 'only resources of this API group ("" for core)')
      .option('--no-headers', "don't print headers")
      .option('--sort-by <field>', 'sort by name or kind')
      .action(lazy(async () => (await import('./commands/info.js')).runApiResources as Run));
  }

  if (wanted('api-versions')) {
    sub(
      'api-versions',
      'Print the supported API versions on the server, in the form of "group/version"',
    ).action(lazy(async () => (await import('./commands/info.js')).runApiVersions as Run));
  }

  if (wanted('explain')) {
    sub('explain', 'Get documentation for a resource')
      .argument('<path>', 'RESOURCE[.FIELD...]')
      .option('--recursive', 'print the fields of fields')
      .option('--api-version <version>', 'the API version (group/version) to explain')
      .action(lazy(async () => (await import('./commands/explain.js')).runExplain as Run));
  }

  if (wanted('version')) {
    sub('version', 'Print the client and server version information')
      .option('--client', 'print the client version only (no server needed)')
      .addOption(new Option('-o, --output <format>', 'yaml|json').choices(['yaml', 'json']))
      .action(async (...params: unknown[]) => {
        const cmd = params[params.length - 1] as Command;
        const opts = cmd.opts() as { client?: boolean; output?: string };
        // The client-only path imports nothing heavy: it is the startup-latency benchmark.
        if (opts.client && !opts.output) {
          io.out(`Client Version: ${NAVCTL_VERSION}\n`);
          return;
        }
        await lazy(async () => (await import('./commands/info.js')).runVersion as Run)(...params);
      });
  }

  if (wanted('cluster-info')) {
    sub('cluster-info', 'Display the address of the control plane').action(
      lazy(async () => (await import('./commands/info.js')).runClusterInfo as Run),
    );
  }

  if (wanted('completion')) {
    sub('completion', 'Print the shell completion code for bash or zsh')
      .argument('<shell>', 'bash or zsh')
      .action(async (shell: string) => {
        const { completionScript } = await import('./commands/completion.js');
        io.out(completionScript(shell, buildProgram()));
      });
  }

  if (wanted('config')) {
    const config = program.command('config').description('Modify kubeconfig files');
    // Config subcommands take only --kubeconfig and --context: their own flags (--namespace,
    // --server, --token, ...) name what to write, not how to connect.
    const configCommand = (name: string, description: string, body: string) =>
      config
        .command(name)
        .option('--kubeconfig <file>', 'path to the kubeconfig file to use')
        .option('--context <name>', 'the name of the kubeconfig context to use')
        .description(description)
        .action(lazy(async () => (await import('./commands/config.js'))[body as 'runGetContexts'] as Run));
    configCommand('get-contexts', 'Describe one or many contexts', 'runGetContexts')
      .argument('[name]')
      .addOption(new Option('-o, --output <format>', 'name').choices(['name']))
      .option('--no-headers', "don't print headers");
    configCommand('current-context', 'Display the current context', 'runCurrentContext');
    configCommand('use-context', 'Set the current context in a kubeconfig file', 'runUseContext').argument(
      '<name>',
    );
    configCommand('set-context', 'Set a context entry in kubeconfig', 'runSetContext')
      .argument('[name]')
      .option('--current', 'modify the current context')
      .option('--namespace <namespace>', 'namespace of the context')
      .option('--cluster <cluster>', 'cluster of the context')
      .option('--user <user>', 'user of the context');
    configCommand('view', 'Display merged kubeconfig settings or a specified kubeconfig file', 'runView')
      .option('--minify', 'only the current context and what it uses')
      .option('--raw', 'print secrets (certificate data, tokens) instead of redacting them')
      .option('--flatten', 'embed referenced files as data')
      .addOption(new Option('-o, --output <format>', 'yaml|json|jsonpath=...').default('yaml'));
    configCommand('get-clusters', 'Display clusters defined in the kubeconfig', 'runGetClusters');
    configCommand('get-users', 'Display users defined in the kubeconfig', 'runGetUsers');
    configCommand(
      'delete-context',
      'Delete the specified context from the kubeconfig',
      'runDeleteContext',
    ).argument('<name>');
    configCommand('rename-context', 'Rename a context from the kubeconfig file', 'runRenameContext')
      .argument('<old>')
      .argument('<new>');
    configCommand('set-cluster', 'Set a cluster entry in kubeconfig', 'runSetCluster')
      .argument('<name>')
      .option('--server <url>', 'server address')
      .option('--certificate-authority <file>', 'CA file')
      .option('--embed-certs', 'embed the CA file content')
      .option('--insecure-skip-tls-verify', 'skip certificate checks');
    configCommand('set-credentials', 'Set a user entry in kubeconfig', 'runSetCredentials')
      .argument('<name>')
      .option('--token <token>', 'bearer token')
      .option('--client-certificate <file>', 'client certificate file')
      .option('--client-key <file>', 'client key file')
      .option('--embed-certs', 'embed the files content');
  }

  return program;
}

/**
 * Runs navctl with `argv` (without `node navctl`) and returns the exit code. `sinks` replaces the
 * output streams for the run (tests capture output this way); errors never escape as stack traces.
 */
export async function runCli(argv: string[], sinks?: Partial<Io>): Promise<number> {
  const saved = { ...io };
  if (sinks) Object.assign(io, sinks);
  const first = argv[0];
  const program = buildProgram(first !== undefined && COMMAND_NAMES.includes(first) ? first : undefined);
  program.exitOverride();
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Commander already printed its message (help, version, or a flag error).
      if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
        return 0;
      return (err as { exitCode?: number }).exitCode === 0 ? 0 : 1;
    }
    const { ExitSignal, formatError } = await import('./errors.js');
    if (err instanceof ExitSignal) return err.exitCode;
    io.err(`${formatError(err)}\n`);
    if (process.env.NAVCTL_DEBUG) io.err(`${(err as Error)?.stack ?? ''}\n`);
    return (err as { exitCode?: number }).exitCode ?? 1;
  } finally {
    Object.assign(io, saved);
  }
}
