// The KV bucket that holds a cluster's names (one per prefix): created by the first node, opened by the others.
// One revision per key is enough: claims compare revisions, nobody reads a name's past.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

export const namesBucket = (prefix: string): string => `${prefix}_NAMES`;

export async function openNames(nc: NatsConnection, prefix: string): Promise<KV> {
  return new Kvm(nc).create(namesBucket(prefix), { history: 1 });
}
