/**
 * etcdctl 3.4 (the real client, /usr/bin/etcdctl) drives a 3-member cluster. The same suite runs
 * against a real etcd 3.4.23 cluster and against a Navarch store cluster, so every expectation here
 * is etcd's own behaviour and Navarch must show the same.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTrackedDir, trackedTempDir } from '../helpers/registry.js';
import {
  type Cluster,
  type ClusterKind,
  etcdctl,
  eventually,
  freePort,
  NAVARCH_MAIN,
  startCluster,
} from './helpers/cluster.js';
import { startWatch } from './helpers/watch-process.js';

const kinds: ClusterKind[] = ['etcd', 'navarch'];

describe.each(kinds)('etcdctl against a 3-member %s cluster', (kind) => {
  let cluster: Cluster;
  let endpoints: string;
  const scratch = trackedTempDir(`navarch-etcdctl-${kind}-`);
  const run = (args: string[], input?: string) =>
    etcdctl(endpoints, args, input === undefined ? {} : { input });
  /** The current revision, read from a linearizable get's header. */
  const revision = async () =>
    (JSON.parse(await run(['get', 'none', '-w', 'json'])) as { header: { revision: number } }).header
      .revision;

  beforeAll(async () => {
    if (kind === 'navarch' && !existsSync(NAVARCH_MAIN))
      throw new Error(`build first: ${NAVARCH_MAIN} is missing`);
    cluster = await startCluster(kind, 3);
    endpoints = cluster.endpoints();
  });

  afterAll(async () => {
    await cluster?.stop();
    removeTrackedDir(scratch);
  });

  it('puts and gets keys, by prefix, at a past revision, keys only and as JSON', async () => {
    expect(await run(['put', 'kv/a', '1'])).toBe('OK\n');
    expect(await run(['put', 'kv/a', '2', '--prev-kv'])).toBe('OK\nkv/a\n1\n');
    await run(['put', 'kv/b', '3']);
    expect(await run(['get', 'kv/a'])).toBe('kv/a\n2\n');
    expect(await run(['get', 'kv/a', '--consistency=s'])).toBe('kv/a\n2\n');
    expect(await run(['get', 'kv/', '--prefix'])).toBe('kv/a\n2\nkv/b\n3\n');
    expect(await run(['get', 'kv/', '--prefix', '--keys-only'])).toBe('kv/a\n\nkv/b\n\n');
    expect(await run(['get', 'kv/', '--prefix', '--limit=1'])).toBe('kv/a\n2\n');
    const json = JSON.parse(await run(['get', 'kv/a', '-w', 'json'])) as {
      header: { cluster_id: number; member_id: number; revision: number; raft_term: number };
      kvs: Array<{
        key: string;
        value: string;
        create_revision: number;
        mod_revision: number;
        version: number;
      }>;
      count: number;
    };
    expect(json.header.cluster_id).toBeGreaterThan(0);
    expect(json.header.member_id).toBeGreaterThan(0);
    expect(json.header.raft_term).toBeGreaterThan(0);
    expect(json.count).toBe(1);
    const kv = json.kvs[0];
    expect(Buffer.from(kv?.key ?? '', 'base64').toString()).toBe('kv/a');
    expect(Buffer.from(kv?.value ?? '', 'base64').toString()).toBe('2');
    expect(kv?.version).toBe(2);
    expect(kv?.mod_revision).toBe((kv?.create_revision ?? 0) + 1);
    expect(await run(['get', 'kv/a', `--rev=${kv?.create_revision}`])).toBe('kv/a\n1\n');
    await expect(run(['get', 'kv/a', '--rev=100000'])).rejects.toThrow(
      'etcdserver: mvcc: required revision is a future revision',
    );
    await expect(run(['put', '', 'x'])).rejects.toThrow('etcdserver: key is not provided');
  });

  it('deletes one key and a prefix, with previous values', async () => {
    await run(['put', 'del/a', '1']);
    await run(['put', 'del/b', '2']);
    await run(['put', 'del/c', '3']);
    expect(await run(['del', 'del/a'])).toBe('1\n');
    expect(await run(['del', 'del/a'])).toBe('0\n');
    expect(await run(['del', 'del/', '--prefix', '--prev-kv'])).toBe('2\ndel/b\n2\ndel/c\n3\n');
    expect(await run(['get', 'del/', '--prefix'])).toBe('');
  });

  it('runs transactions on both branches', async () => {
    await run(['put', 'txn/k', 'v1']);
    const success = await run(
      ['txn'],
      'value("txn/k") = "v1"\n\nput txn/k v2\nget txn/k\n\nput txn/k failed\n\n',
    );
    expect(success).toBe('SUCCESS\n\nOK\n\ntxn/k\nv2\n');
    const failure = await run(['txn'], 'value("txn/k") = "v1"\n\nput txn/k v3\n\nget txn/k\n\n');
    expect(failure).toBe('FAILURE\n\ntxn/k\nv2\n');
    const byVersion = await run(['txn'], 'ver("txn/k") > "1"\nmod("txn/missing") = "0"\n\ndel txn/k\n\n\n');
    expect(byVersion).toBe('SUCCESS\n\n1\n');
    const duplicate = run(['txn'], '\nput txn/x 1\nput txn/x 2\n\n\n');
    await expect(duplicate).rejects.toThrow('etcdserver: duplicate key given in txn request');
  });

  it('watches a prefix with previous values, and replays history from a revision', async () => {
    const live = startWatch(endpoints, ['--prefix', '--prev-kv', 'watch/']);
    try {
      // The watcher prints nothing until an event; poll-free: wait for each event's output.
      await eventually(async () => {
        await run(['put', 'watch/ready', 'x']);
        return live.output().includes('watch/ready');
      });
      await run(['put', 'watch/a', '1']);
      await run(['put', 'watch/a', '2']);
      await run(['del', 'watch/a']);
      await live.waitFor('DELETE\nwatch/a\n2\nwatch/a\n\n');
      expect(live.output()).toContain('PUT\nwatch/a\n1\n');
      expect(live.output()).toContain('PUT\nwatch/a\n1\nwatch/a\n2\n');
    } finally {
      await live.stop();
    }
    const first = await revision();
    await run(['put', 'watch/h', 'one']);
    await run(['put', 'watch/h', 'two']);
    const history = startWatch(endpoints, [`--rev=${first + 1}`, 'watch/h']);
    try {
      await history.waitFor('PUT\nwatch/h\none\nPUT\nwatch/h\ntwo\n');
    } finally {
      await history.stop();
    }
  });

  it('grants, keeps alive, inspects and revokes leases; the keys vanish', async () => {
    const granted = await run(['lease', 'grant', '100']);
    const id = /lease ([0-9a-f]+) granted with TTL\(100s\)/.exec(granted)?.[1];
    expect(id).toBeDefined();
    await run(['put', 'lease/a', '1', `--lease=${id}`]);
    await run(['put', 'lease/b', '2', `--lease=${id}`]);
    expect(await run(['lease', 'keep-alive', '--once', id as string])).toContain(
      `lease ${id} keepalived with TTL(100)`,
    );
    const ttl = await run(['lease', 'timetolive', '--keys', id as string]);
    // etcd lists a lease's keys in no particular order (a map inside); either order is right.
    expect(ttl).toMatch(
      new RegExp(
        `lease ${id} granted with TTL\\(100s\\), remaining\\(\\d+s\\), attached keys\\(\\[(lease/a lease/b|lease/b lease/a)\\]\\)`,
      ),
    );
    expect(await run(['lease', 'list'])).toContain(id);
    expect(await run(['lease', 'revoke', id as string])).toBe(`lease ${id} revoked\n`);
    expect(await run(['get', 'lease/', '--prefix'])).toBe('');
    expect(await run(['lease', 'timetolive', id as string])).toBe(`lease ${id} already expired\n`);
    await expect(run(['lease', 'revoke', id as string])).rejects.toThrow(
      'etcdserver: requested lease not found',
    );
    await expect(run(['put', 'lease/c', '3', '--lease=1234'])).rejects.toThrow(
      'etcdserver: requested lease not found',
    );
  });

  it('expires a lease that is not kept alive (TTL raised to the 2 s minimum)', async () => {
    const granted = await run(['lease', 'grant', '1']);
    const id = /lease ([0-9a-f]+) granted with TTL\(2s\)/.exec(granted)?.[1];
    expect(id, granted).toBeDefined();
    await run(['put', 'expire/a', '1', `--lease=${id}`]);
    await eventually(async () => (await run(['get', 'expire/a'])) === '', 20_000);
  });

  it('lists, adds a learner, promotes it and removes it', async () => {
    const list = await run(['member', 'list']);
    expect(list.trim().split('\n')).toHaveLength(3);
    for (const name of ['m1', 'm2', 'm3'])
      expect(list).toMatch(
        new RegExp(`, started, ${name}, http://127\\.0\\.0\\.1:\\d+, http://127\\.0\\.0\\.1:\\d+, false`),
      );
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    // etcd refuses reconfiguration with "etcdserver: unhealthy cluster" until every voter has been
    // connected to the serving member for 5 s (its strict reconfiguration check); an operator retries.
    let added = '';
    await eventually(
      async () => {
        try {
          added = await run(['member', 'add', 'm4', '--learner', `--peer-urls=${peerUrl}`]);
          return true;
        } catch (error) {
          if (/unhealthy cluster/.test((error as Error).message)) return false;
          throw error;
        }
      },
      30_000,
      1_000,
    );
    // etcdctl prints ids with %16x: ids below 2^60 come padded with spaces.
    const id = /Member\s+([0-9a-f]+) added to cluster/.exec(added)?.[1];
    expect(id, added).toBeDefined();
    expect(await run(['member', 'list'])).toContain(`${id}, unstarted, , ${peerUrl}, , true`);
    const member = await cluster.startJoining('m4', peerUrl, await freePort());
    let removed = false;
    try {
      await eventually(
        async () => /Member\s+[0-9a-f]+ promoted/.test(await run(['member', 'promote', id as string])),
        60_000,
        500,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${cluster.logs()}`);
      });
      const started = new RegExp(`${id}, started, m4, ${peerUrl}, http://127\\.0\\.0\\.1:\\d+, false`);
      await eventually(async () => started.test(await run(['member', 'list'])), 30_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n${cluster.logs()}`);
        },
      );
      expect(await run(['member', 'remove', id as string])).toMatch(
        new RegExp(`Member\\s+${id} removed from cluster`),
      );
      removed = true;
      expect((await run(['member', 'list'])).trim().split('\n')).toHaveLength(3);
    } finally {
      // Leave a 3-member cluster for the next tests whatever happened.
      if (!removed) await run(['member', 'remove', id as string]).catch(() => '');
      cluster.members.splice(cluster.members.indexOf(member), 1);
      await cluster.kill(member);
    }
  });

  it('reports endpoint status and health for every member', async () => {
    const statuses = JSON.parse(await run(['endpoint', 'status', '-w', 'json'])) as Array<{
      Endpoint: string;
      Status: {
        header: { member_id: number };
        leader: number;
        raftTerm: number;
        raftIndex: number;
        dbSize: number;
        version: string;
      };
    }>;
    expect(statuses).toHaveLength(3);
    const leaders = new Set(statuses.map((status) => status.Status.leader));
    expect(leaders.size).toBe(1);
    expect(statuses.map((status) => status.Status.header.member_id)).toContain([...leaders][0]);
    for (const status of statuses) {
      expect(status.Status.raftIndex).toBeGreaterThan(0);
      expect(status.Status.dbSize).toBeGreaterThan(0);
      expect(status.Status.version).toMatch(/^3\.4\./);
    }
    const health = await etcdctl(endpoints, ['endpoint', 'health'], { withStderr: true });
    for (const member of cluster.members) expect(health).toContain(`${member.endpoint} is healthy`);
  });

  it('saves a snapshot', async () => {
    const file = join(scratch, 'backup.db');
    const first = cluster.members[0];
    const out = await etcdctl(first?.endpoint ?? '', ['snapshot', 'save', file]);
    expect(out).toContain(`Snapshot saved at ${file}`);
    // etcdctl itself checks for the SHA-256 trailer: size - 32 is a multiple of 512.
    expect(statSync(file).size % 512).toBe(32);
  });

  it('compacts; reads and watches from a compacted revision fail as in etcd', async () => {
    await run(['put', 'compact/k', 'a']);
    const old = await revision();
    await run(['put', 'compact/k', 'b']);
    await run(['put', 'compact/k', 'c']);
    const target = await revision();
    expect(await run(['compaction', String(target)])).toBe(`compacted revision ${target}\n`);
    await expect(run(['get', 'compact/k', `--rev=${old}`])).rejects.toThrow(
      'etcdserver: mvcc: required revision has been compacted',
    );
    await expect(run(['compaction', String(old)])).rejects.toThrow(
      'etcdserver: mvcc: required revision has been compacted',
    );
    expect(await run(['get', 'compact/k', `--rev=${target}`])).toBe('compact/k\nc\n');
    const watch = startWatch(endpoints, [`--rev=${old}`, 'compact/k']);
    const code = await watch.exited();
    expect(code).not.toBe(0);
    expect(watch.output() + watch.errors()).toContain(
      'etcdserver: mvcc: required revision has been compacted',
    );
  });

  // check perf also fails on one request slower than 0.5 s. On this shared 2-core machine a
  // single fsync stall does that now and then, to etcd itself as well (seen once: "Slowest request
  // took too long: 0.77s", etcd 3.4 run, everything else passing). So a second run is allowed;
  // a system that cannot pass twice in a row fails, and the first failure is printed.
  it('passes `etcdctl check perf --load=s` (a second run allowed)', async () => {
    let out = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        out = await etcdctl(endpoints, ['check', 'perf', '--load=s'], { timeoutMs: 120_000 });
        break;
      } catch (err) {
        if (attempt === 2) throw err;
        process.stderr.write(
          `check perf, first run failed (${kind}); running it again:\n${String(err).slice(-400)}\n`,
        );
      }
    }
    expect(out).toContain('PASS: Throughput');
    expect(out).toMatch(/\nPASS\n?$/);
  }, 280_000);
});
