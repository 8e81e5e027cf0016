/**
 * Linearizability checker for a recorded client history: the Wing–Gong / Lowe search with
 * memoization (as in Porcupine), applied to each independent part of the history separately
 * (P-compositionality: a history is linearizable iff each per-key sub-history is).
 *
 * Operations with an unknown outcome (a client timed out: `completeTime` absent) may take effect
 * at any point after their invocation, or never. They are modelled as returning at time +infinity
 * with any output; the search succeeds as soon as every completed operation is linearized, so an
 * unknown operation that was never linearized simply "never happened".
 *
 * Two operations whose times are equal (one completes at t, the other is invoked at t) are
 * treated as concurrent, which can only accept more histories: callers that want a strict order
 * should use strictly increasing times (the simulator uses a global event counter).
 */

/** One client operation of a history. `completeTime` absent means the outcome is unknown. */
export interface Operation<Input, Output> {
  /** Who issued it; one client has at most one operation outstanding (not required by the checker). */
  clientId: number | string;
  op: Input;
  invokeTime: number;
  /** When the client received the answer; absent if it never did (timeout, crash). */
  completeTime?: number;
  /** The answer; meaningful only when completeTime is present. */
  result?: Output;
}

/**
 * A sequential specification. States are immutable values: `step` returns a new state and never
 * mutates its argument.
 */
export interface Model<State, Input, Output> {
  /** Short name for messages. */
  name: string;
  /**
   * Splits a history into independent sub-histories (e.g. one per key) and may drop operations
   * that provably cannot affect the verdict. Default: the whole history as one part.
   */
  partition?(
    history: readonly Operation<Input, Output>[],
  ): { label: string; operations: Operation<Input, Output>[] }[];
  /** State before any operation. */
  init(): State;
  /**
   * The state after applying `input` with observed `output`, or undefined when `output` is
   * impossible from `state`. `output` undefined means the outcome is unknown: any output is fine.
   */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /**
   * Optional symmetry reduction: operations of unknown outcome whose inputs map to the same key
   * have identical effects, so the search only ever linearizes the earliest-invoked unused one of
   * each key (any other choice leads to the same states with fewer options left). Return undefined
   * for operations that are not interchangeable.
   */
  interchangeable?(input: Input): string | undefined;
  /** A string that is equal for equal states (memoization key). */
  stateKey(state: State): string;
  /** Human-readable text of an operation, for violation reports. */
  describe(input: Input, output: Output | undefined): string;
}

/** Verdict of {@link checkLinearizable}. */
export type LinearizabilityOutcome = 'ok' | 'violation' | 'inconclusive';

/** What {@link checkLinearizable} found. */
export interface LinearizabilityResult<Input, Output> {
  outcome: LinearizabilityOutcome;
  /** Operations in the history. */
  operations: number;
  /** Operations whose outcome is unknown. */
  unknownOperations: number;
  /** Independent parts checked. */
  partitions: number;
  /** Search states explored, summed over parts. */
  statesExplored: number;
  /** Set when outcome is not 'ok'. */
  failure?: {
    /** Label of the part that failed (e.g. the key). */
    partition: string;
    message: string;
    /** That part's operations, in invocation order, to reproduce or print. */
    operations: Operation<Input, Output>[];
  };
}

/** Options of {@link checkLinearizable}. */
export interface CheckOptions {
  /** Upper bound on search states per part; when exceeded the verdict is 'inconclusive'. Default 1,000,000. */
  maxStatesPerPartition?: number;
}

interface EventNode {
  id: number;
  isCall: boolean;
  time: number;
  prev: EventNode | null;
  next: EventNode | null;
  /** For a call: its return event (and vice versa). */
  match: EventNode | null;
}

type PartitionVerdict =
  | { outcome: 'ok'; states: number }
  | { outcome: 'violation' | 'inconclusive'; states: number; message: string };

/**
 * Checks that `history` is linearizable with respect to `model`. Never throws on a bad history;
 * throws only on malformed input (a completeTime before its invokeTime).
 */
export function checkLinearizable<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
  options: CheckOptions = {},
): LinearizabilityResult<Input, Output> {
  const maxStates = options.maxStatesPerPartition ?? 1_000_000;
  for (const op of history) {
    if (op.completeTime !== undefined && op.completeTime < op.invokeTime) {
      throw new RangeError(
        `operation of client ${op.clientId} completes (${op.completeTime}) before it is invoked (${op.invokeTime})`,
      );
    }
  }
  const parts = model.partition ? model.partition(history) : [{ label: 'all', operations: history.slice() }];
  const result: LinearizabilityResult<Input, Output> = {
    outcome: 'ok',
    operations: history.length,
    unknownOperations: history.filter((op) => op.completeTime === undefined).length,
    partitions: parts.length,
    statesExplored: 0,
  };
  let inconclusive: LinearizabilityResult<Input, Output>['failure'];
  for (const part of parts) {
    const verdict = checkPart(model, part.operations, maxStates);
    result.statesExplored += verdict.states;
    if (verdict.outcome === 'violation') {
      result.outcome = 'violation';
      result.failure = {
        partition: part.label,
        message: verdict.message,
        operations: part.operations.slice().sort((a, b) => a.invokeTime - b.invokeTime),
      };
      return result;
    }
    if (verdict.outcome === 'inconclusive' && inconclusive === undefined) {
      inconclusive = { partition: part.label, message: verdict.message, operations: part.operations.slice() };
    }
  }
  if (inconclusive !== undefined) {
    result.outcome = 'inconclusive';
    result.failure = inconclusive;
  }
  return result;
}

