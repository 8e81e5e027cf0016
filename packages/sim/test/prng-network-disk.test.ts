import { type Entry, type Message, MessageType, newMessage } from '@navarch/raft';
import { Disk, Network, Prng, perfectLink } from '@navarch/sim';
import { describe, expect, it } from 'vitest';

describe('Prng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    const sb = Array.from({ length: 20 }, () => b.nextUint32());
    const sc = Array.from({ length: 20 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    // Seeds that differ only above 32 bits still differ.
    expect(new Prng(2 ** 40).nextUint32()).not.toBe(new Prng(0).nextUint32());
  });

  it('keeps values in range and covers the range', () => {
    const p = new Prng(7);
    const seen = new Set<number>();
    let outOfRange = 0;
    for (let i = 0; i < 2000; i++) {
      const v = p.range(3, 9);
      if (v < 3 || v > 9 || !Number.isInteger(v)) outOfRange++;
      seen.add(v);
      const f = p.nextFloat();
      if (f < 0 || f >= 1) outOfRange++;
    }
    expect(outOfRange).toBe(0);
    expect(seen.size).toBe(7);
    expect(p.chance(0)).toBe(false);
    expect(p.chance(1)).toBe(true);
    expect(() => p.int(0)).toThrow(RangeError);
    expect(() => new Prng(-1)).toThrow(RangeError);
  });

  it('is roughly uniform', () => {
    const p = new Prng(99);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const k = p.int(4);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });

  it('forks independent, reproducible streams', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const fa = a.fork();
    const fb = b.fork();
    expect(fa.nextUint32()).toBe(fb.nextUint32());
    expect(a.nextUint32()).toBe(b.nextUint32());
    expect(new Prng(5).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Network', () => {
  const msg = (index: number) => newMessage({ type: MessageType.App, from: 1, to: 2, index });

  it('delivers within the latency bounds and in send order at equal ticks', () => {
    const net = new Network<Message>(new Prng(1), {
      ...perfectLink(),
      minLatencyTicks: 2,
      maxLatencyTicks: 5,
    });
    for (let i = 0; i < 50; i++) net.send(1, 2, msg(i), 0);
    expect(net.deliverDue(1)).toEqual([]);
    const got = [];
    for (let t = 2; t <= 5; t++) {
      const batch = net.deliverDue(t);
      for (const e of batch) {
        expect(e.deliverAt).toBe(t);
        got.push(e.payload.index);
      }
      // Within one tick messages keep their send order.
      const indexes = batch.map((e) => e.payload.index);
      expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
    }
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(net.inFlight).toBe(0);
  });

  it('reorders, drops and duplicates according to the link settings', () => {
    const net = new Network<Message>(new Prng(2), {
      dropRate: 0.2,
      duplicateRate: 0.2,
      reorderRate: 0.3,
      reorderDelayTicks: 10,
      minLatencyTicks: 1,
      maxLatencyTicks: 3,
    });
    for (let i = 0; i < 1000; i++) net.send(1, 2, msg(i), i);
    const delivered = net.deliverDue(5000);
    expect(net.stats.dropped).toBeGreaterThan(100);
    expect(net.stats.duplicated).toBeGreaterThan(100);
    expect(delivered.length).toBe(1000 - net.stats.dropped + net.stats.duplicated);
    const order = delivered.map((e) => e.payload.index);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('gives every delivery its own copy', () => {
    const net = new Network<Message>(new Prng(3), { ...perfectLink(), duplicateRate: 1 }, (m) => ({ ...m }));
    const m = msg(1);
    net.send(1, 2, m, 0);
    const [a, b] = net.deliverDue(10);
    expect(a?.payload).not.toBe(m);
    expect(a?.payload).not.toBe(b?.payload);
  });

  it('blocks both directions in a symmetric partition, one in an asymmetric one, and heals', () => {
    const net = new Network<Message>(new Prng(4), perfectLink());
    net.partition([[1], [2, 3]]);
    expect(net.isBlocked(1, 2) && net.isBlocked(2, 1) && net.isBlocked(3, 1)).toBe(true);
    expect(net.isBlocked(2, 3)).toBe(false);
    net.heal();
    net.blockOneWay(1, 2);
    expect(net.isBlocked(1, 2)).toBe(true);
    expect(net.isBlocked(2, 1)).toBe(false);
    net.send(1, 2, msg(1), 0);
    net.send(2, 1, msg(2), 0);
    expect(net.deliverDue(1).map((e) => e.payload.index)).toEqual([2]);
    expect(net.stats.partitionDropped).toBe(1);
  });

  it('drops messages in flight when a partition cuts their link, and reports the loss', () => {
    const net = new Network<Message>(new Prng(5), {
      ...perfectLink(),
      minLatencyTicks: 3,
      maxLatencyTicks: 3,
    });
    const lost: number[] = [];
    net.onLost = (e) => lost.push(e.payload.index);
    net.send(1, 2, msg(7), 0);
    net.partition([[1], [2]]);
    expect(net.deliverDue(3)).toEqual([]);
    expect(lost).toEqual([7]);
  });
});

describe('Disk', () => {
  const enc = new TextEncoder();
  const entries = (from: number, to: number, term: number): Entry[] =>
    Array.from({ length: to - from + 1 }, (_, i) => ({
      index: from + i,
      term,
      type: 'normal' as const,
      data: enc.encode(`e${from + i}`),
    }));

  it('keeps synced writes and loses unsynced ones in a crash', () => {
    const disk = new Disk({ voters: [1, 2, 3], learners: [] });
    disk.writeEntries(entries(1, 3, 1));
    disk.writeHardState({ term: 1, vote: 1, commit: 2 });
    disk.sync();
    disk.writeEntries(entries(4, 6, 1));
    disk.writeHardState({ term: 2, vote: 3, commit: 3 });
    expect(disk.storage.lastIndex()).toBe(6); // the process sees its own writes
    disk.crash(0);
    expect(disk.storage.lastIndex()).toBe(3);
    expect(disk.storage.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 2 });
    expect(disk.storage.initialState().confState.voters).toEqual([1, 2, 3]);
    expect(disk.stats.lostWrites).toBe(2);
  });

  it('keeps exactly a prefix of whole unsynced Readies in a torn crash', () => {
    const disk = new Disk({ voters: [1], learners: [] });
    disk.writeReady({ entries: entries(1, 2, 1), hardState: { term: 1, vote: 1, commit: 0 } });
    disk.writeReady({ entries: entries(3, 5, 1), hardState: { term: 1, vote: 1, commit: 4 } });
    disk.crash(1);
    // The second Ready is gone as a whole: never its entries without its hard state.
    expect(disk.storage.lastIndex()).toBe(2);
    expect(disk.storage.initialState().hardState.commit).toBe(0);
    expect(disk.stats.tornSurvivors).toBe(1);
    expect(disk.stats.lostWrites).toBe(1);
  });

  it('replays truncations, snapshots and compaction into the durable state', () => {
    const disk = new Disk({ voters: [1, 2], learners: [] });
    disk.writeEntries(entries(1, 10, 1));
    disk.writeEntries(entries(8, 9, 2)); // truncates 8..10
    disk.compact(6, { voters: [1, 2], learners: [3] }, enc.encode('state@6'), 4);
    disk.sync();
    disk.crash(0);
    const s = disk.storage;
    expect(s.lastIndex()).toBe(9);
    expect(s.term(9)).toBe(2);
    expect(s.firstIndex()).toBe(5);
    expect(s.snapshot().metadata.index).toBe(6);
    expect(s.snapshot().metadata.confState.learners).toEqual([3]);
    disk.writeSnapshot({
      metadata: { index: 20, term: 3, confState: { voters: [1, 2], learners: [] } },
      data: enc.encode('state@20'),
    });
    disk.sync();
    disk.crash(0);
    expect(disk.storage.firstIndex()).toBe(21);
    expect(disk.storage.lastIndex()).toBe(20);
    expect(disk.storage.term(20)).toBe(3);
  });
});
