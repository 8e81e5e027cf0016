/**
 * Membership changes: the wire encoding of a ConfChange inside a log entry, and the rules that
 * turn a ConfState plus one change into the next ConfState (one change at a time).
 */
import { invariant } from './errors.js';
import type { ConfChange, ConfChangeType, ConfState } from './types.js';

const ENCODING_VERSION = 1;
const TYPE_CODES: Record<ConfChangeType, number> = { addNode: 1, addLearnerNode: 2, removeNode: 3 };
const CODE_TYPES: Record<number, ConfChangeType> = { 1: 'addNode', 2: 'addLearnerNode', 3: 'removeNode' };

/**
 * Encodes a ConfChange as entry data: version (1 byte), type (1 byte), node id (8 bytes, big
 * endian), then the context bytes. Stable: persisted in logs.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  invariant(
    Number.isSafeInteger(cc.nodeId) && cc.nodeId > 0,
    () => `invalid conf change node id ${cc.nodeId}`,
  );
  const context = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(10 + context.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, ENCODING_VERSION);
  view.setUint8(1, TYPE_CODES[cc.type]);
  view.setBigUint64(2, BigInt(cc.nodeId));
  out.set(context, 10);
  return out;
}

/** Decodes entry data written by {@link encodeConfChange}. Throws ErrInvariant on malformed data. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  invariant(data.byteLength >= 10, 'conf change entry too short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  invariant(view.getUint8(0) === ENCODING_VERSION, () => `unknown conf change encoding ${view.getUint8(0)}`);
  const type = CODE_TYPES[view.getUint8(1)];
  invariant(type !== undefined, () => `unknown conf change type ${view.getUint8(1)}`);
  const nodeId = Number(view.getBigUint64(2));
  const cc: ConfChange = { type, nodeId };
  if (data.byteLength > 10) cc.context = data.slice(10);
  return cc;
}

/**
 * The ConfState after applying `cc` to `cs`. Adding an existing voter is a no-op; `addNode` on a
 * learner promotes it; `addLearnerNode` on a voter is refused (demotion is not supported: it
 * would need a joint change); removing an absent node is a no-op.
 */
export function applyChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  switch (cc.type) {
    case 'addNode':
      learners.delete(cc.nodeId);
      voters.add(cc.nodeId);
      break;
    case 'addLearnerNode':
      if (!voters.has(cc.nodeId)) learners.add(cc.nodeId);
      break;
    case 'removeNode':
      voters.delete(cc.nodeId);
      learners.delete(cc.nodeId);
      break;
  }
  return { voters: [...voters].sort((a, b) => a - b), learners: [...learners].sort((a, b) => a - b) };
}
