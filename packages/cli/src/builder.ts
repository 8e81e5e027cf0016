/**
 * Resolving kubectl-style resource arguments: `TYPE NAME...`, `TYPE1,TYPE2`, `TYPE/NAME...`, `all`.
 */
import { type ResourceInfo, WELL_KNOWN_RESOURCES } from '@navarch/client';
import type { Factory } from './context.js';
import { CliError } from './errors.js';

/** One resource type the user named, and the object names under it (empty: every object). */
export interface ResourceRequest {
  info: ResourceInfo;
  names: string[];
}

/** Resolves a comma-separated type list; `all` expands to kubectl's `all` category. */
export async function resolveTypes(
  factory: Factory,
  types: string,
): Promise<{ infos: ResourceInfo[]; usedAll: boolean }> {
  const infos: ResourceInfo[] = [];
  let usedAll = false;
  for (const type of types.split(',').filter((t) => t !== '')) {
    if (type === 'all') {
      usedAll = true;
      for (const info of WELL_KNOWN_RESOURCES) {
        if (info.categories.includes('all') && !infos.includes(info)) infos.push(info);
      }
      continue;
    }
    const info = await factory.client().discovery.resolve(type);
    if (!infos.includes(info)) infos.push(info);
  }
  return { infos, usedAll };
}

/**
 * Turns positional arguments into typed requests. `multiKind` is true when kubectl would print
 * kind-qualified names (several types, `all`, or several `TYPE/NAME` types).
 */
export async function resolveResourceArgs(
  factory: Factory,
  args: string[],
): Promise<{ requests: ResourceRequest[]; multiKind: boolean; byName: boolean }> {
  if (args.length === 0) {
    throw new CliError(
      `You must specify the type of resource to get. Use "navctl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.`,
    );
  }
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length > 0) {
    if (slashed.length !== args.length) {
      throw new CliError(
        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'navctl get resource/<resource_name>' instead of 'navctl get resource resource/<resource_name>'",
      );
    }
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      const type = arg.slice(0, slash);
      const name = arg.slice(slash + 1);
      if (!type || !name)
        throw new CliError(`arguments in resource/name form must have a single resource and name`);
      const info = await factory.client().discovery.resolve(type);
      const existing = requests.find((r) => r.info === info);
      if (existing) existing.names.push(name);
      else requests.push({ info, names: [name] });
    }
    return { requests, multiKind: requests.length > 1, byName: true };
  }
  const [types = '', ...names] = args;
  const { infos, usedAll } = await resolveTypes(factory, types);
  return {
    requests: infos.map((info) => ({ info, names: [...names] })),
    multiKind: infos.length > 1 || usedAll,
    byName: names.length > 0,
  };
}
