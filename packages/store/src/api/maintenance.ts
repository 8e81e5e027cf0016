/** The etcd Maintenance service: alarms, status, hashes, snapshots (backups), leadership transfer. */
import type { ServiceImplementation, StreamCall } from '../grpc/call.js';
import type { AlarmType } from '../mvcc/types.js';
import { toMemberId } from './cluster.js';
import type { ApiContext, CallSignal } from './context.js';
import { toNumber, type WireLong } from './convert.js';
import { toStatusError } from './errors.js';

/** Bytes per SnapshotResponse message (etcd sends 32 KiB chunks). */
const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

/** The Maintenance service implementation. */
export function maintenanceService(context: ApiContext): ServiceImplementation {
  const unary = <Request, Response>(
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ) => context.unary('Maintenance', method, handler);
  const wireAlarms = (alarms: Array<{ memberId: number; alarm: AlarmType }>) =>
    alarms.map((alarm) => ({ memberID: alarm.memberId, alarm: alarm.alarm }));

  // Chunks are written as the client reads them: write() returning false waits for 'drain', so a
  // slow reader holds only the backup itself, never all of it framed in the stream's buffer.
  const Snapshot = (call: StreamCall<object, object>): void => {
    let backup: Buffer;
    let header: ReturnType<ApiContext['header']>;
    try {
      backup = context.store.backup();
      header = context.header();
    } catch (failure) {
      const error = toStatusError(failure);
      context.count('server_stream', 'Maintenance', 'Snapshot', error.code);
      call.fail({ code: error.code, details: error.message });
      return;
    }
    let offset = 0;
    const pump = (): void => {
      while (offset < backup.length) {
        if (call.cancelled) return;
        const blob = backup.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
        offset += blob.length;
        if (!call.write({ header, remaining_bytes: backup.length - offset, blob })) {
          call.once('drain', pump);
          return;
        }
      }
      context.count('server_stream', 'Maintenance', 'Snapshot', 0);
      call.end();
    };
    call.once('cancelled', () => context.count('server_stream', 'Maintenance', 'Snapshot', 1));
    pump();
  };

  return {
    Alarm: unary('Alarm', async (wire: { action?: string; memberID?: WireLong; alarm?: string }, call) => {
      const alarm = (wire.alarm ?? 'NONE') as AlarmType;
      const memberId = toNumber(wire.memberID);
      const matching = () =>
        context.store
          .alarms()
          .filter(
            (raised) =>
              (alarm === 'NONE' || raised.alarm === alarm) &&
              (memberId === 0 || raised.memberId === memberId),
          );
      if (wire.action === 'ACTIVATE' || wire.action === 'DEACTIVATE') {
        if (wire.action === 'ACTIVATE' && alarm === 'NONE') return { header: context.header(), alarms: [] };
        const before = matching();
        const targets = wire.action === 'ACTIVATE' ? [{ memberId, alarm }] : before;
        for (const target of targets) {
          await context.propose(
            { type: 'alarm', action: wire.action, memberId: target.memberId, alarm: target.alarm },
            call.signal,
          );
        }
        return {
          header: context.header(),
          alarms: wireAlarms(wire.action === 'ACTIVATE' ? matching() : before),
        };
      }
      return { header: context.header(), alarms: wireAlarms(matching()) };
    }),
    Status: unary('Status', async () => {
      const status = context.consensus.status();
      const size = context.store.sizeBytes();
      return {
        header: context.header(),
        version: context.version,
        dbSize: size,
        leader: status.leaderId,
        raftIndex: status.raftIndex,
        raftTerm: status.raftTerm,
        raftAppliedIndex: status.raftAppliedIndex,
        errors: context.store
          .alarms()
          .map((alarm) => `memberID:${alarm.memberId.toString(16)} alarm:${alarm.alarm} `),
        dbSizeInUse: size,
        isLearner: status.isLearner,
      };
    }),
    Defragment: unary('Defragment', async () => ({ header: context.header() })),
    Hash: unary('Hash', async () => {
      const { hash } = context.store.hashKv(0);
      return { header: context.header(), hash };
    }),
    HashKV: unary('HashKV', async (wire: { revision?: WireLong }) => {
      const result = context.store.hashKv(toNumber(wire.revision));
      return {
        header: context.header(result.revision),
        hash: result.hash,
        compact_revision: result.compactRevision,
      };
    }),
    Snapshot,
    MoveLeader: unary('MoveLeader', async (wire: { targetID?: WireLong }) => {
      await context.consensus.moveLeader(toMemberId(wire.targetID));
      return { header: context.header() };
    }),
  };
}
