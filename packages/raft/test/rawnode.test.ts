import {
  type Config,
  ErrInvalidConfig,
  ErrReadyContract,
  ErrStepLocalMessage,
  MemoryStorage,
  MessageType,
  newMessage,
  RawNode,
  type Ready,
} from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { enc, Network, seededRandom } from './harness.js';

function config(storage: MemoryStorage, extra: Partial<Config> = {}): Config {
  return { id: 1, electionTicks: 10, heartbeatTicks: 1, storage, random: seededRandom(3), ...extra };
}

/** Handles one Ready as a driver would (persist, then advance) and returns it. */
function persistAndAdvance(node: RawNode, storage: MemoryStorage): Ready {
  const rd = node.ready();
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

describe('RawNode and the Ready contract', () => {
  it('ready() twice without advance() throws', () => {
    const node = new RawNode(config(MemoryStorage.withConfState({ voters: [1], learners: [] })));
    expect(node.hasReady()).toBe(true);
    node.ready();
    expect(() => node.ready()).toThrow(ErrReadyContract);
  });

  it('advance() with a Ready that is not the last one returned throws', () => {
    const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
    const node = new RawNode(config(storage));
    const first = node.ready();
    expect(() => node.advance({ ...first })).toThrow(ErrReadyContract);
    node.advance(first);
    expect(() => node.advance(first)).toThrow(ErrReadyContract);
  });

  it('the first Ready of a bootstrapped node persists and applies the initial membership', () => {
    const storage = MemoryStorage.withConfState({ voters: [1, 2, 3], learners: [] });
    const node = new RawNode(config(storage));
    const rd = node.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 0, commit: 3 });
    expect(rd.entries.map((e) => [e.index, e.term, e.type])).toEqual([
      [1, 1, 'confChange'],
      [2, 1, 'confChange'],
      [3, 1, 'confChange'],
    ]);
    expect(rd.committedEntries).toHaveLength(3);
    expect(rd.mustSync).toBe(true);
    storage.append(rd.entries);
    storage.setHardState(rd.hardState!);
    node.advance(rd);
    expect(node.hasReady()).toBe(false);
    expect(node.status().applied).toBe(3);
  });

  it('a vote is in the Ready hard state together with the message that grants it', () => {
    const storage = MemoryStorage.withConfState({ voters: [1, 2, 3], learners: [] });
    const node = new RawNode(config(storage));
    const boot = node.ready();
    storage.append(boot.entries);
    storage.setHardState(boot.hardState!);
    node.advance(boot);
    node.step(newMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, index: 3, logTerm: 1 }));
    const rd = node.ready();
    expect(rd.hardState).toEqual({ term: 5, vote: 2, commit: 3 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toHaveLength(1);
    expect(rd.messages[0]).toMatchObject({ type: MessageType.VoteResp, to: 2, term: 5, reject: false });
  });

  it('refuses to step local message kinds', () => {
    const node = new RawNode(config(MemoryStorage.withConfState({ voters: [1], learners: [] })));
    expect(() => node.step(newMessage({ type: MessageType.Hup, from: 1, to: 1 }))).toThrow(
      ErrStepLocalMessage,
    );
  });

  it('validates the config', () => {
    const storage = new MemoryStorage();
    expect(() => new RawNode(config(storage, { id: 0 }))).toThrow(ErrInvalidConfig);
    expect(() => new RawNode(config(storage, { electionTicks: 1, heartbeatTicks: 1 }))).toThrow(
      ErrInvalidConfig,
    );
    expect(() => new RawNode(config(storage, { maxInflightMsgs: 0 }))).toThrow(ErrInvalidConfig);
  });

  it('asserts that Config.random stays in [0, 1)', () => {
    const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
    expect(() => new RawNode(config(storage, { random: () => 1 }))).toThrow(/outside \[0, 1\)/);
  });

  it('detects a storage whose hard state commit is beyond its log (corruption)', () => {
    const storage = new MemoryStorage();
    storage.setHardState({ term: 2, vote: 1, commit: 10 });
    expect(() => new RawNode(config(storage))).toThrow(/out of range/);
  });
});

