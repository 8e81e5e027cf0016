/**
 * `navctl completion bash|zsh`: shell completion for commands, flags, resource types, and object
 * names (names come from `navctl get TYPE -o name` at completion time).
 */
import { WELL_KNOWN_RESOURCES } from '@navarch/client';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

function words(program: Command): { commands: string[]; flags: Record<string, string[]> } {
  const flags: Record<string, string[]> = {};
  const commands: string[] = [];
  for (const cmd of program.commands) {
    commands.push(cmd.name());
    flags[cmd.name()] = cmd.options.map((o) => o.long ?? o.short ?? '').filter((f) => f !== '');
    for (const sub of cmd.commands) {
      flags[`${cmd.name()} ${sub.name()}`] = sub.options.map((o) => o.long ?? '').filter((f) => f !== '');
    }
  }
  return { commands, flags };
}

const NAME_COMMANDS = ['get', 'describe', 'delete', 'edit', 'label', 'annotate', 'patch', 'scale'];

/** The completion script for `shell`. */
export function completionScript(shell: string, program: Command): string {
  if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`Unsupported shell type "${shell}".`);
  const { commands, flags } = words(program);
  const types = [
    ...new Set(WELL_KNOWN_RESOURCES.flatMap((r) => [r.resource, ...r.shortNames]).concat(['all'])),
  ].sort();
  const configSubs = program.commands.find((c) => c.name() === 'config')?.commands.map((c) => c.name()) ?? [];
  const flagCases = Object.entries(flags)
    .filter(([name]) => !name.includes(' '))
    .map(([name, list]) => `    ${name}) flags="${list.join(' ')}" ;;`)
    .join('\n');
  const bash = `# navctl bash completion. Load with: source <(navctl completion bash)
_navctl() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [[ \${COMP_CWORD} -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${flagCases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
    return
  fi
  case "$prev" in
    -n|--namespace)
      COMPREPLY=( $(compgen -W "$(navctl get namespaces -o jsonpath='{.items[*].metadata.name}' 2>/dev/null)" -- "$cur") )
      return ;;
    --context)
      COMPREPLY=( $(compgen -W "$(navctl config get-contexts -o name 2>/dev/null)" -- "$cur") )
      return ;;
    -f|--filename|--kubeconfig)
      COMPREPLY=( $(compgen -f -- "$cur") )
      return ;;
  esac
  if [[ "$cmd" == "config" ]]; then
    if [[ \${COMP_CWORD} -eq 2 ]]; then
      COMPREPLY=( $(compgen -W "${configSubs.join(' ')}" -- "$cur") )
    elif [[ "\${COMP_WORDS[2]}" == "use-context" || "\${COMP_WORDS[2]}" == "delete-context" || "\${COMP_WORDS[2]}" == "rename-context" ]]; then
      COMPREPLY=( $(compgen -W "$(navctl config get-contexts -o name 2>/dev/null)" -- "$cur") )
    fi
    return
  fi
  case "$cmd" in
    ${NAME_COMMANDS.join('|')})
      if [[ \${COMP_CWORD} -eq 2 ]]; then
        COMPREPLY=( $(compgen -W "${types.join(' ')}" -- "$cur") )
      else
        local type="\${COMP_WORDS[2]}"
        COMPREPLY=( $(compgen -W "$(navctl get "$type" -o jsonpath='{.items[*].metadata.name}' 2>/dev/null)" -- "$cur") )
      fi ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
  esac
}
complete -F _navctl navctl
`;
  if (shell === 'bash') return bash;
  return `#compdef navctl
# navctl zsh completion. Load with: source <(navctl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash}`;
}
