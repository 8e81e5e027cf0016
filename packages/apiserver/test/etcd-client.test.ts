/**
 * The API server's etcd v3 client (src/etcd-client.ts, src/etcd-wire.ts): its hand-written
 * protobuf codec checked against the .proto files through protobufjs (the codec grpc-js and
 * etcd3 use), and the client against a real 3-member etcd: failover past a dead endpoint, a
 * watch resumed on another member when its member dies, compaction reported as CompactedError.
 */
import { join } from 'node:path';
import { EtcdKvStore, type StoreEvent } from '@navarch/apiserver';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EtcdCluster,
  freePort,
  leaderIndexOf,
  navarchStoreCluster,
  repoRoot,
  startEtcd,
} from '../../../test/api/harness.js';
import { etcdctl } from '../../../test/compat/helpers/cluster.js';
import {
  decodeRangeResponse,
  decodeStatusResponse,
  decodeTxnResponse,
  decodeWatchResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  encodeWatchCreate,
} from '../src/etcd-wire.js';

/** Watch events as they arrive; `atLeast(n)` resolves once n have (the test's timeout bounds it). */
function eventLog(): {
  events: StoreEvent[];
  onEvents: (batch: StoreEvent[]) => void;
  atLeast: (count: number) => Promise<void>;
} {
  const events: StoreEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    events,
    onEvents: (batch) => {
      events.push(...batch);
      for (const waiter of waiters.splice(0)) {
        if (events.length >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    },
    atLeast: (count) =>
      new Promise((resolve) => {
        if (events.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
  };
}

/** A counter of a member's /metrics for one gRPC method (etcd serves them on the client URL). */
async function grpcCounter(
  endpoint: string,
  counter: string,
  method: string,
  code?: string,
): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${counter}{`) &&
        l.includes(`grpc_method="${method}"`) &&
        (code === undefined || l.includes(`grpc_code="${code}"`)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Txn calls a member has answered. */
const txnsAnswered = (endpoint: string) => grpcCounter(endpoint, 'grpc_server_handled_total', 'Txn', 'OK');

/** Calls (streams) of `method` a member has started. */
const streamsStarted = (endpoint: string, method: string) =>
  grpcCounter(endpoint, 'grpc_server_started_total', method);

/** Makes calls until the client prefers `endpoint` (each call may start a leader check); bounded. */
async function untilPreferred(kv: EtcdKvStore, endpoint: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (kv.preferredEndpoint !== endpoint && performance.now() < deadline) {
    await kv.currentRevision();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(kv.preferredEndpoint).toBe(endpoint);
}

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(repoRoot, 'proto/etcd', target.replace(/^.*\//, ''));
root.loadSync('rpc.proto', { keepCase: true });
const type = (name: string) => root.lookupType(name);
const asObject = (name: string, bytes: Buffer) =>
  type(name).toObject(type(name).decode(bytes), {
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
const encoded = (name: string, value: Record<string, unknown>) =>
  Buffer.from(type(name).encode(type(name).fromObject(value)).finish());

describe('etcd v3 wire codec', () => {
  it('encodes requests that protobufjs reads back field for field', () => {
    const range = asObject(
      'etcdserverpb.RangeRequest',
      encodeRangeRequest(Buffer.from('/a'), Buffer.from('/b'), 500, 1234),
    );
    expect(range).toMatchObject({
      key: Buffer.from('/a'),
      range_end: Buffer.from('/b'),
      limit: 500,
      revision: 1234,
    });

    const txn = asObject(
      'etcdserverpb.TxnRequest',
      encodeTxnRequest(
        [
          { key: Buffer.from('/k'), target: 'mod', equals: 0 },
          { key: Buffer.from('/ns'), target: 'value', equals: Buffer.from('v') },
        ],
        [{ put: Buffer.from('/k'), value: Buffer.from('{}') }, { delete: Buffer.from('/old') }],
        [{ range: Buffer.from('/k') }],
      ),
    );
    // A oneof member that is zero is still sent: "mod revision equals 0" means "absent".
    expect(txn.compare[0]).toMatchObject({
      result: 'EQUAL',
      target: 'MOD',
      mod_revision: 0,
      target_union: 'mod_revision',
    });
    expect(txn.compare[1]).toMatchObject({ target: 'VALUE', value: Buffer.from('v'), target_union: 'value' });
    expect(txn.success[0]).toMatchObject({
      request: 'request_put',
      request_put: { key: Buffer.from('/k'), value: Buffer.from('{}') },
    });
    expect(txn.success[1]).toMatchObject({
      request: 'request_delete_range',
      request_delete_range: { key: Buffer.from('/old') },
    });
    expect(txn.failure[0]).toMatchObject({
      request: 'request_range',
      request_range: { key: Buffer.from('/k') },
    });

    expect(asObject('etcdserverpb.CompactionRequest', encodeCompactionRequest(2 ** 40, true))).toMatchObject({
      revision: 2 ** 40,
      physical: true,
    });
    const watch = asObject(
      'etcdserverpb.WatchRequest',
      encodeWatchCreate(Buffer.from('/p/'), Buffer.from('/p0'), 7, true),
    );
    expect(watch).toMatchObject({
      request_union: 'create_request',
      create_request: {
        key: Buffer.from('/p/'),
        range_end: Buffer.from('/p0'),
        start_revision: 7,
        prev_kv: true,
      },
    });
  });

  it('decodes what protobufjs encodes, skipping fields it does not read', () => {
    const kv = (key: string, rev: number) => ({
      key: Buffer.from(key),
      create_revision: rev - 1,
      mod_revision: rev,
      version: 2,
      value: Buffer.from(`v${rev}`),
      lease: 99,
    });
    const header = { cluster_id: '18446744073709551615', member_id: 7, revision: 2 ** 33, raft_term: 3 };
    const range = decodeRangeResponse(
      encoded('etcdserverpb.RangeResponse', {
        header,
        kvs: [kv('/a', 5), kv('/b', 6)],
        more: true,
        count: 10,
      }),
    );
    expect(range.revision).toBe(2 ** 33);
    expect(range.more).toBe(true);
    expect(
      range.kvs.map((k) => [k.key.toString(), k.createRevision, k.modRevision, k.value.toString()]),
    ).toEqual([
      ['/a', 4, 5, 'v5'],
      ['/b', 5, 6, 'v6'],
    ]);

    const txn = decodeTxnResponse(
      encoded('etcdserverpb.TxnResponse', {
        header,
        succeeded: false,
        responses: [
          { response_range: { kvs: [kv('/k', 9)] } },
          { response_range: { kvs: [] } },
          { response_put: {} },
        ],
      }),
    );
    expect(txn.succeeded).toBe(false);
    expect(txn.responses.map((r) => r.map((k) => k.modRevision))).toEqual([[9], [], []]);

    // Member ids are random 64-bit numbers: decoded exactly, above 2^53 too.
    const status = decodeStatusResponse(
      encoded('etcdserverpb.StatusResponse', {
        header: { ...header, member_id: '18446744073709551557' },
        version: '3.4.23',
        dbSize: 4096,
        leader: '9007199254740993',
        raftIndex: 12,
        raftTerm: 4,
        errors: ['none'],
        isLearner: false,
      }),
    );
    expect(status).toEqual({ memberId: 18446744073709551557n, leader: 9007199254740993n, raftTerm: 4n });

    const watch = decodeWatchResponse(
      encoded('etcdserverpb.WatchResponse', {
        header,
        watch_id: 3,
        created: false,
        events: [
          { type: 'PUT', kv: kv('/a', 11) },
          { type: 'DELETE', kv: { key: Buffer.from('/b'), mod_revision: 12 }, prev_kv: kv('/b', 10) },
        ],
      }),
    );
    expect(watch.watchId).toBe(3);
    expect(
      watch.events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision, e.prevKv?.value.toString()]),
    ).toEqual([
      ['put', '/a', 11, undefined],
      ['delete', '/b', 12, 'v10'],
    ]);
    const canceled = decodeWatchResponse(
      encoded('etcdserverpb.WatchResponse', {
        header,
        canceled: true,
        compact_revision: 40,
        cancel_reason: 'gone',
      }),
    );
    expect(canceled).toMatchObject({ canceled: true, compactRevision: 40, cancelReason: 'gone', events: [] });
  });
});

describe('EtcdKvStore on a 3-member etcd', () => {
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = await startEtcd(3);
  }, 120_000);

  afterAll(async () => {
    await etcd?.stop();
  });

  it('watches, reads and writes past an endpoint nobody listens on', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const kv = new EtcdKvStore([dead, ...etcd.endpoints]);
    try {
      // A watch first, before any call has found a live endpoint.
      const log = eventLog();
      const watch = await kv.watch('/f/', 1, log.onEvents, () => undefined);
      const created = await kv.txn(
        [{ key: '/f/a', target: 'mod', equals: 0 }],
        [{ put: '/f/a', value: Buffer.from('1') }],
      );
      expect(created.succeeded).toBe(true);
      const again = await kv.txn(
        [{ key: '/f/a', target: 'mod', equals: 0 }],
        [{ put: '/f/a', value: Buffer.from('2') }],
      );
      expect(again.succeeded).toBe(false);
      expect(again.current[0]?.value.toString()).toBe('1');
      expect(again.current[0]?.modRevision).toBe(created.revision);
      expect((await kv.get('/f/a'))?.value.toString()).toBe('1');
      await log.atLeast(1);
      expect(log.events.map((e) => [e.type, e.key, e.value.toString()])).toEqual([['put', '/f/a', '1']]);
      await watch.cancel();
    } finally {
      kv.close();
    }
  });

  // Before the next test, which kills a member.
  it("sends its calls to the leader's endpoint, and to the new leader's once leadership moves", async () => {
    const leader = await leaderIndexOf(etcd.endpoints);
    // The leader's endpoint last: without the leader check, calls would go to the first endpoint.
    const order = [...etcd.endpoints.filter((_, i) => i !== leader), etcd.endpoints[leader]!];
    const kv = new EtcdKvStore(order, { leaderCheckMs: 100 });
    const answered = () => Promise.all(etcd.endpoints.map(txnsAnswered));
    const writes = async (count: number) => {
      for (let i = 0; i < count; i++) await kv.txn([], [{ put: `/l/${i}`, value: Buffer.from('v') }]);
    };
    try {
      await untilPreferred(kv, etcd.endpoints[leader]!);
      // A watch starts on a follower: the leader's event loop is on every write's path.
      const watchesBefore = await Promise.all(etcd.endpoints.map((e) => streamsStarted(e, 'Watch')));
      const watch = await kv.watch(
        '/l/',
        1,
        () => undefined,
        () => undefined,
      );
      const watchesAfter = await Promise.all(etcd.endpoints.map((e) => streamsStarted(e, 'Watch')));
      const started = watchesAfter.map((n, i) => n - watchesBefore[i]!);
      expect(started[leader]).toBe(0);
      expect(started.reduce((a, b) => a + b, 0)).toBe(1);
      await watch.cancel();
      let before = await answered();
      await writes(20);
      let after = await answered();
      expect(after.map((n, i) => n - before[i]!)).toEqual(
        etcd.endpoints.map((_, i) => (i === leader ? 20 : 0)),
      );

      // Leadership moves to another member: the client finds it at a later check.
      const next = (leader + 1) % etcd.endpoints.length;
      const status = await etcdctl(etcd.endpoints[next]!.replace(/^http:\/\//, ''), [
        'endpoint',
        'status',
        '-w',
        'json',
      ]);
      const nextId = BigInt(/"member_id":(\d+)/.exec(status)![1]!).toString(16);
      await etcdctl(etcd.endpoints[leader]!.replace(/^http:\/\//, ''), ['move-leader', nextId]);
      expect(await leaderIndexOf(etcd.endpoints)).toBe(next);
      await untilPreferred(kv, etcd.endpoints[next]!);
      before = await answered();
      await writes(20);
      after = await answered();
      expect(after.map((n, i) => n - before[i]!)).toEqual(
        etcd.endpoints.map((_, i) => (i === next ? 20 : 0)),
      );
    } finally {
      kv.close();
    }
  }, 60_000);

  it('resumes a watch on another member when its member dies, without losing or repeating events', async () => {
    // A follower: killing the leader would fail the writes while a new one is elected.
    const victimIndex = ((await leaderIndexOf(etcd.endpoints)) + 1) % etcd.endpoints.length;
    // The watching client starts its watch on the follower after the leader in its list (a watch
    // starts on a follower): the victim. The writer never talks to the victim.
    const leader = await leaderIndexOf(etcd.endpoints);
    const third = etcd.endpoints.findIndex((_, i) => i !== victimIndex && i !== leader);
    const order = [etcd.endpoints[leader]!, etcd.endpoints[victimIndex]!, etcd.endpoints[third]!];
    const watcher = new EtcdKvStore(order);
    const writer = new EtcdKvStore(etcd.endpoints.filter((_, i) => i !== victimIndex));
    const log = eventLog();
    const errors: Error[] = [];
    try {
      const from = (await writer.currentRevision()) + 1;
      const watchesBefore = await streamsStarted(etcd.endpoints[victimIndex]!, 'Watch');
      const watch = await watcher.watch('/w/', from, log.onEvents, (err) => errors.push(err));
      expect(await streamsStarted(etcd.endpoints[victimIndex]!, 'Watch')).toBe(watchesBefore + 1);
      const put = (name: string) =>
        writer.txn([], [{ put: `/w/${name}`, value: Buffer.from(name) }]).then((r) => r.revision);
      await put('before');
      process.kill(etcd.pids[victimIndex]!, 'SIGKILL');
      const revisions = [await put('after1'), await put('after2')];
      await log.atLeast(3);
      expect(errors).toEqual([]);
      expect(log.events.map((e) => e.key)).toEqual(['/w/before', '/w/after1', '/w/after2']);
      expect(log.events.slice(1).map((e) => e.modRevision)).toEqual(revisions);
      await watch.cancel();
    } finally {
      watcher.close();
      writer.close();
    }
  }, 60_000);

  it('reports a compacted revision as CompactedError on range and watch', async () => {
    const kv = new EtcdKvStore(etcd.endpoints.slice(0, 2));
    try {
      const first = (await kv.txn([], [{ put: '/c/x', value: Buffer.from('1') }])).revision;
      const second = (await kv.txn([], [{ put: '/c/x', value: Buffer.from('2') }])).revision;
      await kv.compact(second);
      await expect(kv.range('/c/', '/c0', 0, first)).rejects.toMatchObject({ name: 'CompactedError' });
      const ended = new Promise<Error>((resolve) => {
        void kv.watch('/c/', first, () => undefined, resolve).catch(resolve);
      });
      expect((await ended).name).toBe('CompactedError');
    } finally {
      kv.close();
    }
  });
});

describe('EtcdKvStore on a 3-member Navarch store', () => {
  it("finds the leader's endpoint through Maintenance.Status", async () => {
    const store = await navarchStoreCluster.start();
    try {
      const leader = await leaderIndexOf(store.endpoints);
      const order = [...store.endpoints.filter((_, i) => i !== leader), store.endpoints[leader]!];
      const kv = new EtcdKvStore(order, { leaderCheckMs: 100 });
      try {
        expect(kv.preferredEndpoint).toBe(order[0]);
        await untilPreferred(kv, store.endpoints[leader]!);
        const written = await kv.txn([], [{ put: '/n/a', value: Buffer.from('1') }]);
        expect((await kv.get('/n/a'))?.modRevision).toBe(written.revision);
      } finally {
        kv.close();
      }
    } finally {
      await store.stop();
    }
  }, 120_000);
});
