import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, type Message, pick, StreamReader, startHarness } from './api-harness.js';

let harness: Harness | null = null;

afterEach(async () => {
  await harness?.close();
  harness = null;
});

const put = (h: Harness, key: string, value: string) =>
  h.call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from(value) });
const events = (message: Message) => (message.events as Message[] | undefined) ?? [];
const eventSummary = (message: Message) =>
  events(message).map(
    (event) => `${event.type} ${String(pick(event, 'kv.key'))}=${String(pick(event, 'kv.value'))}`,
  );

describe('etcd Watch API', () => {
  it('creates a watcher, delivers puts and deletes with previous values, and honours filters', async () => {
    harness = await startHarness();
    const h = harness;
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({ create_request: { key: Buffer.from('w/'), range_end: Buffer.from('w0'), prev_kv: true } });
    stream.write({ create_request: { key: Buffer.from('w/a'), filters: ['NOPUT'] } });
    await reader.waitFor((m) => m.created === true && m.watch_id === '1');
    expect(reader.messages[0]).toMatchObject({ created: true, watch_id: '0', header: { revision: '1' } });
    await put(h, 'w/a', '1');
    await put(h, 'w/a', '2');
    await put(h, 'other', 'x');
    await h.call('KV', 'DeleteRange', { key: Buffer.from('w/a') });
    const deleted = await reader.waitFor(
      (m) => m.watch_id === '0' && events(m).some((e) => e.type === 'DELETE'),
    );
    expect(pick(deleted, 'events.0.prev_kv.value')?.toString()).toBe('2');
    const all = reader.messages.filter((m) => m.watch_id === '0').flatMap(eventSummary);
    expect(all).toEqual(['PUT w/a=1', 'PUT w/a=2', 'DELETE w/a=']);
    const filtered = await reader.waitFor((m) => m.watch_id === '1' && events(m).length > 0);
    expect(eventSummary(filtered)).toEqual(['DELETE w/a=']);
    expect(pick(filtered, 'events.0.prev_kv')).toBeNull();
    stream.end();
  });

  it('replays history from a start revision, then continues live without gap or duplicate', async () => {
    harness = await startHarness();
    const h = harness;
    for (let i = 1; i <= 5; i++) await put(h, 'h', String(i));
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({ create_request: { key: Buffer.from('h'), start_revision: 3 } });
    await reader.waitFor((m) => events(m).length > 0);
    await put(h, 'h', '6');
    await reader.waitFor((m) => eventSummary(m).includes('PUT h=6'));
    const seen = reader.messages.flatMap((m) => events(m).map((e) => Number(pick(e, 'kv.mod_revision'))));
    expect(seen).toEqual([3, 4, 5, 6, 7]);
    stream.end();
  });

  it('answers a compacted start revision with compact_revision and cancels, like etcd', async () => {
    harness = await startHarness();
    const h = harness;
    for (let i = 1; i <= 5; i++) await put(h, 'c', String(i));
    await h.call('KV', 'Compact', { revision: 4 });
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({ create_request: { key: Buffer.from('c'), start_revision: 2 } });
    const canceled = await reader.waitFor((m) => m.canceled === true);
    expect(canceled).toMatchObject({ watch_id: '0', compact_revision: '4', canceled: true });
    expect(reader.messages[0]).toMatchObject({ created: true, watch_id: '0' });
    // From the compact revision itself, history is still there.
    stream.write({ create_request: { key: Buffer.from('c'), start_revision: 4 } });
    const replay = await reader.waitFor((m) => m.watch_id === '1' && events(m).length > 0);
    expect(eventSummary(replay)).toEqual(['PUT c=3', 'PUT c=4', 'PUT c=5']);
    stream.end();
  });

  it('answers progress requests and cancels', async () => {
    harness = await startHarness();
    const h = harness;
    await put(h, 'p', '1');
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({ create_request: { key: Buffer.from('p') } });
    await reader.waitFor((m) => m.created === true);
    stream.write({ progress_request: {} });
    const progress = await reader.waitFor((m) => m.watch_id === '-1');
    expect(progress).toMatchObject({ header: { revision: '2' }, events: [] });
    stream.write({ cancel_request: { watch_id: 0 } });
    await reader.waitFor((m) => m.canceled === true && m.watch_id === '0');
    const count = reader.messages.length;
    await put(h, 'p', '2');
    // A second stream proves the put was dispatched; the cancelled watcher got nothing.
    const other = h.stream('Watch', 'Watch');
    const otherReader = new StreamReader(other);
    other.write({ create_request: { key: Buffer.from('p'), start_revision: 3 } });
    await otherReader.waitFor((m) => events(m).length > 0);
    expect(reader.messages.length).toBe(count);
    stream.end();
    other.end();
  });

  it('sends progress notifications to watchers that asked for them', async () => {
    harness = await startHarness({ watchProgressNotifyIntervalMs: 50 });
    const h = harness;
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({ create_request: { key: Buffer.from('q'), progress_notify: true } });
    const notification = await reader.waitFor((m) => m.created !== true && m.watch_id === '0');
    expect(notification).toMatchObject({ events: [], canceled: false, header: { revision: '1' } });
    stream.end();
  });

  it('cancels a watcher whose client stops reading, without stalling other streams', async () => {
    harness = await startHarness({ watchStreamBufferEvents: 20 });
    const h = harness;
    const slow = h.stream('Watch', 'Watch');
    const slowReader = new StreamReader(slow);
    slow.write({ create_request: { key: Buffer.from('s/'), range_end: Buffer.from('s0') } });
    await slowReader.waitFor((m) => m.created === true);
    slow.pause();
    const fast = h.stream('Watch', 'Watch');
    const fastReader = new StreamReader(fast);
    fast.write({ create_request: { key: Buffer.from('s/'), range_end: Buffer.from('s0') } });
    await fastReader.waitFor((m) => m.created === true);
    const value = 'v'.repeat(64 * 1024);
    const total = 120;
    for (let i = 0; i < total; i++) await put(h, `s/${i}`, value);
    await fastReader.waitFor((m) => eventSummary(m).some((e) => e.startsWith(`PUT s/${total - 1}=`)));
    expect(fastReader.messages.flatMap(events)).toHaveLength(total);
    slow.resume();
    const canceled = await slowReader.waitFor((m) => m.canceled === true);
    expect(canceled.cancel_reason).toMatch(/too slow/);
    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/navarch_store_slow_watchers_cancelled_total 1\b/);
    expect(metrics).toMatch(/navarch_store_watchers 1\b/);
    expect(slowReader.messages.flatMap(events).length).toBeLessThan(total);
    slow.end();
    fast.end();
  });

  it('replays a long history to a reader that keeps up, whatever the live buffer bound', async () => {
    // Small history batches: far more responses than grpc buffers before it pushes back.
    harness = await startHarness({ watchStreamBufferEvents: 20, watchCatchUpBatchEvents: 5 });
    const h = harness;
    const total = 1000;
    const txn = (from: number) => ({
      success: Array.from({ length: 10 }, (_, i) => ({
        request_put: { key: Buffer.from(`long/${from + i}`), value: Buffer.from('v') },
      })),
    });
    for (let from = 0; from < total; from += 10) await h.call('KV', 'Txn', txn(from));
    const stream = h.stream('Watch', 'Watch');
    const reader = new StreamReader(stream);
    stream.write({
      create_request: { key: Buffer.from('long/'), range_end: Buffer.from('long0'), start_revision: 2 },
    });
    let received = 0;
    let counted = 0;
    await reader.waitUntil(() => {
      for (; counted < reader.messages.length; counted++) {
        const message = reader.messages[counted] as Message;
        if (message.canceled === true) throw new Error(`watcher cancelled: ${String(message.cancel_reason)}`);
        received += events(message).length;
      }
      return received >= total;
    });
    expect(reader.messages.some((m) => m.canceled === true)).toBe(false);
    expect(reader.messages.flatMap(events)).toHaveLength(total);
    stream.end();
  });
});
