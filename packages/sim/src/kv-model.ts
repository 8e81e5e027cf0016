/**
 * Sequential specification of a key-value register map (get / put / compare-and-set) for
 * {@link checkLinearizable}, partitioned by key. This is the shape of history the simulator
 * records and that other packages (the store's tests against real processes) can record too.
 */
import type { Model, Operation } from './linearizability.js';

/**
 * A client operation. `get` reads `key`; `put` sets it to `value`; `cas` sets it to `value` only
 * if its current value equals `expected` (null: only if the key is absent).
 */
export interface KvOp {
  kind: 'get' | 'put' | 'cas';
  key: string;
  /** Required for put and cas. */
  value?: string;
  /** Required for cas; null means "key absent". */
  expected?: string | null;
}

/**
 * The answer to a KvOp: a get returns `value` (null when the key is absent); a put returns
 * `ok: true`; a cas returns `ok` (whether it swapped). An operation that failed with a definite
 * error (it certainly did not take effect) must be left out of the history; one whose outcome is
 * unknown has no completeTime.
 */
export interface KvResult {
  ok?: boolean;
  value?: string | null;
}

/** One operation of a KV history. */
export type KvOperation = Operation<KvOp, KvResult>;

/** State of one key: its value, or null when absent. */
export type KvState = string | null;

function requireValue(op: KvOp): string {
  if (op.value === undefined) throw new TypeError(`${op.kind} on key ${op.key} has no value`);
  return op.value;
}

function requireExpected(op: KvOp): string | null {
  if (op.expected === undefined) throw new TypeError(`cas on key ${op.key} has no expected value`);
  return op.expected;
}

function show(v: string | null | undefined): string {
  return v === null || v === undefined ? 'nil' : JSON.stringify(v);
}

/**
 * Drops unknown-outcome operations that provably cannot change the verdict, which keeps the search
 * small when many requests time out:
 * - an unknown get (it changes nothing and any answer is fine);
 * - an unknown put/cas whose written value no operation ever observes (no completed get returns
 *   it, no cas expects it) while no failed cas completes after its invocation. Any linearization
 *   that used it stays valid without it: only a get of that value, a cas expecting it, or a failed
 *   cas could see the difference (unknown cas that become no-ops move to the end).
 */
function pruneUnknown(ops: KvOperation[]): KvOperation[] {
  const observed = new Set<string>();
  let lastFailedCasCompletion = Number.NEGATIVE_INFINITY;
  for (const o of ops) {
    if (o.op.kind === 'cas' && o.op.expected !== undefined && o.op.expected !== null)
      observed.add(o.op.expected);
    if (o.completeTime === undefined) continue;
    if (o.op.kind === 'get' && typeof o.result?.value === 'string') observed.add(o.result.value);
    if (o.op.kind === 'cas' && o.result?.ok === false) {
      lastFailedCasCompletion = Math.max(lastFailedCasCompletion, o.completeTime);
    }
  }
  return ops.filter((o) => {
    if (o.completeTime !== undefined) return true;
    if (o.op.kind === 'get') return false;
    const value = o.op.value;
    if (value === undefined || observed.has(value)) return true;
    return lastFailedCasCompletion >= o.invokeTime;
  });
}

/** Linearizability model of a map of registers with get, put and compare-and-set, split per key. */
export const kvModel: Model<KvState, KvOp, KvResult> = {
  name: 'kv',
  partition(history) {
    const byKey = new Map<string, KvOperation[]>();
    for (const o of history) {
      let list = byKey.get(o.op.key);
      if (list === undefined) {
        list = [];
        byKey.set(o.op.key, list);
      }
      list.push(o);
    }
    const keys = [...byKey.keys()].sort();
    return keys.map((key) => ({
      label: `key ${JSON.stringify(key)}`,
      operations: pruneUnknown(byKey.get(key) ?? []),
    }));
  },
  init: () => null,
  step(state, op, output) {
    switch (op.kind) {
      case 'get':
        if (output === undefined) return state;
        return (output.value ?? null) === state ? state : undefined;
      case 'put':
        return requireValue(op);
      case 'cas': {
        const expected = requireExpected(op);
        const value = requireValue(op);
        if (output === undefined) return state === expected ? value : state;
        if (output.ok === true) return state === expected ? value : undefined;
        return state === expected ? undefined : state;
      }
    }
  },
  stateKey: (state) => (state === null ? '\u0000' : `=${state}`),
  describe(op, output) {
    const known = output !== undefined;
    switch (op.kind) {
      case 'get':
        return `get(${op.key}) -> ${known ? show(output.value) : '?'}`;
      case 'put':
        return `put(${op.key}, ${show(op.value)}) -> ${known ? 'ok' : '?'}`;
      case 'cas':
        return `cas(${op.key}, ${show(op.expected)} => ${show(op.value)}) -> ${known ? String(output.ok === true) : '?'}`;
    }
  },
};
