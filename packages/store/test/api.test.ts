import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, pick, startHarness } from './api-harness.js';

let harness: Harness | null = null;

async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  harness = await startHarness(...args);
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = null;
});

const put = (key: string, value: string, extra: object = {}) => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  ...extra,
});
const requestPut = (key: string, value: string) => ({ request_put: put(key, value) });

describe('etcd KV API over LocalConsensus', () => {
  it('fills response headers like etcd: cluster, member, revision and term', async () => {
    const h = await start();
    const response = await h.call('KV', 'Put', put('a', '1'));
    const status = h.consensus.status();
    expect(response.header).toEqual({
      cluster_id: String(status.clusterId),
      member_id: String(status.memberId),
      revision: '2',
      raft_term: '1',
    });
    const range = await h.call('KV', 'Range', { key: Buffer.from('a') });
    expect(pick(range, 'header.revision')).toBe('2');
    expect(pick(range, 'count')).toBe('1');
    expect((pick(range, 'kvs.0.value') as Buffer).toString()).toBe('1');
  });

  it('answers bad requests with etcd codes and messages', async () => {
    const h = await start({ maxRequestBytes: 64 * 1024 });
    await expect(h.call('KV', 'Put', put('', 'x'))).rejects.toMatchObject({
      code: 3,
      details: 'etcdserver: key is not provided',
    });
    await expect(h.call('KV', 'Range', { key: Buffer.from('a'), revision: 50 })).rejects.toMatchObject({
      code: 11,
      details: 'etcdserver: mvcc: required revision is a future revision',
    });
    await expect(h.call('KV', 'Put', put('big', 'x'.repeat(70 * 1024)))).rejects.toMatchObject({
      code: 3,
      details: 'etcdserver: request is too large',
    });
    const tooMany = Array.from({ length: 129 }, (_, i) => requestPut(`k${i}`, 'v'));
    await expect(h.call('KV', 'Txn', { success: tooMany })).rejects.toMatchObject({
      code: 3,
      details: 'etcdserver: too many operations in txn request',
    });
    await expect(
      h.call('KV', 'Txn', { success: [requestPut('d', '1'), requestPut('d', '2')] }),
    ).rejects.toMatchObject({
      code: 3,
      details: 'etcdserver: duplicate key given in txn request',
    });
    await expect(
      h.call('KV', 'Txn', {
        success: [
          requestPut('p/x', '1'),
          { request_delete_range: { key: Buffer.from('p/'), range_end: Buffer.from('p0') } },
        ],
      }),
    ).rejects.toMatchObject({ details: 'etcdserver: duplicate key given in txn request' });
    await expect(h.call('KV', 'Put', put('l', 'v', { lease: '99' }))).rejects.toMatchObject({
      code: 5,
      details: 'etcdserver: requested lease not found',
    });
    await expect(h.call('KV', 'Put', { key: Buffer.from('nope'), ignore_value: true })).rejects.toMatchObject(
      {
        details: 'etcdserver: key not found',
      },
    );
    // Nothing above changed the store.
    expect(h.store.currentRevision()).toBe(1);
  });

  it('runs nested transactions, and serves read-only ones without proposing', async () => {
    const h = await start();
    await h.call('KV', 'Put', put('n', '1'));
    const response = await h.call('KV', 'Txn', {
      compare: [{ key: Buffer.from('n'), target: 'VERSION', result: 'EQUAL', version: 1 }],
      success: [
        {
          request_txn: {
            compare: [
              { key: Buffer.from('n'), target: 'VALUE', result: 'EQUAL', value: Buffer.from('nope') },
            ],
            success: [requestPut('n', 'inner-success')],
            failure: [requestPut('n', 'inner-failure')],
          },
        },
      ],
    });
    expect(response.succeeded).toBe(true);
    expect(pick(response, 'responses.0.response_txn.succeeded')).toBe(false);
    const applied = h.store.appliedIndex();
    const read = await h.call('KV', 'Txn', {
      compare: [{ key: Buffer.from('n'), target: 'MOD', result: 'GREATER', mod_revision: 0 }],
      success: [{ request_range: { key: Buffer.from('n') } }],
    });
    expect((pick(read, 'responses.0.response_range.kvs.0.value') as Buffer).toString()).toBe('inner-failure');
    expect(h.store.appliedIndex()).toBe(applied);
  });

  it('keeps 64-bit lease ids exactly', async () => {
    const h = await start();
    const id = '9223372036854775807';
    const granted = await h.call('Lease', 'LeaseGrant', { ID: id, TTL: 60 });
    expect(granted).toMatchObject({ ID: id, TTL: '60' });
    await h.call('KV', 'Put', put('big-lease', 'v', { lease: id }));
    expect(pick(await h.call('KV', 'Range', { key: Buffer.from('big-lease') }), 'kvs.0.lease')).toBe(id);
    const ttl = await h.call('Lease', 'LeaseTimeToLive', { ID: id, keys: true });
    expect(ttl).toMatchObject({ ID: id, grantedTTL: '60' });
    expect((ttl.keys as Buffer[]).map(String)).toEqual(['big-lease']);
    await expect(h.call('Lease', 'LeaseGrant', { ID: id, TTL: 60 })).rejects.toMatchObject({
      details: 'etcdserver: lease already exists',
    });
  });

  it('raises NOSPACE when the quota is exceeded, refuses writes until disarmed', async () => {
    const h = await start({ quotaBackendBytes: 4096 });
    await h.call('KV', 'Put', put('fill', 'x'.repeat(2000)));
    await expect(h.call('KV', 'Put', put('fill2', 'x'.repeat(3000)))).rejects.toMatchObject({
      code: 8,
      details: 'etcdserver: mvcc: database space exceeded',
    });
    const alarms = await h.call('Maintenance', 'Alarm', { action: 'GET' });
    expect(alarms.alarms).toEqual([{ memberID: String(h.consensus.status().memberId), alarm: 'NOSPACE' }]);
    // Even a small put is refused while the alarm is raised; deletes still work.
    await expect(h.call('KV', 'Put', put('small', 'x'))).rejects.toMatchObject({ code: 8 });
    await h.call('KV', 'DeleteRange', { key: Buffer.from('fill') });
    await h.call('KV', 'Compact', { revision: h.store.currentRevision() });
    await h.call('Maintenance', 'Alarm', {
      action: 'DEACTIVATE',
      memberID: h.consensus.status().memberId,
      alarm: 'NOSPACE',
    });
    expect((await h.call('Maintenance', 'Alarm', { action: 'GET' })).alarms).toEqual([]);
    await h.call('KV', 'Put', put('small', 'x'));
  });

  it('reports status, hashes and streams a verifiable snapshot', async () => {
    const h = await start();
    await h.call('KV', 'Put', put('s', '1'));
    const status = await h.call('Maintenance', 'Status');
    expect(status).toMatchObject({ version: '3.4.0', raftAppliedIndex: '1', isLearner: false });
    expect(Number(status.dbSize)).toBeGreaterThan(0);
    const hash = await h.call('Maintenance', 'HashKV', { revision: 0 });
    expect(hash.hash).toBe(h.store.hashKv(0).hash);
    const chunks: Buffer[] = [];
    const stream = h.serverStream('Maintenance', 'Snapshot');
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (message: { blob: Buffer }) => chunks.push(message.blob));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const backup = Buffer.concat(chunks);
    expect(backup.length % 512).toBe(32);
    const { readBackup } = await import('@navarch/store');
    expect(readBackup(backup).index).toBe(1);
    backup[100] = (backup[100] as number) ^ 0xff;
    expect(() => readBackup(backup)).toThrow(/SHA-256/);
  });

  it('serves membership through the consensus', async () => {
    const h = await start();
    const list = await h.call('Cluster', 'MemberList');
    expect(list.members).toEqual([
      expect.objectContaining({
        ID: String(h.consensus.status().memberId),
        name: 'local',
        clientURLs: [h.url],
      }),
    ]);
    expect(pick(list, 'header.revision')).toBe('0');
    const added = await h.call('Cluster', 'MemberAdd', {
      peerURLs: ['http://127.0.0.1:9999'],
      isLearner: true,
    });
    expect(added.member).toMatchObject({ isLearner: true, peerURLs: ['http://127.0.0.1:9999'] });
    await expect(h.call('Cluster', 'MemberAdd', { peerURLs: ['not a url'] })).rejects.toMatchObject({
      details: 'etcdserver: given member URLs are invalid',
    });
    await expect(h.call('Cluster', 'MemberRemove', { ID: '18446744073709551615' })).rejects.toMatchObject({
      code: 5,
      details: 'etcdserver: member not found',
    });
    await h.call('Cluster', 'MemberRemove', { ID: pick(added, 'member.ID') });
    expect((await h.call('Cluster', 'MemberList')).members).toHaveLength(1);
  });
});
