/**
 * Each Config.testingBugs switch must change behaviour in a way a safety checker can see; the
 * simulator's tests prove its checkers catch them. These show the unsafe behaviour directly.
 */
import { type Config, MemoryStorage, MessageType, newMessage, RawNode } from '@navarch/raft';
import { describe, expect, it } from 'vitest';
import { Network, seededRandom } from './harness.js';

function bootedNode(testingBugs: Config['testingBugs']): {
  node: RawNode;
  storage: MemoryStorage;
  config: Config;
} {
  const storage = MemoryStorage.withConfState({ voters: [1, 2, 3], learners: [] });
  const config: Config = { id: 1, electionTicks: 10, heartbeatTicks: 1, storage, random: seededRandom(5) };
  if (testingBugs !== undefined) config.testingBugs = testingBugs;
  const node = new RawNode(config);
  const rd = node.ready();
  storage.append(rd.entries);
  storage.setHardState(rd.hardState!);
  node.advance(rd);
  return { node, storage, config };
}

function handle(node: RawNode, storage: MemoryStorage) {
  const rd = node.ready();
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

describe('testingBugs (for the simulator only)', () => {
  function voteTwiceAfterRestart(forgetVoteOnRestart: boolean): boolean[] {
    const { node, storage, config } = bootedNode({ forgetVoteOnRestart });
    node.step(newMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, index: 3, logTerm: 1 }));
    const granted = [!handle(node, storage).messages[0]!.reject];
    const restarted = new RawNode({ ...config, applied: 3 });
    restarted.step(newMessage({ type: MessageType.Vote, from: 3, to: 1, term: 5, index: 3, logTerm: 1 }));
    granted.push(!handle(restarted, storage).messages[0]!.reject);
    return granted;
  }

  it('forgetVoteOnRestart: after a restart the node votes a second time in the same term', () => {
    expect(voteTwiceAfterRestart(false)).toEqual([true, false]);
    expect(voteTwiceAfterRestart(true)).toEqual([true, true]);
  });

  function appendWithWrongPrevTerm(skipPrevLogCheck: boolean): boolean {
    const { node, storage } = bootedNode({ skipPrevLogCheck });
    // Our entry 3 has term 1; the leader claims term 4 there.
    node.step(
      newMessage({
        type: MessageType.App,
        from: 2,
        to: 1,
        term: 5,
        index: 3,
        logTerm: 4,
        entries: [{ term: 5, index: 4, type: 'normal', data: new Uint8Array([1]) }],
        commit: 3,
      }),
    );
    const resp = handle(node, storage).messages.find((m) => m.type === MessageType.AppResp)!;
    return !resp.reject;
  }

  it('skipPrevLogCheck: a follower accepts entries whose predecessor does not match', () => {
    expect(appendWithWrongPrevTerm(false)).toBe(false);
    expect(appendWithWrongPrevTerm(true)).toBe(true);
  });

  /** Figure 8 (c): S1 leads a later term and copies an entry of term 2 to a majority. */
  function figure8c(commitPreviousTermEntries: boolean): { net: Network; indexOfA: number } {
    const net = new Network([1, 2, 3, 4, 5], {
      maxSizePerMsgBytes: 1,
      testingBugs: { commitPreviousTermEntries },
    });
    net.campaign(1);
    net.partition([1], [3, 4, 5]);
    net.propose(1, 'A');
    const indexOfA = net.get(1).node.status().lastIndex;
    net.heal();
    net.isolate(1);
    net.partition([5], [2]);
    net.filter = (m) => !(m.from === 5 && m.type === MessageType.App);
    net.campaign(5);
    net.propose(5, 'B');
    net.heal();
    net.isolate(5);
    net.restart(1);
    net.filter = (m) => {
      if (m.from === 1 && m.type === MessageType.App) m.entries = m.entries.filter((e) => e.term <= 2);
      return true;
    };
    for (let i = 0; i < 5 && net.role(1) !== 'leader'; i++) net.campaign(1);
    net.tick(1, 3);
    return { net, indexOfA };
  }

  it('commitPreviousTermEntries: the Figure 8 entry is committed and applied, then overwritten elsewhere', () => {
    const safe = figure8c(false);
    expect(safe.net.get(1).applied).toEqual([]);
    const { net, indexOfA } = figure8c(true);
    expect(net.get(1).node.status().hardState.commit).toBeGreaterThanOrEqual(indexOfA);
    expect(net.get(1).applied).toEqual(['A']);
    // (d) S5 still wins an election although its log lacks the committed A: Leader Completeness
    // is violated, and S5 holds a different entry (term 3) at A's committed index.
    net.heal();
    net.isolate(1);
    net.restart(5);
    for (let i = 0; i < 5 && net.role(5) !== 'leader'; i++) net.campaign(5);
    expect(net.role(5)).toBe('leader');
    expect(net.get(5).storage.term(indexOfA)).toBe(3);
    expect(net.get(1).storage.term(indexOfA)).toBe(2);
  });
});
