// The NATS subject layout of one cluster: every subject starts with the cluster's prefix (`--cluster-prefix`,
// default `messenger`), so several clusters can share one broker. Interest-based routing does the rest: a node
// subscribes to the cluster-wide subjects and to its own inbox.
export interface Subjects {
  /** Joins, leaves and rosters, published by the node that hosts the session. */
  readonly presence: string;
  /** "Everyone (or one node) publish your roster": sent by a node that starts or comes back. */
  readonly rosterRequest: string;
  /** Every node's heartbeats (subscribe), one node's (publish). */
  readonly heartbeats: string;
  heartbeat(node: string): string;
  /** A node's inbox for private messages to its users (request/reply). */
  tell(node: string): string;
  /** A node's inbox for transfer control it serves (requests and the frames it relays). */
  transfer(node: string): string;
  /** A node's inbox for frames another node relays to its sessions. */
  relay(node: string): string;
  /** Every node's shared-file catalogue (runtime/cluster/cluster-files.ts). */
  readonly catalogue: string;
  /** "Everyone announce your catalogue": sent by a node that starts or comes back. */
  readonly catalogueRequest: string;
}

/** Node names and prefixes are NATS tokens: letters, digits, `-` and `_`. */
export const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function subjects(prefix: string): Subjects {
  if (!TOKEN.test(prefix)) throw new Error(`a cluster prefix is 1 to 64 letters, digits, "-" or "_": "${prefix}"`);
  return {
    presence: `${prefix}.presence`,
    rosterRequest: `${prefix}.roster`,
    heartbeats: `${prefix}.node.*.hb`,
    heartbeat: (node) => `${prefix}.node.${node}.hb`,
    tell: (node) => `${prefix}.node.${node}.tell`,
    transfer: (node) => `${prefix}.node.${node}.transfer`,
    relay: (node) => `${prefix}.node.${node}.relay`,
    catalogue: `${prefix}.files`,
    catalogueRequest: `${prefix}.files.request`,
  };
}
