import { MemoryStorage, RawNode } from '../../packages/raft/src/index.ts';
const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
const node = new RawNode({ id: 1, electionTicks: 10, heartbeatTicks: 1, storage, random: Math.random });
node.campaign();
function drain(label: string) {
  while (node.hasReady()) {
    const rd = node.ready();
    console.log(label, 'entries', rd.entries.map((e) => e.index), 'committed', rd.committedEntries.map((e) => e.index), 'hs', rd.hardState, 'sync', rd.mustSync, 'msgs', rd.messages.length);
    if (rd.hardState) storage.setHardState(rd.hardState);
    storage.append(rd.entries);
    node.advance(rd);
  }
}
drain('campaign');
node.propose(new Uint8Array([1]));
drain('propose');