describe('config', () => {
  it('logs through the optional pure callback with structured fields', () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
    const node = new RawNode(
      config(storage, { logger: (level, message, fields) => lines.push({ level, message, fields }) }),
    );
    node.campaign();
    // Refused: the bootstrap conf changes are not applied yet.
    expect(lines.find((l) => l.message === 'became leader')).toBeUndefined();
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('pending configuration changes'))).toBe(
      true,
    );
    const rd = node.ready();
    storage.append(rd.entries);
    node.advance(rd);
    node.campaign();
    const leader = lines.find((l) => l.message === 'became leader');
    expect(leader?.level).toBe('info');
    expect(leader?.fields).toMatchObject({ node: 1, term: 2 });
  });

  it('bounds the committed entries handed out in one Ready', () => {
    const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
    const node = new RawNode(config(storage, { maxCommittedSizePerReadyBytes: 1 }));
    const handle = () => persistAndAdvance(node, storage);
    expect(handle().committedEntries).toHaveLength(1); // one bootstrap entry at a time
    while (node.hasReady()) handle();
    node.campaign();
    for (let i = 0; i < 5; i++) node.propose(enc(`e${i}`));
    const sizes: number[] = [];
    while (node.hasReady()) sizes.push(handle().committedEntries.length);
    expect(sizes.every((n) => n <= 1)).toBe(true);
    expect(node.status().applied).toBe(node.status().lastIndex);
  });
});

describe('proposeBatch', () => {
  it('appends the entries together and sends them in one AppendEntries per follower', () => {
    const storage = MemoryStorage.withConfState({ voters: [1, 2, 3], learners: [] });
    const node = new RawNode(config(storage, { preVote: false }));
    const handle = () => persistAndAdvance(node, storage);
    while (node.hasReady()) handle();
    node.campaign();
    const term = handle().hardState!.term;
    node.step(newMessage({ type: MessageType.VoteResp, from: 2, to: 1, term }));
    expect(node.status().softState.role).toBe('leader');
    while (node.hasReady()) handle();
    // The followers acknowledge the leader's first (empty) entry, so they leave probing.
    const last = node.status().lastIndex;
    for (const from of [2, 3])
      node.step(newMessage({ type: MessageType.AppResp, from, to: 1, term, index: last }));
    while (node.hasReady()) handle();
    node.proposeBatch([enc('a'), enc('b'), enc('c')]);
    const rd = handle();
    expect(rd.entries.map((e) => Buffer.from(e.data).toString())).toEqual(['a', 'b', 'c']);
    const appends = rd.messages.filter((m) => m.type === MessageType.App);
    expect(appends.map((m) => [m.to, m.entries.length])).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });
});

describe('restart from storage', () => {
  it('keeps term, vote, log and commit', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(2);
    net.propose(2, 'a');
    const before = net.get(1).node.status();
    expect(before.hardState.vote).toBe(2);
    const t = net.restart(1);
    const after = t.node.status();
    expect(after.hardState).toEqual(before.hardState);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.applied).toBe(before.applied);
    expect(after.softState.role).toBe('follower');
    // Having voted for 2 in this term, the restarted node refuses 3 in the same term.
    t.node.step(
      newMessage({
        type: MessageType.Vote,
        from: 3,
        to: 1,
        term: after.hardState.term,
        index: 100,
        logTerm: after.hardState.term,
      }),
    );
    const rd = t.node.ready();
    expect(rd.messages[0]).toMatchObject({ type: MessageType.VoteResp, to: 3, reject: true });
    t.node.advance(rd);
  });

  it('re-delivers committed entries above Config.applied', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.propose(1, 'a');
    net.propose(1, 'b');
    const t = net.get(3);
    const restarted = net.addNode(3, t.storage, t.appliedIndex - 1);
    const rd = restarted.node.ready();
    expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(['b']);
  });

  it('a restarted follower catches up with what it missed', () => {
    const net = new Network([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.restart(3);
    net.heal();
    net.tick(1, 2);
    expect(net.get(3).applied).toEqual(['a']);
    expect(() => net.get(3).node.propose(enc('b'))).not.toThrow();
  });
});
