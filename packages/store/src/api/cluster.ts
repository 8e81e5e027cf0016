/** The etcd Cluster service: membership through {@link Consensus}. */

import type { MemberInfo } from '../consensus.js';
import type { ServiceImplementation } from '../grpc/call.js';
import type { ApiContext, CallSignal } from './context.js';
import type { WireLong } from './convert.js';
import { EtcdErrors } from './errors.js';

/** etcdserverpb.Member as sent. */
export interface WireMember {
  ID: number;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** Converts a member for the wire. */
export function toWireMember(member: MemberInfo): WireMember {
  return {
    ID: member.id,
    name: member.name,
    peerURLs: member.peerUrls,
    clientURLs: member.clientUrls,
    isLearner: member.isLearner,
  };
}

/** A uint64 member id from the wire; ids Navarch cannot have issued (>= 2^53) are not found. */
export function toMemberId(value: WireLong | undefined): number {
  const id = BigInt(value ?? 0);
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw EtcdErrors.memberNotFound();
  return Number(id);
}

function checkUrls(urls: readonly string[] | undefined): string[] {
  const list = urls ?? [];
  if (list.length === 0) throw EtcdErrors.memberBadUrls();
  for (const url of list) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw EtcdErrors.memberBadUrls();
    }
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.port === '') {
      throw EtcdErrors.memberBadUrls();
    }
  }
  return [...list];
}

/** The Cluster service implementation. */
export function clusterService(context: ApiContext): ServiceImplementation {
  const unary = <Request, Response>(
    method: string,
    handler: (request: Request, call: CallSignal) => Promise<Response>,
  ) => context.unary('Cluster', method, handler);
  const members = () => context.consensus.members().map(toWireMember);
  // etcd's Cluster responses carry no revision (0) in their header.
  return {
    MemberAdd: unary('MemberAdd', async (wire: { peerURLs?: string[]; isLearner?: boolean }) => {
      const member = await context.consensus.addMember(checkUrls(wire.peerURLs), wire.isLearner ?? false);
      return { header: context.header(0), member: toWireMember(member), members: members() };
    }),
    MemberRemove: unary('MemberRemove', async (wire: { ID?: WireLong }) => {
      await context.consensus.removeMember(toMemberId(wire.ID));
      return { header: context.header(0), members: members() };
    }),
    MemberUpdate: unary('MemberUpdate', async (wire: { ID?: WireLong; peerURLs?: string[] }) => {
      await context.consensus.updateMember(toMemberId(wire.ID), checkUrls(wire.peerURLs));
      return { header: context.header(0), members: members() };
    }),
    MemberList: unary('MemberList', async () => ({ header: context.header(0), members: members() })),
    MemberPromote: unary('MemberPromote', async (wire: { ID?: WireLong }) => {
      await context.consensus.promoteMember(toMemberId(wire.ID));
      return { header: context.header(0), members: members() };
    }),
  };
}
