// Test nodes of a cluster: in-process MessengerServers, each with its own connection to a real NATS broker (the
// one on 127.0.0.1:4222 unless given), its own JetStream store handle and UDP pool, all under one prefix unique to
// the test run; `wipe` deletes every stream and bucket of the prefix afterwards.
import { deletePrefix, SHARED_NATS, uniquePrefix as prefixFor } from '../helpers/nats-broker.js';
import { openNames } from '../../runtime/cluster/names-bucket.js';
import { JetStreamStore } from '../../runtime/store/jetstream/jetstream-store.js';
import type { Scope } from '../helpers/scope.js';
import type { TestServer, TestServerOptions } from '../helpers/server.js';

export const BROKER = SHARED_NATS;

/** Fast liveness for tests: a node unheard of for a second is dead. */
export const FAST = { clusterHeartbeatMs: 200, clusterNodeDeadMs: 1_000, clusterRequestMs: 2_000, clusterOpMs: 3_000 };

export const uniquePrefix = (): string => prefixFor('c');

export interface TestNode extends TestServer { node: string; store: JetStreamStore }

export async function startNode(scope: Scope, prefix: string, node: string, o: TestServerOptions & { servers?: string[] } = {}): Promise<TestNode> {
  const { servers = [BROKER], ...rest } = o;
  const store = await JetStreamStore.open({ servers, prefix, retention: { maxCount: 10_000 }, name: node });
  const nc = store.connection;
  const names = await openNames(nc, prefix);
  const s = await scope.server({ ...rest, store, cluster: { nc, names, history: store.history, node, prefix, timing: FAST } });
  return Object.assign(s, { node, store });
}

/** Deletes every stream and bucket of the prefix. */
export async function wipe(prefix: string, servers: string[] = [BROKER]): Promise<void> {
  for (const server of servers) await deletePrefix(server, `${prefix}_`);
}
