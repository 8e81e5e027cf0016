import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { StoreErrorCode, type StoreMember, startStoreMember } from '@navarch/store';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';
import { signal } from './grpc-test-helpers.js';
import {
  eventually,
  freePort,
  type KvStateMachine,
  kvApplication,
  putRequest,
  quietLogger,
} from './raftnode-harness.js';

interface Cluster {
  dirs: string[];
  peerPorts: number[];
  initialCluster: string;
  members: (StoreMember | undefined)[];
  machines: Map<number, KvStateMachine>;
}

const running: Cluster[] = [];

async function newCluster(size: number): Promise<Cluster> {
  const base = trackedTempDir('navarch-member-');
  const dirs = Array.from({ length: size }, (_, i) => join(base, `m${i}`));
  const peerPorts: number[] = [];
  for (let i = 0; i < size; i++) peerPorts.push(await freePort());
  const initialCluster = peerPorts.map((port, i) => `m${i}=http://127.0.0.1:${port}`).join(',');
  const cluster: Cluster = { dirs, peerPorts, initialCluster, members: [], machines: new Map() };
  running.push(cluster);
  return cluster;
}

async function startMember(
  cluster: Cluster,
  i: number,
  extra: Record<string, unknown> = {},
): Promise<StoreMember> {
  const member = await startStoreMember({
    name: `m${i}`,
    dataDir: cluster.dirs[i]!,
    listenClientUrls: ['http://127.0.0.1:0'],
    listenPeerUrls: [`http://127.0.0.1:${cluster.peerPorts[i]}`],
    initialCluster: cluster.initialCluster,
    heartbeatIntervalMs: 20,
    electionTimeoutMs: 200,
    snapshotCount: 50,
    application: kvApplication(cluster.machines),
    logger: quietLogger,
    ...extra,
  });
  cluster.members[i] = member;
  return member;
}

function leaderOf(cluster: Cluster): StoreMember | undefined {
  return cluster.members.find((m) => m && m.consensus.status().leaderId === m.memberId);
}

afterEach(async () => {
  for (const cluster of running.splice(0)) {
    await Promise.all(cluster.members.map((m) => m?.stop()));
    removeTrackedDir(join(cluster.dirs[0]!, '..'));
  }
});

