/**
 * The replicated key-value state machine the simulated cluster runs: commands are JSON in entry
 * data; applying them is deterministic. Each client has at most one request outstanding and
 * numbers them, so a retried request that was committed twice is applied once (the second copy
 * returns the first copy's result), which keeps retries from turning one put into two.
 */
import type { KvOp, KvResult } from './kv-model.js';

/** A client request as it travels in a log entry. */
export interface KvCommand {
  clientId: number;
  /** Per client, strictly increasing across that client's operations; retries reuse it. */
  requestId: number;
  op: KvOp;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Entry data of a command. */
export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** Inverse of {@link encodeCommand}; throws on data that is not a command. */
export function decodeCommand(data: Uint8Array): KvCommand {
  const value: unknown = JSON.parse(decoder.decode(data));
  if (typeof value !== 'object' || value === null) throw new TypeError('entry data is not a kv command');
  const c = value as Partial<KvCommand>;
  if (typeof c.clientId !== 'number' || typeof c.requestId !== 'number' || typeof c.op !== 'object') {
    throw new TypeError('entry data is not a kv command');
  }
  return c as KvCommand;
}

interface Session {
  requestId: number;
  result: KvResult;
}

/** The state machine of one node. Invariant: `appliedIndex` only grows within an incarnation. */
export class KvStateMachine {
  private readonly data = new Map<string, string>();
  private readonly sessions = new Map<number, Session>();
  /** Index of the last entry applied (or of the snapshot restored). */
  appliedIndex = 0;

  /** Applies the command of entry `index`; returns the result the client gets. */
  apply(index: number, command: KvCommand): KvResult {
    this.appliedIndex = index;
    const session = this.sessions.get(command.clientId);
    if (session !== undefined && command.requestId <= session.requestId) {
      // A duplicate (retry committed twice): answer like the first time, change nothing.
      return session.result;
    }
    const result = this.execute(command.op);
    this.sessions.set(command.clientId, { requestId: command.requestId, result });
    return result;
  }

  /** Records that entry `index` carried no command (leader no-op, membership change). */
  skip(index: number): void {
    this.appliedIndex = index;
  }

  private execute(op: KvOp): KvResult {
    const current = this.data.get(op.key) ?? null;
    switch (op.kind) {
      case 'get':
        return { value: current };
      case 'put':
        this.data.set(op.key, op.value ?? '');
        return { ok: true };
      case 'cas':
        if (current !== (op.expected ?? null)) return { ok: false };
        this.data.set(op.key, op.value ?? '');
        return { ok: true };
    }
  }

  /** Current value of a key (null when absent), for tests and checks. */
  read(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** Serialized state for a snapshot (keys and sessions in sorted order, so equal states encode equally). */
  snapshot(): Uint8Array {
    const data = [...this.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const sessions = [...this.sessions.entries()].sort((a, b) => a[0] - b[0]);
    return encoder.encode(JSON.stringify({ data, sessions }));
  }

  /** Replaces the state with a snapshot taken at `index`. */
  restore(index: number, bytes: Uint8Array): void {
    this.data.clear();
    this.sessions.clear();
    this.appliedIndex = index;
    if (bytes.byteLength === 0) return;
    const parsed = JSON.parse(decoder.decode(bytes)) as {
      data: [string, string][];
      sessions: [number, Session][];
    };
    for (const [k, v] of parsed.data) this.data.set(k, v);
    for (const [c, s] of parsed.sessions) this.sessions.set(c, s);
  }
}