function describeTimed<Input, Output>(
  model: Model<unknown, Input, Output>,
  op: Operation<Input, Output>,
): string {
  const window = `[${op.invokeTime}, ${op.completeTime ?? '?'}]`;
  const text = model.describe(op.op, op.completeTime === undefined ? undefined : op.result);
  return `client ${op.clientId} ${text} ${window}`;
}

function checkPart<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly Operation<Input, Output>[],
  maxStates: number,
): PartitionVerdict {
  const n = ops.length;
  if (n === 0) return { outcome: 'ok', states: 0 };
  const events: EventNode[] = [];
  for (let id = 0; id < n; id++) {
    const op = ops[id] as Operation<Input, Output>;
    const call: EventNode = { id, isCall: true, time: op.invokeTime, prev: null, next: null, match: null };
    const ret: EventNode = {
      id,
      isCall: false,
      time: op.completeTime ?? Number.POSITIVE_INFINITY,
      prev: null,
      next: null,
      match: call,
    };
    call.match = ret;
    events.push(call, ret);
  }
  // Calls sort before returns at equal times: touching intervals count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: EventNode = {
    id: -1,
    isCall: false,
    time: Number.NEGATIVE_INFINITY,
    prev: null,
    next: null,
    match: null,
  };
  let tail = head;
  for (const e of events) {
    tail.next = e;
    e.prev = tail;
    tail = e;
  }

  const lift = (call: EventNode): void => {
    const ret = call.match as EventNode;
    (call.prev as EventNode).next = call.next;
    if (call.next) call.next.prev = call.prev;
    (ret.prev as EventNode).next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: EventNode): void => {
    const ret = call.match as EventNode;
    (ret.prev as EventNode).next = ret;
    if (ret.next) ret.next.prev = ret;
    (call.prev as EventNode).next = call;
    if (call.next) call.next.prev = call;
  };

  // Symmetry classes of interchangeable unknown operations: members in invocation order, and how
  // many of each class are linearized (always a prefix of the members).
  const classOf = new Int32Array(n).fill(-1);
  const members: number[][] = [];
  const used: number[] = [];
  if (model.interchangeable) {
    const classIds = new Map<string, number>();
    const order = ops
      .map((_, id) => id)
      .sort(
        (a, b) =>
          (ops[a] as Operation<Input, Output>).invokeTime - (ops[b] as Operation<Input, Output>).invokeTime ||
          a - b,
      );
    for (const id of order) {
      const op = ops[id] as Operation<Input, Output>;
      if (op.completeTime !== undefined) continue;
      const key = model.interchangeable(op.op);
      if (key === undefined) continue;
      let c = classIds.get(key);
      if (c === undefined) {
        c = members.length;
        classIds.set(key, c);
        members.push([]);
        used.push(0);
      }
      classOf[id] = c;
      (members[c] as number[]).push(id);
    }
  }
  const isTurn = (id: number): boolean => {
    const c = classOf[id] as number;
    return c < 0 || (members[c] as number[])[used[c] as number] === id;
  };

  const words = new Uint32Array(Math.ceil(n / 32));
  const bitsKey = (): string => words.join(',');
  const cache = new Set<string>();
  const stack: { call: EventNode; state: State }[] = [];
  let state = model.init();
  let completedLeft = ops.filter((op) => op.completeTime !== undefined).length;
  let states = 0;
  let deepest = -1;
  let blocker: Operation<Input, Output> | undefined;
  let entry = head.next;

  while (completedLeft > 0) {
    if (entry === null) throw new Error('linearizability search ran off the event list (checker bug)');
    const op = ops[entry.id] as Operation<Input, Output>;
    if (entry.isCall) {
      if (!isTurn(entry.id)) {
        entry = entry.next;
        continue;
      }
      const known = op.completeTime !== undefined;
      const next = model.step(state, op.op, known ? op.result : undefined);
      if (next !== undefined) {
        const word = entry.id >>> 5;
        const bit = 1 << (entry.id & 31);
        words[word] = (words[word] as number) | bit;
        const key = `${bitsKey()}|${model.stateKey(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          states++;
          if (states > maxStates) {
            return {
              outcome: 'inconclusive',
              states,
              message: `search gave up after ${maxStates} states on ${n} operations`,
            };
          }
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          const c = classOf[entry.id] as number;
          if (c >= 0) used[c] = (used[c] as number) + 1;
          if (known) completedLeft--;
          entry = head.next;
          continue;
        }
        words[word] = (words[word] as number) & ~bit;
      }
      entry = entry.next;
      continue;
    }
    // A return event: the operation it closes was not linearized before its response, so the
    // current prefix cannot be extended; undo the last choice.
    if (stack.length >= deepest) {
      deepest = stack.length;
      blocker = op;
    }
    const top = stack.pop();
    if (top === undefined) {
      const culprit =
        blocker === undefined
          ? ''
          : `; deepest search (${deepest} ops linearized) could not place ${describeTimed(model, blocker)}`;
      return {
        outcome: 'violation',
        states,
        message: `no linearization of ${n} operations under ${model.name}${culprit}`,
      };
    }
    state = top.state;
    words[top.call.id >>> 5] = (words[top.call.id >>> 5] as number) & ~(1 << (top.call.id & 31));
    unlift(top.call);
    const topClass = classOf[top.call.id] as number;
    if (topClass >= 0) used[topClass] = (used[topClass] as number) - 1;
    if ((ops[top.call.id] as Operation<Input, Output>).completeTime !== undefined) completedLeft++;
    entry = top.call.next;
  }
  return { outcome: 'ok', states };
}
