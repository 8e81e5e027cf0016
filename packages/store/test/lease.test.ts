import { type ConsensusStatus, encodeMvccRequest, Lessor, LocalConsensus, MvccStore } from '@navarch/store';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../../../test/helpers/registry.js';
import { type Harness, type Message, pick, StreamReader, startHarness } from './api-harness.js';

let harness: Harness | null = null;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A LocalConsensus whose leadership a test flips. */
class SwitchableConsensus extends LocalConsensus {
  leader = true;
  private readonly changeListeners = new Set<(leaderId: number, isLocalLeader: boolean) => void>();

  override status(): ConsensusStatus {
    const status = super.status();
    return { ...status, leaderId: this.leader ? status.memberId : 99 };
  }

  override onLeaderChange(listener: (leaderId: number, isLocalLeader: boolean) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  setLeader(leader: boolean): void {
    this.leader = leader;
    for (const listener of this.changeListeners) listener(leader ? this.status().memberId : 99, leader);
  }
}

async function openStore(): Promise<MvccStore> {
  const directory = trackedTempDir('navarch-lease-');
  const db = new ClassicLevel<Buffer, Buffer>(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const store = new MvccStore({
    db: db.sublevel<Buffer, Buffer>('mvcc', { keyEncoding: 'buffer', valueEncoding: 'buffer' }),
  });
  await store.open();
  cleanups.push(async () => {
    await store.flush();
    await db.close();
    removeTrackedDir(directory);
  });
  return store;
}

describe('Lessor', () => {
  it('revokes expired leases on the leader only, and extends every lease when it becomes leader', async () => {
    const store = await openStore();
    const consensus = new SwitchableConsensus(store);
    let now = 0;
    const revoked: string[] = [];
    const lessor = new Lessor({
      store,
      consensus,
      now: () => now,
      checkIntervalMs: 60_000,
      revoke: async (id) => {
        revoked.push(id);
        await consensus.propose(encodeMvccRequest({ type: 'leaseRevoke', id }));
      },
    });
    cleanups.push(async () => lessor.close());
    await consensus.propose(encodeMvccRequest({ type: 'leaseGrant', id: '1', ttlSeconds: 10 }));
    await consensus.propose(encodeMvccRequest({ type: 'leaseGrant', id: '2', ttlSeconds: 30 }));
    expect(lessor.remainingSeconds('1')).toBe(10);
    now = 5_000;
    await consensus.propose(encodeMvccRequest({ type: 'leaseRenew', id: '1' }));
    expect(lessor.remainingSeconds('1')).toBe(10);
    consensus.setLeader(false);
    now = 20_000;
    lessor.revokeExpired();
    expect(revoked).toEqual([]); // followers never revoke
    // A member that becomes leader gives every lease its full TTL again (no expiry for lack of a leader).
    consensus.setLeader(true);
    expect(lessor.remainingSeconds('1')).toBe(10);
    expect(lessor.remainingSeconds('2')).toBe(30);
    now = 31_000;
    lessor.revokeExpired();
    expect(revoked).toEqual(['1']);
    await Promise.resolve();
    expect(store.lease('1')).toBeNull();
    expect(lessor.remainingSeconds('1')).toBe(-1);
    lessor.revokeExpired();
    expect(revoked).toEqual(['1']);
  });
});

describe('etcd Lease API', () => {
  it('keeps a lease alive over a stream and answers TTL 0 for an unknown lease', async () => {
    harness = await startHarness();
    const h = harness;
    await h.call('Lease', 'LeaseGrant', { ID: 77, TTL: 30 });
    const stream = h.stream('Lease', 'LeaseKeepAlive');
    const reader = new StreamReader(stream);
    stream.write({ ID: 77 });
    stream.write({ ID: 78 });
    const alive = await reader.waitFor((m) => m.ID === '77');
    expect(alive).toMatchObject({ TTL: '30' });
    expect(await reader.waitFor((m) => m.ID === '78')).toMatchObject({ TTL: '0' });
    stream.end();
    const leases = await h.call('Lease', 'LeaseLeases');
    expect(leases.leases).toEqual([{ ID: '77' }]);
  });

  it('expires a lease that is not kept alive: its keys are deleted in one revision', async () => {
    harness = await startHarness({}, 50);
    const h = harness;
    const granted = await h.call('Lease', 'LeaseGrant', { TTL: 1 });
    expect(granted.TTL).toBe('2'); // raised to the minimum TTL, like etcd
    const id = granted.ID as string;
    await h.call('KV', 'Put', { key: Buffer.from('e/a'), value: Buffer.from('1'), lease: id });
    await h.call('KV', 'Put', { key: Buffer.from('e/b'), value: Buffer.from('2'), lease: id });
    const watch = h.stream('Watch', 'Watch');
    const reader = new StreamReader(watch);
    watch.write({ create_request: { key: Buffer.from('e/'), range_end: Buffer.from('e0') } });
    const deletes = await reader.waitFor((m) => ((m.events as Message[] | undefined) ?? []).length > 0);
    expect((deletes.events as Message[]).map((e) => [e.type, String(pick(e, 'kv.key'))])).toEqual([
      ['DELETE', 'e/a'],
      ['DELETE', 'e/b'],
    ]);
    expect(await h.call('Lease', 'LeaseTimeToLive', { ID: id })).toMatchObject({ TTL: '-1' });
    watch.end();
  });
});
