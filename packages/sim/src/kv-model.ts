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
  if (v === UNOBSERVED) return '<a value nobody observed>';
  return v === null || v === undefined ? 'nil' : JSON.stringify(v);
}

/**
 * Simplifies the unknown-outcome operations of one key's history without changing its verdict,
 * which keeps the search small when many requests time out:
 * - an unknown get is dropped (it changes nothing and any answer is fine);
 * - an unknown put/cas whose value no other write writes, and that a completed operation observed
 *   (a get returned it, or a successful cas expected it), certainly took effect before that
 *   observation completed: it gets that completion time (unknown result), so the search stops
 *   treating it as pending forever;
 * - an unknown put/cas whose written value no operation ever observes (no completed get returns
 *   it, no cas expects it) while no failed cas completes after its invocation is dropped. Any
 *   linearization that used it stays valid without it: only a get of that value, a cas expecting
 *   it, or a failed cas could see the difference (unknown cas that become no-ops move to the end).
 */
function simplifyUnknown(ops: KvOperation[]): KvOperation[] {
  const observed = new Set<string>();
  /** For each value, the earliest completion of a completed operation that observed it. */
  const firstObservedAt = new Map<string, number>();
  const writers = new Map<string, number>();
  let lastFailedCasCompletion = Number.NEGATIVE_INFINITY;
  const observe = (value: string, at: number | undefined): void => {
    observed.add(value);
    if (at === undefined) return;
    const before = firstObservedAt.get(value);
    if (before === undefined || at < before) firstObservedAt.set(value, at);
  };
  for (const o of ops) {
    if (o.op.kind !== 'get' && o.op.value !== undefined)
      writers.set(o.op.value, (writers.get(o.op.value) ?? 0) + 1);
    if (o.op.kind === 'cas' && typeof o.op.expected === 'string') {
      observe(
        o.op.expected,
        o.completeTime !== undefined && o.result?.ok === true ? o.completeTime : undefined,
      );
    }
    if (o.completeTime === undefined) continue;
    if (o.op.kind === 'get' && typeof o.result?.value === 'string') observe(o.result.value, o.completeTime);
    if (o.op.kind === 'cas' && o.result?.ok === false) {
      lastFailedCasCompletion = Math.max(lastFailedCasCompletion, o.completeTime);
    }
  }
  const out: KvOperation[] = [];
  for (const o of ops) {
    if (o.completeTime !== undefined) {
      out.push(o);
      continue;
    }
    if (o.op.kind === 'get') continue;
    const value = o.op.value;
    if (value === undefined) {
      out.push(o);
      continue;
    }
    const seenAt = firstObservedAt.get(value);
    if (seenAt !== undefined && writers.get(value) === 1 && seenAt >= o.invokeTime) {
      out.push({ ...o, completeTime: seenAt });
      continue;
    }
    if (observed.has(value)) out.push(o);
    else if (lastFailedCasCompletion >= o.invokeTime) {
      // Kept only because a failed cas might need it; its value is never seen, so all such writes
      // are interchangeable: give them one junk value (see kvModel.interchangeable).
      out.push({ ...o, op: { ...o.op, value: UNOBSERVED } });
    }
  }
  return out;
}

/** Stand-in value of writes nobody observed; no real value equals it. */
const UNOBSERVED = '\u0000unobserved';

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
      operations: simplifyUnknown(byKey.get(key) ?? []),
    }));
  },
  interchangeable(op) {
    return op.value === UNOBSERVED ? `${op.kind}:${JSON.stringify(op.expected ?? null)}` : undefined;
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
