import { PeerTransport, StoreMetrics, type TransportHandler } from '@navarch/store';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, quietLogger } from './raftnode-harness.js';

interface Received {
  messages: string[];
  snapshots: { header: string; data: Buffer }[];
}

const transports: PeerTransport[] = [];

function handler(received: Received): TransportHandler {
  return {
    onMessages: (_from, messages) => {
      for (const m of messages) received.messages.push(Buffer.from(m).toString());
    },
    onSnapshot: async (_from, header, data) => {
      received.snapshots.push({ header: Buffer.from(header).toString(), data: Buffer.from(data) });
    },
    clusterInfo: () => ({ cluster_id: 7, member_id: 2, members: [] }),
    acceptsFrom: (from) => from !== 99,
  };
}

async function transport(
  memberId: number,
  port: number,
  received: Received,
  options: { clusterId?: number; queueCapacity?: number } = {},
): Promise<{ t: PeerTransport; metrics: StoreMetrics }> {
  const metrics = new StoreMetrics();
  const t = new PeerTransport({
    memberId,
    clusterId: () => options.clusterId ?? 7,
    listenPeerUrls: [`http://127.0.0.1:${port}`],
    handler: handler(received),
    metrics,
    logger: quietLogger,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    snapshotChunkBytes: 1000,
    ...(options.queueCapacity !== undefined ? { queueCapacity: options.queueCapacity } : {}),
  });
  await t.start();
  transports.push(t);
  return { t, metrics };
}

afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop();
});

describe('PeerTransport (gRPC peer streams)', () => {
  it('delivers messages in order over one long-lived stream and counts bytes both ways', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const r1: Received = { messages: [], snapshots: [] };
    const r2: Received = { messages: [], snapshots: [] };
    const { t: a, metrics: ma } = await transport(1, p1, r1);
    const { metrics: mb } = await transport(2, p2, r2);
    a.setPeer(2, [`http://127.0.0.1:${p2}`]);
    for (let i = 0; i < 1000; i++) expect(a.send(2, Buffer.from(`m${i}`))).toBe(true);
    await eventually('all messages delivered', () => r2.messages.length === 1000);
    expect(r2.messages[0]).toBe('m0');
    expect(r2.messages[999]).toBe('m999');
    expect(await ma.registry.getSingleMetricAsString('navarch_store_network_peer_sent_bytes_total')).toMatch(
      /To="2"\} [1-9]/,
    );
    expect(
      await mb.registry.getSingleMetricAsString('navarch_store_network_peer_received_bytes_total'),
    ).toMatch(/From="1"\} [1-9]/);
  });

  it('after stop, adds no peer and sends nothing (a Ready finishing during stop may still try)', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const r2: Received = { messages: [], snapshots: [] };
    const { t: a } = await transport(1, p1, { messages: [], snapshots: [] });
    await transport(2, p2, r2);
    await a.stop();
    a.setPeer(2, [`http://127.0.0.1:${p2}`]);
    expect(a.peers()).toEqual([]);
    expect(a.send(2, Buffer.from('late'))).toBe(false);
    await expect(a.sendSnapshot(2, Buffer.from('h'), Buffer.from('d'))).rejects.toThrow(/stopped/);
    expect(r2.messages).toEqual([]);
  });

  it('refuses a stream from another cluster', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const r2: Received = { messages: [], snapshots: [] };
    const { t: a } = await transport(1, p1, { messages: [], snapshots: [] }, { clusterId: 8 });
    await transport(2, p2, r2);
    a.setPeer(2, [`http://127.0.0.1:${p2}`]);
    a.send(2, Buffer.from('hello'));
    // The refusal ends the stream; the sender reconnects and is refused again; nothing gets in.
    await eventually('stream refused', () => !a.isConnected(2), 5000);
    a.send(2, Buffer.from('again'));
    await new Promise((r) => setTimeout(r, 300));
    expect(r2.messages).toEqual([]);
  });

  it('bounds the queue of an unreachable peer and counts the drops, then reconnects when it appears', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const r2: Received = { messages: [], snapshots: [] };
    const { t: a, metrics } = await transport(1, p1, { messages: [], snapshots: [] }, { queueCapacity: 10 });
    a.setPeer(2, [`http://127.0.0.1:${p2}`]);
    let accepted = 0;
    for (let i = 0; i < 50; i++) if (a.send(2, Buffer.from(`m${i}`))) accepted += 1;
    expect(accepted).toBeLessThanOrEqual(10);
    expect(
      await metrics.registry.getSingleMetricAsString('navarch_store_network_peer_dropped_messages_total'),
    ).toMatch(/To="2"\} [1-9]/);
    await transport(2, p2, r2);
    await eventually('reconnected and delivered', () => {
      a.send(2, Buffer.from('after'));
      return r2.messages.includes('after');
    });
  });

  it('streams a snapshot in chunks and hands over the whole data once', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const r2: Received = { messages: [], snapshots: [] };
    const { t: a } = await transport(1, p1, { messages: [], snapshots: [] });
    await transport(2, p2, r2);
    a.setPeer(2, [`http://127.0.0.1:${p2}`]);
    const data = Buffer.alloc(10_500);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await a.sendSnapshot(2, Buffer.from('header'), data);
    expect(r2.snapshots).toHaveLength(1);
    expect(r2.snapshots[0]!.header).toBe('header');
    expect(r2.snapshots[0]!.data.equals(data)).toBe(true);
  });
});
