/**
 * The etcd Lease service. Grants and revocations are proposals; a keep-alive is a (small) proposal
 * too, so that the leader's lessor learns of it wherever the client is connected (etcd forwards
 * keep-alives to the leader over HTTP instead). TimeToLive reads the local lessor's estimate.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceImplementation, StreamCall } from '../grpc/call.js';
import type { ApiContext, CallSignal } from './context.js';
import { toLeaseId, toNumber, type WireLong } from './convert.js';
import { EtcdErrors, toStatusError } from './errors.js';

/** A fresh positive int63 lease id (etcd's ids are positive too). */
function newLeaseId(): string {
  const random = randomBytes(8);
  random[0] = (random[0] as number) & 0x7f;
  const id = random.readBigUInt64BE(0);
  return id === 0n ? '1' : id.toString();
}

/** The Lease service implementation. */
export function leaseService(context: ApiContext): ServiceImplementation {
  const unary = <Request, Response>(
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ) => context.unary('Lease', method, handler);
  /** Keep-alives of one lease in flight, shared by every stream that asks (one proposal serves them all). */
  const renewals = new Map<string, Promise<number>>();
  const renew = (id: string): Promise<number> => {
    const inFlight = renewals.get(id);
    if (inFlight !== undefined) return inFlight;
    const renewal = context
      .propose({ type: 'leaseRenew', id })
      .then((result) => result.lease?.ttlSeconds ?? 0)
      .finally(() => renewals.delete(id));
    renewals.set(id, renewal);
    return renewal;
  };

  const LeaseKeepAlive = (call: StreamCall<undefined, object>): void => {
    let closed = false;
    const finish = () => {
      if (closed) return;
      closed = true;
      context.count('bidi_stream', 'Lease', 'LeaseKeepAlive', 0);
    };
    call.on('data', (request: { ID?: WireLong }) => {
      const id = toLeaseId(request.ID);
      renew(id).then(
        (ttl) => {
          if (!closed) call.write({ header: context.header(), ID: id, TTL: ttl });
        },
        (failure: unknown) => {
          if (closed) return;
          const error = toStatusError(failure);
          if (error.message === EtcdErrors.leaseNotFound().message) {
            // etcd answers a keep-alive of an unknown lease with TTL 0, not an error.
            call.write({ header: context.header(), ID: id, TTL: 0 });
            return;
          }
          closed = true;
          context.count('bidi_stream', 'Lease', 'LeaseKeepAlive', error.code);
          call.fail({ code: error.code, details: error.message });
        },
      );
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('cancelled', finish);
  };

  return {
    LeaseGrant: unary('LeaseGrant', async (wire: { TTL?: WireLong; ID?: WireLong }, call) => {
      const requested = toLeaseId(wire.ID);
      const id = requested === '0' ? newLeaseId() : requested;
      const ttlSeconds = Math.max(toNumber(wire.TTL), context.limits.minLeaseTtlSeconds);
      const result = await context.propose({ type: 'leaseGrant', id, ttlSeconds }, call.signal);
      return {
        header: context.header(result.revision),
        ID: result.lease?.id ?? id,
        TTL: result.lease?.ttlSeconds ?? 0,
        error: '',
      };
    }),
    LeaseRevoke: unary('LeaseRevoke', async (wire: { ID?: WireLong }, call) => {
      const result = await context.propose({ type: 'leaseRevoke', id: toLeaseId(wire.ID) }, call.signal);
      return { header: context.header(result.revision) };
    }),
    LeaseKeepAlive,
    LeaseTimeToLive: unary('LeaseTimeToLive', async (wire: { ID?: WireLong; keys?: boolean }, call) => {
      await context.readBarrier(false, call);
      const id = toLeaseId(wire.ID);
      const lease = context.store.lease(id);
      if (lease === null) return { header: context.header(), ID: id, TTL: -1, grantedTTL: 0, keys: [] };
      return {
        header: context.header(),
        ID: id,
        TTL: context.lessor.remainingSeconds(id),
        grantedTTL: lease.ttlSeconds,
        keys: wire.keys ? lease.keys : [],
      };
    }),
    LeaseLeases: unary('LeaseLeases', async (_wire: object, call) => {
      await context.readBarrier(false, call);
      return { header: context.header(), leases: context.store.leaseIds().map((id) => ({ ID: id })) };
    }),
  };
}
