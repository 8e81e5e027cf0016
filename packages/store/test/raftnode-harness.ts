/**
 * Test harness for the store member: a tiny deterministic key-value state machine that follows
 * the StateMachine contract (in-memory apply, background unsynced writes, synced flush), free
 * loopback ports, and a quiet logger.
 */
import { createServer } from 'node:net';
import type {
  Consensus,
  GrpcServer,
  StateMachine,
  StateMachineSnapshot,
  StoreApplicationFactory,
  StoreDatabase,
} from '@navarch/store';
import pino from 'pino';

/** A logger that prints nothing unless NAVARCH_TEST_LOG is set. */
export const quietLogger = pino({ level: process.env.NAVARCH_TEST_LOG ?? 'silent' });

const handedOut = new Set<number>();

/** A free TCP port on 127.0.0.1 (probe, then release), never the same one twice in a process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(bound));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

type KvSublevel = ReturnType<StoreDatabase['sublevel']> & {
  batch(
    operations: { type: 'put' | 'del'; key: string; value?: Uint8Array }[],
    options?: { sync?: boolean },
  ): Promise<void>;
  clear(): Promise<void>;
  iterator(): AsyncIterable<[string, Uint8Array]>;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Requests are JSON `{op: 'put', key, value}` or `{op: 'get', key}`; apply returns JSON
 * `{index, value}` (the previous value for put). Each apply writes only what it changed, in one
 * unsynced batch with the applied index (atomic), like the MVCC store does.
 */
export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, string>();
  /** Every applied client request, in order (to compare members). */
  readonly log: string[] = [];
  private applied = 0;
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly sublevel: KvSublevel) {}

  static async open(db: StoreDatabase): Promise<KvStateMachine> {
    const sublevel = db.sublevel<string, Uint8Array>('kv-test', {
      valueEncoding: 'view',
    }) as unknown as KvSublevel;
    const sm = new KvStateMachine(sublevel);
    const logEntries: [number, string][] = [];
    for await (const [key, value] of sublevel.iterator() as AsyncIterable<[string, Uint8Array]>) {
      const text = decoder.decode(value);
      if (key === 'applied') sm.applied = Number(text);
      else if (key.startsWith('k:')) sm.data.set(key.slice(2), text);
      else if (key.startsWith('l:')) logEntries.push([Number(key.slice(2)), text]);
    }
    logEntries.sort((a, b) => a[0] - b[0]);
    sm.log.push(...logEntries.map(([, text]) => text));
    return sm;
  }

  private write(operations: { type: 'put'; key: string; value: Uint8Array }[], sync: boolean): Promise<void> {
    this.writes = this.writes.then(() => this.sublevel.batch(operations, { sync }));
    return this.writes;
  }

  apply(index: number, request: Uint8Array | null): Uint8Array {
    if (index !== this.applied + 1) throw new Error(`apply ${index} after ${this.applied}`);
    this.applied = index;
    let result: { index: number; value: string | null } = { index, value: null };
    const operations: { type: 'put'; key: string; value: Uint8Array }[] = [
      { type: 'put', key: 'applied', value: encoder.encode(String(index)) },
    ];
    if (request) {
      const r = JSON.parse(decoder.decode(request)) as { op: string; key: string; value?: string };
      result = { index, value: this.data.get(r.key) ?? null };
      if (r.op === 'put') {
        this.data.set(r.key, r.value ?? '');
        this.log.push(`${r.key}=${r.value}`);
        operations.push({ type: 'put', key: `k:${r.key}`, value: encoder.encode(r.value ?? '') });
        operations.push({
          type: 'put',
          key: `l:${String(this.log.length).padStart(12, '0')}`,
          value: encoder.encode(`${r.key}=${r.value}`),
        });
      }
    }
    void this.write(operations, false);
    return encoder.encode(JSON.stringify(result));
  }

  appliedIndex(): number {
    return this.applied;
  }

  async flush(): Promise<number> {
    const applied = this.applied;
    await this.write([{ type: 'put', key: 'applied', value: encoder.encode(String(applied)) }], true);
    return applied;
  }

  snapshot(): StateMachineSnapshot {
    const state: SavedState = { data: [...this.data], log: this.log };
    return { index: this.applied, data: encoder.encode(JSON.stringify(state)) };
  }

  async restore(snapshot: StateMachineSnapshot): Promise<void> {
    const state = JSON.parse(decoder.decode(snapshot.data)) as SavedState;
    await this.writes;
    await this.sublevel.clear();
    this.data.clear();
    for (const [k, v] of state.data) this.data.set(k, v);
    this.log.length = 0;
    this.log.push(...state.log);
    this.applied = snapshot.index;
    const operations: { type: 'put'; key: string; value: Uint8Array }[] = [];
    for (const [k, v] of this.data) operations.push({ type: 'put', key: `k:${k}`, value: encoder.encode(v) });
    for (const [i, text] of this.log.entries()) {
      operations.push({
        type: 'put',
        key: `l:${String(i + 1).padStart(12, '0')}`,
        value: encoder.encode(text),
      });
    }
    // The applied index goes last in the same batch: a crash leaves the old state or the new one.
    operations.push({ type: 'put', key: 'applied', value: encoder.encode(String(snapshot.index)) });
    await this.write(operations, true);
  }
}

interface SavedState {
  data: [string, string][];
  log: string[];
}

/** Encodes a put for {@link KvStateMachine}. */
export function putRequest(key: string, value: string): Uint8Array {
  return Buffer.from(JSON.stringify({ op: 'put', key, value }), 'utf8');
}

/** A StoreApplication with the KV state machine and no client services; `machines` collects them by member id. */
export function kvApplication(machines: Map<number, KvStateMachine>): StoreApplicationFactory {
  return async (context) => {
    const sm = await KvStateMachine.open(context.db);
    machines.set(context.memberId, sm);
    return {
      stateMachine: sm,
      addServices(_server: GrpcServer, _consensus: Consensus): void {},
      async close(): Promise<void> {},
    };
  };
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws `what`). */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
