import { checkLinearizable, type KvOp, type KvOperation, type KvResult, kvModel } from '@navarch/sim';
import { describe, expect, it } from 'vitest';

/** Builds a completed operation. */
function done(
  clientId: number,
  op: KvOp,
  invokeTime: number,
  completeTime: number,
  result: KvResult,
): KvOperation {
  return { clientId, op, invokeTime, completeTime, result };
}

/** Builds an operation whose outcome is unknown (the client timed out). */
function lost(clientId: number, op: KvOp, invokeTime: number): KvOperation {
  return { clientId, op, invokeTime };
}

const put = (key: string, value: string): KvOp => ({ kind: 'put', key, value });
const get = (key: string): KvOp => ({ kind: 'get', key });
const cas = (key: string, expected: string | null, value: string): KvOp => ({
  kind: 'cas',
  key,
  expected,
  value,
});

describe('checkLinearizable with the kv model', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(checkLinearizable([], kvModel).outcome).toBe('ok');
    const history = [
      done(1, get('x'), 0, 1, { value: null }),
      done(1, put('x', 'a'), 2, 3, { ok: true }),
      done(2, get('x'), 4, 5, { value: 'a' }),
      done(2, cas('x', 'a', 'b'), 6, 7, { ok: true }),
      done(1, cas('x', 'a', 'c'), 8, 9, { ok: false }),
      done(1, get('x'), 10, 11, { value: 'b' }),
    ];
    const result = checkLinearizable(history, kvModel);
    expect(result.outcome).toBe('ok');
    expect(result.operations).toBe(6);
  });

  it('accepts concurrent operations in either order', () => {
    // The put and the get overlap, so the get may see the old or the new value.
    const seesNew = [done(1, put('x', 'a'), 0, 10, { ok: true }), done(2, get('x'), 1, 2, { value: 'a' })];
    const seesOld = [done(1, put('x', 'a'), 0, 10, { ok: true }), done(2, get('x'), 1, 2, { value: null })];
    expect(checkLinearizable(seesNew, kvModel).outcome).toBe('ok');
    expect(checkLinearizable(seesOld, kvModel).outcome).toBe('ok');
  });

  it('reports a stale read after a completed write', () => {
    const history = [done(1, put('x', 'a'), 0, 1, { ok: true }), done(2, get('x'), 2, 3, { value: null })];
    const result = checkLinearizable(history, kvModel);
    expect(result.outcome).toBe('violation');
    expect(result.failure?.partition).toBe('key "x"');
    expect(result.failure?.message).toContain('get(x)');
  });

  it('reports a lost acknowledged write', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      done(1, put('x', 'b'), 2, 3, { ok: true }),
      done(2, get('x'), 4, 5, { value: 'a' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('reports a read of a value nobody wrote', () => {
    const history = [done(1, get('x'), 0, 1, { value: 'ghost' })];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('reports two compare-and-sets that both succeed from the same expected value', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      done(2, cas('x', 'a', 'b'), 2, 5, { ok: true }),
      done(3, cas('x', 'a', 'c'), 3, 6, { ok: true }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('reports a failed cas that should have succeeded', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      done(2, cas('x', 'a', 'b'), 2, 3, { ok: false }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('reports non-monotonic reads by two clients (read order inverts write order)', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      done(1, put('x', 'b'), 2, 10, { ok: true }),
      done(2, get('x'), 3, 4, { value: 'b' }),
      done(3, get('x'), 5, 6, { value: 'a' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('lets an unknown write take effect late', () => {
    // The put timed out at the client but was applied after the first read.
    const history = [
      lost(1, put('x', 'a'), 0),
      done(2, get('x'), 5, 6, { value: null }),
      done(2, get('x'), 7, 8, { value: 'a' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
  });

  it('lets an unknown write never take effect', () => {
    const history = [lost(1, put('x', 'a'), 0), done(2, get('x'), 5, 6, { value: null })];
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
  });

  it('lets an unknown cas explain a later read, and keeps a read-back consistent', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      lost(1, cas('x', 'a', 'b'), 2),
      done(2, get('x'), 10, 11, { value: 'b' }),
      done(2, get('x'), 12, 13, { value: 'b' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
  });

  it('does not let an unknown write take effect before it was invoked', () => {
    const history = [done(2, get('x'), 0, 1, { value: 'a' }), lost(1, put('x', 'a'), 5)];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('does not let an unknown write take effect twice', () => {
    const history = [
      lost(1, put('x', 'a'), 0),
      done(2, get('x'), 1, 2, { value: 'a' }),
      done(2, put('x', 'b'), 3, 4, { ok: true }),
      done(2, get('x'), 5, 6, { value: 'a' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('violation');
  });

  it('keeps an unobserved unknown write when a failed cas may depend on it', () => {
    // Only the lost put of 'z' explains why the cas expecting 'a' failed.
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      lost(1, put('x', 'z'), 2),
      done(2, cas('x', 'a', 'b'), 3, 4, { ok: false }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
    const withoutLost = [history[0] as KvOperation, history[2] as KvOperation];
    expect(checkLinearizable(withoutLost, kvModel).outcome).toBe('violation');
  });

  it('checks keys independently and names the failing key', () => {
    const history = [
      done(1, put('x', 'a'), 0, 1, { ok: true }),
      done(1, put('y', 'a'), 2, 3, { ok: true }),
      done(2, get('y'), 4, 5, { value: null }),
      done(2, get('x'), 6, 7, { value: 'a' }),
    ];
    const result = checkLinearizable(history, kvModel);
    expect(result.partitions).toBe(2);
    expect(result.outcome).toBe('violation');
    expect(result.failure?.partition).toBe('key "y"');
  });

  it('stays fast on a long history with many unknown outcomes', () => {
    // 4 keys, 3 clients, 3,000 ops, a third of the writes lost; written values are unique.
    const history: KvOperation[] = [];
    const current = new Map<string, string | null>();
    let time = 0;
    for (let i = 0; i < 3000; i++) {
      const key = `k${i % 4}`;
      const client = i % 3;
      const value = `v${i}`;
      const before = current.get(key) ?? null;
      if (i % 5 === 0) {
        history.push(done(client, get(key), time, time + 1, { value: before }));
      } else if (i % 3 === 0) {
        history.push(lost(client, put(key, value), time));
        if (i % 2 === 0) current.set(key, value);
      } else if (i % 7 === 0) {
        const swapped = before === `v${i - 4}`;
        history.push(done(client, cas(key, `v${i - 4}`, value), time, time + 1, { ok: swapped }));
        if (swapped) current.set(key, value);
      } else {
        history.push(done(client, put(key, value), time, time + 1, { ok: true }));
        current.set(key, value);
      }
      time += 2;
    }
    const result = checkLinearizable(history, kvModel);
    expect(result.outcome).toBe('ok');
    expect(result.unknownOperations).toBeGreaterThan(500);
  });

  it('stays fast with many lost writes that only failed compare-and-sets could notice', () => {
    // 40 lost puts nobody read, each followed by a cas that failed: the search must not try every
    // subset of the lost writes (they are interchangeable), yet must still use one when needed.
    const history: KvOperation[] = [done(0, put('x', 'base'), 0, 1, { ok: true })];
    let t = 2;
    for (let i = 0; i < 40; i++) {
      history.push(lost(1, put('x', `lost${i}`), t));
      history.push(done(2, cas('x', 'nope', `c${i}`), t + 1, t + 2, { ok: false }));
      history.push(done(3, get('x'), t + 3, t + 4, { value: 'base' }));
      t += 5;
    }
    // The cas expecting 'base' failed although nothing observable changed 'base': only a lost
    // write can explain it, and then 'base' can never be read again.
    history.push(lost(1, put('x', 'lastLost'), t));
    history.push(done(2, cas('x', 'base', 'won'), t + 1, t + 2, { ok: false }));
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
    history.push(done(3, get('x'), t + 3, t + 4, { value: 'base' }));
    const result = checkLinearizable(history, kvModel);
    expect(result.outcome).toBe('violation');
    expect(result.statesExplored).toBeLessThan(100_000);
  });

  it('treats an observed lost write as certainly applied before its first observation', () => {
    const history = [
      lost(1, put('x', 'a'), 0),
      done(2, get('x'), 5, 6, { value: 'a' }),
      done(2, put('x', 'b'), 7, 8, { ok: true }),
      done(3, get('x'), 9, 10, { value: 'b' }),
    ];
    expect(checkLinearizable(history, kvModel).outcome).toBe('ok');
    const late = [...history, done(3, get('x'), 11, 12, { value: 'a' })];
    expect(checkLinearizable(late, kvModel).outcome).toBe('violation');
  });

  it('gives up with an inconclusive verdict when the search budget is exhausted', () => {
    // Many mutually concurrent writes followed by an impossible read force an exhaustive search.
    const history: KvOperation[] = [];
    for (let i = 0; i < 14; i++) history.push(done(i, put('x', `v${i}`), 0, 100, { ok: true }));
    history.push(done(99, get('x'), 200, 201, { value: 'never' }));
    const result = checkLinearizable(history, kvModel, { maxStatesPerPartition: 50 });
    expect(result.outcome).toBe('inconclusive');
  });

  it('rejects a malformed history', () => {
    expect(() => checkLinearizable([done(1, get('x'), 5, 4, { value: null })], kvModel)).toThrow(RangeError);
  });
});
