import { StoreError, StoreErrorCode } from './errors.js';

/*
 * Layout of the data of NORMAL Raft entries written by the store member. The first byte says
 * whose entry it is; the state machine sees only `request` of client entries.
 *
 *   empty                                   leader's no-op at the start of a term
 *   1 | proposer u64 | requestId u64 | req  a client request for the state machine
 *   2 | JSON {id, name, clientUrls}         member attributes (published after start)
 *   3 | JSON {id, peerUrls, proposer, requestId}   member peer URL update
 *
 * (proposer, requestId) is unique cluster-wide: the proposer's member id, and a counter that
 * starts from the wall clock at process start so that it does not repeat across restarts.
 */

/** Kind byte of an entry envelope. */
export const EnvelopeKind = { Request: 1, MemberAttributes: 2, MemberUpdate: 3 } as const;

/** A decoded normal entry. */
export type Envelope =
  | { kind: 'noop' }
  | { kind: 'request'; proposer: number; requestId: number; request: Uint8Array }
  | { kind: 'memberAttributes'; id: number; name: string; clientUrls: string[] }
  | { kind: 'memberUpdate'; id: number; peerUrls: string[]; proposer: number; requestId: number };

function writeUint53(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  buffer.writeUInt32BE(value % 0x1_0000_0000, offset + 4);
}

function readUint53(buffer: Buffer, offset: number): number {
  return buffer.readUInt32BE(offset) * 0x1_0000_0000 + buffer.readUInt32BE(offset + 4);
}

/** Wraps a client request. */
export function encodeRequestEnvelope(proposer: number, requestId: number, request: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(17 + request.byteLength);
  out.writeUInt8(EnvelopeKind.Request, 0);
  writeUint53(out, proposer, 1);
  writeUint53(out, requestId, 9);
  out.set(request, 17);
  return out;
}

/** Wraps a JSON member entry (attributes or update). */
export function encodeJsonEnvelope(kind: 2 | 3, value: object): Uint8Array {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const out = Buffer.allocUnsafe(1 + json.length);
  out.writeUInt8(kind, 0);
  out.set(json, 1);
  return out;
}

/** Decodes the data of a normal entry; throws NAVARCH_ERR_STORE_CORRUPT on an unknown layout. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  if (data.byteLength === 0) return { kind: 'noop' };
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const kind = buffer.readUInt8(0);
  if (kind === EnvelopeKind.Request) {
    if (buffer.length < 17) throw new StoreError(StoreErrorCode.Corrupt, 'request entry too short');
    return {
      kind: 'request',
      proposer: readUint53(buffer, 1),
      requestId: readUint53(buffer, 9),
      request: data.subarray(17),
    };
  }
  if (kind === EnvelopeKind.MemberAttributes || kind === EnvelopeKind.MemberUpdate) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(buffer.subarray(1).toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new StoreError(StoreErrorCode.Corrupt, `member entry is not JSON: ${(err as Error).message}`);
    }
    const id = Number(value.id);
    if (kind === EnvelopeKind.MemberAttributes) {
      return {
        kind: 'memberAttributes',
        id,
        name: String(value.name ?? ''),
        clientUrls: (value.clientUrls as string[]) ?? [],
      };
    }
    return {
      kind: 'memberUpdate',
      id,
      peerUrls: (value.peerUrls as string[]) ?? [],
      proposer: Number(value.proposer ?? 0),
      requestId: Number(value.requestId ?? 0),
    };
  }
  throw new StoreError(StoreErrorCode.Corrupt, `unknown entry kind ${kind}`);
}

/** Key of a pending proposal: unique across the cluster. */
export function proposalKey(proposer: number, requestId: number): string {
  return `${proposer}:${requestId}`;
}
