/**
 * Test harness for the store member: a tiny deterministic key-value state machine that follows
 * the StateMachine contract (in-memory apply, background unsynced writes, synced flush), free
 * loopback ports, and a quiet logger.
 */
import { createServer } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import type { Consensus, StateMachine, StateMachineSnapshot, StoreApplicationFactory, StoreDatabase } from '@navarch/store';
import pino from 'pino';

/** A logger that prints nothing unless NAVARCH_TEST_LOG is set. */
export const quietLogger = pino({ level: process.env.NAVARCH_TEST_LOG ?? 'silent' });

/** A free TCP port on 127.0.0.1 (probe, then release). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

type KvSublevel = ReturnType<StoreDatabase['sublevel']> & {
  put(key: string, value: Uint8Array, options?: { sync?: boolean }): Promise<void>;
};

/**
 * Requests are JSON `{op: 'put', key, value}` or `{op: 'get', key}`; apply returns JSON
 * `{index, value}` (the previous value for put).
 */
export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, string>();
  /** Every applied client request, in order (to compare members). */
  readonly log: string[] = [];
  private applied = 0;
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly sublevel: KvSublevel) {}

  static async open(db: StoreDatabase): Promise<KvStateMachine> {
    const sublevel = db.sublevel<string, Uint8Array>('kv-test', { valueEncoding: 'view' }) as unknown as KvSublevel;
    const sm = new KvStateMachine(sublevel);
    const record = await sublevel.get('state');
    if (record !== undefined) sm.load(JSON.parse(Buffer.from(record as Uint8Array).toString('utf8')) as SavedState);
    return sm;
  }

  private load(state: SavedState): void {
    this.data.clear();
    for (const [k, v] of state.data) this.data.set(k, v);
    this.log.length = 0;
    this.log.push(...state.log);
    this.applied = state.applied;
  }

  private save(sync: boolean): Promise<void> {
    const state: SavedState = { applied: this.applied, data: [...this.data], log: this.log };
    const bytes = Buffer.from(JSON.stringify(state), 'utf8');
    this.writes = this.writes.then(() => this.sublevel.put('state', bytes, { sync }));
    return this.writes;
  }

  apply(index: number, request: Uint8Array | null): Uint8Array {
    if (index !== this.applied + 1) throw new Error(`apply ${index} after ${this.applied}`);
    this.applied = index;
    let result: { index: number; value: string | null } = { index, value: null };
    if (request) {
      const r = JSON.parse(Buffer.from(request).toString('utf8')) as { op: string; key: string; value?: string };
      if (r.op === 'put') {
        result = { index, value: this.data.get(r.key) ?? null };
        this.data.set(r.key, r.value ?? '');
        this.log.push(`${r.key}=${r.value}`);
      } else {
        result = { index, value: this.data.get(r.key) ?? null };
      }
    }
    void this.save(false);
    return Buffer.from(JSON.stringify(result), 'utf8');
  }

  appliedIndex(): number {
    return this.applied;
  }

  async flush(): Promise<number> {
    const applied = this.applied;
    await this.save(true);
    return applied;
  }

  snapshot(): StateMachineSnapshot {
    const state: SavedState = { applied: this.applied, data: [...this.data], log: this.log };
    return { index: this.applied, data: Buffer.from(JSON.stringify(state), 'utf8') };
  }

  async restore(snapshot: StateMachineSnapshot): Promise<void> {
    const state = JSON.parse(Buffer.from(snapshot.data).toString('utf8')) as SavedState;
    this.load({ ...state, applied: snapshot.index });
    await this.save(true);
  }
}

interface SavedState {
  applied: number;
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
      addServices(_server: grpc.Server, _consensus: Consensus): void {},
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
