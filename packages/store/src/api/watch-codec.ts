/**
 * Hand-written encoder of etcdserverpb.WatchResponse (rpc.proto; mvccpb.Event in kv.proto): the
 * store sends one per event batch per watcher, so it skips protobufjs's object conversion and
 * `Long` arithmetic (see grpc/protobuf.ts). The output is gRPC-framed (5-byte prefix included);
 * the framing, header and booleans are kv-codec.ts's. Proto3 defaults are omitted, except that
 * every event carries its `kv` and the header is always present. Requests (WatchRequest) are rare
 * and stay with protobufjs.
 */
import {
  int64Size,
  lengthDelimitedSize,
  type ProtoWriter,
  tagSize,
  WIRE_BYTES,
  WIRE_VARINT,
} from '../grpc/protobuf.js';
import type { MvccEvent } from '../mvcc/types.js';
import type { WireHeader } from './context.js';
import { finished, keyValueSize, startFramed, writeBool, writeKeyValue } from './kv-codec.js';

/** A WatchResponse to encode; absent fields are proto3 defaults. */
export interface WatchResponseFields {
  header: WireHeader;
  /** The watcher; -1 answers a progress request. */
  watchId: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
  events?: readonly MvccEvent[];
}

function int64FieldSize(field: number, value: number): number {
  return value === 0 ? 0 : tagSize(field) + int64Size(value);
}

function writeInt64(writer: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  writer.tag(field, WIRE_VARINT);
  writer.int64(value);
}

/** Bytes of an Event message body, with the sizes of its kv and prev_kv. */
function eventSize(event: MvccEvent, sizes: number[]): number {
  const kvSize = keyValueSize(event.kv);
  const prevSize = event.prevKv === null ? -1 : keyValueSize(event.prevKv);
  sizes.push(kvSize, prevSize);
  return (
    (event.type === 'DELETE' ? 2 : 0) +
    lengthDelimitedSize(2, kvSize) +
    (prevSize < 0 ? 0 : lengthDelimitedSize(3, prevSize))
  );
}

/** Encodes a framed etcdserverpb.WatchResponse. */
export function encodeWatchResponse(response: WatchResponseFields): Buffer {
  const reason = response.cancelReason ?? '';
  const reasonBytes = reason === '' ? 0 : Buffer.byteLength(reason, 'utf8');
  const events = response.events ?? [];
  const compactRevision = response.compactRevision ?? 0;
  // Per event: its body size, then the sizes of kv and prev_kv (-1: none).
  const sizes: number[] = [];
  let size =
    int64FieldSize(2, response.watchId) +
    (response.created === true ? 2 : 0) +
    (response.canceled === true ? 2 : 0) +
    int64FieldSize(5, compactRevision) +
    (reasonBytes === 0 ? 0 : lengthDelimitedSize(6, reasonBytes));
  for (const event of events) {
    const at = sizes.length;
    sizes.push(0);
    const body = eventSize(event, sizes);
    sizes[at] = body;
    size += lengthDelimitedSize(11, body);
  }
  const { writer, framed } = startFramed(response.header, size);
  writeInt64(writer, 2, response.watchId);
  writeBool(writer, 3, response.created === true);
  writeBool(writer, 4, response.canceled === true);
  writeInt64(writer, 5, compactRevision);
  if (reasonBytes !== 0) writer.string(6, reason, reasonBytes);
  let at = 0;
  for (const event of events) {
    const body = sizes[at] as number;
    const kvSize = sizes[at + 1] as number;
    const prevSize = sizes[at + 2] as number;
    at += 3;
    writer.tag(11, WIRE_BYTES);
    writer.varint(body);
    writeBool(writer, 1, event.type === 'DELETE');
    writeKeyValue(writer, 2, event.kv, kvSize);
    if (event.prevKv !== null) writeKeyValue(writer, 3, event.prevKv, prevSize);
  }
  return finished(writer, framed);
}
