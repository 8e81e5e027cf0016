import type { MembershipImage } from '../member/membership.js';
import { StoreError, StoreErrorCode } from './errors.js';

/*
 * Data of a snapshot streamed between members: the replicated membership (the state machine
 * does not hold it) followed by the state machine's own image.
 *
 *   format u8 (1) | membershipJsonLength u32be | membership JSON | state machine bytes
 */

const FORMAT = 1;

/** Packs a snapshot's data. */
export function encodeSnapshotImage(membership: MembershipImage, stateMachineData: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(membership), 'utf8');
  const out = Buffer.allocUnsafe(5 + json.length + stateMachineData.byteLength);
  out.writeUInt8(FORMAT, 0);
  out.writeUInt32BE(json.length, 1);
  out.set(json, 5);
  out.set(stateMachineData, 5 + json.length);
  return out;
}

/** Unpacks {@link encodeSnapshotImage}; throws NAVARCH_ERR_STORE_CORRUPT when malformed. */
export function decodeSnapshotImage(data: Uint8Array): {
  membership: MembershipImage;
  stateMachineData: Uint8Array;
} {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buffer.length < 5 || buffer.readUInt8(0) !== FORMAT)
    throw new StoreError(StoreErrorCode.Corrupt, 'bad snapshot image');
  const length = buffer.readUInt32BE(1);
  if (5 + length > buffer.length) throw new StoreError(StoreErrorCode.Corrupt, 'truncated snapshot image');
  let membership: MembershipImage;
  try {
    membership = JSON.parse(buffer.subarray(5, 5 + length).toString('utf8')) as MembershipImage;
  } catch (err) {
    throw new StoreError(StoreErrorCode.Corrupt, `bad membership in snapshot: ${(err as Error).message}`);
  }
  return { membership, stateMachineData: data.subarray(5 + length) };
}