describe('store member (3 members in one process)', () => {
  it('elects a leader, replicates writes proposed on any member, and serves linearizable reads', async () => {
    const cluster = await newCluster(3);
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    const leader = leaderOf(cluster);
    expect(leader).toBeDefined();
    const follower = cluster.members.find((m) => m !== leader)!;

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? follower : leader!).consensus.propose(putRequest(`k${i}`, `v${i}`)),
      ),
    );
    expect(results).toHaveLength(50);
    // Every member reaches the same state after a read barrier, in the same order.
    for (const member of cluster.members) {
      await member!.consensus.readIndex();
      const sm = cluster.machines.get(member!.memberId)!;
      expect(sm.data.get('k49')).toBe('v49');
    }
    const logs = cluster.members.map((m) => cluster.machines.get(m!.memberId)!.log.join('|'));
    expect(new Set(logs).size).toBe(1);
    expect(follower.consensus.members().map((m) => m.name)).toEqual(
      expect.arrayContaining(['m0', 'm1', 'm2']),
    );
  });

  it('keeps every acknowledged write across a full restart and compacts its log', async () => {
    const cluster = await newCluster(3);
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    for (let i = 0; i < 120; i++)
      await cluster.members[i % 3]!.consensus.propose(putRequest(`k${i}`, `v${i}`));
    await Promise.all(cluster.members.map((m) => m!.stop()));
    cluster.machines.clear();
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    await cluster.members[0]!.consensus.readIndex();
    const sm = cluster.machines.get(cluster.members[0]!.memberId)!;
    for (let i = 0; i < 120; i++) expect(sm.data.get(`k${i}`)).toBe(`v${i}`);
    const text = await cluster.members[0]!.metrics.metrics();
    expect(text).toMatch(/navarch_store_has_leader 1/);
  });

  it('catches a member up with a streamed snapshot after the log was compacted', async () => {
    const cluster = await newCluster(3);
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    await cluster.members[2]!.stop();
    cluster.members[2] = undefined;
    // If m2 led, a write forwarded to it before the others notice is lost and times out (as in
    // etcd): wait until both running members follow a leader among them.
    await eventually('a leader among the running members', () => {
      const leaders = [0, 1].map((i) => cluster.members[i]!.consensus.status().leaderId);
      return leaders[0] === leaders[1] && [0, 1].some((i) => cluster.members[i]!.memberId === leaders[0]);
    });
    for (let i = 0; i < 200; i++)
      await cluster.members[i % 2]!.consensus.propose(putRequest(`s${i}`, `v${i}`));
    const restarted = await startMember(cluster, 2);
    await restarted.ready;
    await restarted.consensus.readIndex();
    const sm = cluster.machines.get(restarted.memberId)!;
    expect(sm.data.get('s199')).toBe('v199');
    const leader = leaderOf(cluster)!;
    const text = await leader.metrics.metrics();
    expect(text).toMatch(/navarch_store_network_snapshot_send_total\{[^}]*outcome="success"[^}]*\} [1-9]/);
  });

  it('adds a learner that joins with --initial-cluster-state existing, promotes it, then removes it', async () => {
    const cluster = await newCluster(3);
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    for (let i = 0; i < 10; i++) await cluster.members[0]!.consensus.propose(putRequest(`a${i}`, 'x'));
    const port = await freePort();
    const peerUrl = `http://127.0.0.1:${port}`;
    const added = await cluster.members[1]!.consensus.addMember([peerUrl], true);
    expect(added.isLearner).toBe(true);
    cluster.dirs.push(join(cluster.dirs[0]!, '..', 'm3'));
    cluster.peerPorts.push(port);
    const joiner = await startMember(cluster, 3, {
      initialCluster: `${cluster.initialCluster},m3=${peerUrl}`,
      initialClusterState: 'existing',
    });
    expect(joiner.memberId).toBe(added.id);
    await joiner.ready;
    await eventually(
      'learner catches up',
      () => cluster.machines.get(joiner.memberId)?.data.get('a9') === 'x',
    );
    const leader = leaderOf(cluster)!;
    await leader.consensus.promoteMember(joiner.memberId);
    expect(leader.consensus.members().find((m) => m.id === joiner.memberId)?.isLearner).toBe(false);
    await leader.consensus.removeMember(joiner.memberId);
    expect(leader.consensus.members().map((m) => m.id)).not.toContain(joiner.memberId);
  });

  it('refuses to join a cluster that never lists it, after asking every peer for a while, and writes nothing', async () => {
    const cluster = await newCluster(1);
    const member = await startMember(cluster, 0);
    await member.ready;
    const port = await freePort();
    const dataDir = join(cluster.dirs[0]!, '..', 'stranger');
    await expect(
      startStoreMember({
        name: 'stranger',
        dataDir,
        listenClientUrls: ['http://127.0.0.1:0'],
        listenPeerUrls: [`http://127.0.0.1:${port}`],
        // A peer that lists no such member, and one that is not there at all.
        initialCluster: `${cluster.initialCluster},gone=http://127.0.0.1:${await freePort()},stranger=http://127.0.0.1:${port}`,
        initialClusterState: 'existing',
        application: kvApplication(cluster.machines),
        logger: quietLogger,
      }),
    ).rejects.toMatchObject({
      code: StoreErrorCode.InvalidConfig,
      message: expect.stringMatching(/add it first/),
    });
    expect(existsSync(join(dataDir, 'member'))).toBe(false);
  }, 20_000);

  it('joins when it starts before its `member add` is applied: it keeps asking its peers', async () => {
    const cluster = await newCluster(1);
    const member = await startMember(cluster, 0);
    await member.ready;
    const port = await freePort();
    const peerUrl = `http://127.0.0.1:${port}`;
    cluster.dirs.push(join(cluster.dirs[0]!, '..', 'm1'));
    cluster.peerPorts.push(port);
    const waiting = signal();
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(line: Buffer, _encoding, done) {
          if (line.toString().includes('no peer lists this member yet')) waiting.resolve();
          done();
        },
      }),
    );
    const joining = startMember(cluster, 1, {
      initialCluster: `${cluster.initialCluster},m1=${peerUrl}`,
      initialClusterState: 'existing',
      logger,
    });
    // Its first round of asking found no such member; the add lands while it waits for the next.
    await waiting.promise;
    const added = await member.consensus.addMember([peerUrl], true);
    const joiner = await joining;
    expect(joiner.memberId).toBe(added.id);
    await joiner.ready;
  });

  it('refuses a data dir that belongs to another cluster and writes nothing', async () => {
    const cluster = await newCluster(1);
    const member = await startMember(cluster, 0);
    await member.ready;
    await member.stop();
    cluster.members[0] = undefined;
    const otherPort = await freePort();
    await expect(
      startStoreMember({
        name: 'm0',
        dataDir: cluster.dirs[0]!,
        listenClientUrls: ['http://127.0.0.1:0'],
        listenPeerUrls: [`http://127.0.0.1:${otherPort}`],
        initialClusterToken: 'another-cluster',
        application: kvApplication(cluster.machines),
        logger: quietLogger,
      }),
    ).rejects.toMatchObject({ code: StoreErrorCode.DataDirMismatch });
    // The original member still starts from its data dir.
    const again = await startMember(cluster, 0);
    await again.ready;
    expect(again.memberId).toBe(member.memberId);
  });

  it('recovers from quorum loss with --force-new-cluster, keeping committed data', async () => {
    const cluster = await newCluster(3);
    await Promise.all([0, 1, 2].map((i) => startMember(cluster, i)));
    await Promise.all(cluster.members.map((m) => m!.ready));
    for (let i = 0; i < 20; i++) await cluster.members[0]!.consensus.propose(putRequest(`f${i}`, 'kept'));
    // Every member has the writes; then two members are lost for good.
    for (const member of cluster.members) await member!.consensus.readIndex();
    await Promise.all(cluster.members.map((m) => m!.stop()));
    cluster.members = [];
    const survivor = await startMember(cluster, 0, { forceNewCluster: true });
    await survivor.ready;
    expect(survivor.consensus.status().leaderId).toBe(survivor.memberId);
    expect(survivor.consensus.members().map((m) => m.id)).toEqual([survivor.memberId]);
    await survivor.consensus.propose(putRequest('after', 'recovery'));
    const sm = cluster.machines.get(survivor.memberId)!;
    expect(sm.data.get('f19')).toBe('kept');
    expect(sm.data.get('after')).toBe('recovery');
  });
});
