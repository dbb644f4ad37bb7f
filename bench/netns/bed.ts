// The kernel-queue test bed: network namespaces for a server and a client joined by veth pairs through a router
// namespace, with a real kernel bottleneck (`tc qdisc tbf`: a rate and a queue depth) on the router's port toward the
// client (or, `local`, on the server's own veth), so that our downloads and plain TCP streams (Linux's CUBIC)
// share one real drop-tail queue. Benches and tests start processes inside with `bed.exec(side, argv)`.
//
// Names and 10.x addresses are unique per bed (the creating process's pid and a random tag), and a bed is deleted on
// every exit path: `destroy()`, the process's `exit`, SIGINT, SIGTERM and SIGHUP. Deleting a namespace deletes its
// veth end and its qdisc with it. Beds left by processes that died without running their handlers (SIGKILL) are swept
// by the next `createBed` (their names carry the dead owner's pid). Needs root (CAP_NET_ADMIN), `ip` and `tc`.
//
// CLI, for trying things by hand: `node --import tsx bench/netns/bed.ts up --rate 100mbit [--queue-ms 50]` prints
// the bed as JSON and holds it until Ctrl-C; `... sweep` deletes beds whose owner is gone.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface BedOptions {
  /** Bottleneck rate, in tc's syntax ("100mbit", "20mbit"). */
  rate: string;
  /** Queue depth as tbf's `latency`: the longest a byte may wait, in ms (tc's default queue for the issue: 50 ms). */
  queueMs?: number;
  /** Shape the client->server direction too (ACKs, requests): same rate. Off by default, as in the setup. */
  shapeUp?: boolean;
  /** The first set-up: tbf on the server's own veth, two namespaces. The default puts it in a third, router
   *  namespace between them, as on a real path: a queue on the sender's own host pushes back on its local TCP
   *  sockets (TCP Small Queues) and on nothing else, which no remote bottleneck does. */
  local?: boolean;
  /** TCP congestion control on the bed's route, both ways. A new namespace inherits the host's default (bbr on the
   *  development machines, not Linux's CUBIC), and its sysctl may only pick what the host allows (`reno bbr` here),
   *  but a route's `congctl` may name any loaded algorithm: the bed sets CUBIC unless told otherwise. */
  tcpCc?: string;
}

export type Side = 'server' | 'client';

export interface Bed {
  readonly serverNs: string;
  readonly clientNs: string;
  readonly serverAddr: string;
  readonly clientAddr: string;
  /** Bytes per second of the bottleneck (what tbf lets through, IP headers included). */
  readonly rateBytes: number;
  /** The TCP congestion control its TCP flows use. */
  readonly tcpCc: string;
  /** argv that runs `argv` inside the side's namespace (`ip netns exec NS ...`: it execs, so the pid is the program's). */
  exec(side: Side, argv: readonly string[]): string[];
  /** The bottleneck qdisc's counters (sent bytes and packets, drops, overlimits). */
  qdiscStats(): { sentBytes: number; sentPackets: number; dropped: number; overlimits: number };
  destroy(): void;
}

const PREFIX = 'msgr';
const live = new Set<Bed>();
let handlersInstalled = false;

function run(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(args: string[]): void {
  try { run(args); } catch { /* already gone */ }
}

/** tc rate syntax to bytes per second ("100mbit" -> 12.5e6). */
export function parseRate(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(rate.trim());
  if (!m) throw new Error(`bad rate "${rate}" (want e.g. 100mbit)`);
  const mult = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2]!.toLowerCase() as 'bit']!;
  return (Number(m[1]) * mult) / 8;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Deletes beds whose owning process is gone (left by a SIGKILLed run). */
export function sweepStaleBeds(): string[] {
  let list = '';
  try { list = run(['ip', 'netns', 'list']); } catch { return []; }
  const gone: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}-(\\d+)-[0-9a-f]+-[scr]$`).exec(name);
    if (m && !alive(Number(m[1]))) { tryRun(['ip', 'netns', 'del', name]); gone.push(name); }
  }
  return gone;
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const all = () => { for (const b of [...live]) b.destroy(); };
  process.on('exit', all);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => { all(); process.kill(process.pid, sig); });
  }
}

/** Whether this process may make beds (root with ip, tc, tbf and network namespaces). */
export function bedAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try { run(['ip', '-V']); run(['tc', '-V']); return true; } catch { return false; }
}

export function createBed(opts: BedOptions): Bed {
  sweepStaleBeds();
  installHandlers();
  const tag = crypto.randomBytes(3).toString('hex');
  const ns = (x: string) => `${PREFIX}-${process.pid}-${tag}-${x}`;
  const serverNs = ns('s');
  const clientNs = ns('c');
  const routerNs = opts.local ? null : ns('r');
  // interface names: at most 15 characters. Local: s0 <-> c0. Router: s0 <-> r0 (server side), r1 <-> c0 (client side)
  const dev = (x: string) => `mv${tag}${x}`;
  // 10.A.B.0/29 with A in 200-249 and B random: private, and only ever inside these namespaces
  const a = 200 + (crypto.randomBytes(1)[0]! % 50);
  const b = crypto.randomBytes(1)[0]!;
  const net = `10.${a}.${b}`;
  const serverAddr = `${net}.1`;
  const clientAddr = routerNs ? `${net}.6` : `${net}.2`;
  const rateBytes = parseRate(opts.rate);
  const queueMs = opts.queueMs ?? 50;
  const tcpCc = opts.tcpCc ?? 'cubic';
  // tbf's bucket: at least two full-size packets, at least 1 ms at the rate (a smaller bucket cannot reach the rate
  // with the timer's resolution); the qdisc segments GSO super-packets bigger than the bucket
  const burst = Math.max(2 * 1514, Math.ceil(rateBytes / 1000));
  // where the bottleneck queue is: the router's port toward the client, or (local) the server's own veth
  const [qNs, qDev] = routerNs ? [routerNs, dev('r1')] : [serverNs, dev('s0')];
  const spaces = [serverNs, clientNs, ...(routerNs ? [routerNs] : [])];
  let destroyed = false;
  const bed: Bed = {
    serverNs, clientNs, serverAddr, clientAddr, rateBytes, tcpCc,
    exec: (side, argv) => ['ip', 'netns', 'exec', side === 'server' ? serverNs : clientNs, ...argv],
    qdiscStats: () => {
      const out = run(['ip', 'netns', 'exec', qNs, 'tc', '-s', 'qdisc', 'show', 'dev', qDev]);
      const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(out);
      return { sentBytes: Number(m?.[1] ?? 0), sentPackets: Number(m?.[2] ?? 0), dropped: Number(m?.[3] ?? 0), overlimits: Number(m?.[4] ?? 0) };
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      live.delete(bed);
      for (const n of spaces) tryRun(['ip', 'netns', 'del', n]);
      for (const d of ['s0', 'r1']) tryRun(['ip', 'link', 'del', dev(d)]); // only when one never left the root namespace
    },
  };
  live.add(bed);
  const ip = (n: string, ...args: string[]) => run(['ip', '-n', n, ...args]);
  const veth = (x: string, xNs: string, y: string, yNs: string) => {
    run(['ip', 'link', 'add', dev(x), 'type', 'veth', 'peer', 'name', dev(y)]);
    run(['ip', 'link', 'set', dev(x), 'netns', xNs]);
    run(['ip', 'link', 'set', dev(y), 'netns', yNs]);
  };
  const up = (n: string, d: string, addr: string, prefix: number) => {
    ip(n, 'addr', 'add', `${addr}/${prefix}`, 'dev', dev(d));
    ip(n, 'link', 'set', dev(d), 'up');
  };
  try {
    for (const n of spaces) { run(['ip', 'netns', 'add', n]); ip(n, 'link', 'set', 'lo', 'up'); }
    if (routerNs) {
      veth('s0', serverNs, 'r0', routerNs);
      veth('r1', routerNs, 'c0', clientNs);
      up(serverNs, 's0', serverAddr, 30);
      up(routerNs, 'r0', `${net}.2`, 30);
      up(routerNs, 'r1', `${net}.5`, 30);
      up(clientNs, 'c0', clientAddr, 30);
      run(['ip', 'netns', 'exec', routerNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      ip(serverNs, 'route', 'add', `${net}.4/30`, 'via', `${net}.2`, 'congctl', tcpCc);
      ip(clientNs, 'route', 'add', `${net}.0/30`, 'via', `${net}.5`, 'congctl', tcpCc);
    } else {
      veth('s0', serverNs, 'c0', clientNs);
      up(serverNs, 's0', serverAddr, 30);
      up(clientNs, 'c0', clientAddr, 30);
      ip(serverNs, 'route', 'replace', `${net}.0/30`, 'dev', dev('s0'), 'proto', 'kernel', 'scope', 'link', 'src', serverAddr, 'congctl', tcpCc);
      ip(clientNs, 'route', 'replace', `${net}.0/30`, 'dev', dev('c0'), 'proto', 'kernel', 'scope', 'link', 'src', clientAddr, 'congctl', tcpCc);
    }
    const tbf = (n: string, d: string) => run(['ip', 'netns', 'exec', n, 'tc', 'qdisc', 'add', 'dev', d, 'root', 'tbf',
      'rate', opts.rate, 'burst', String(burst), 'latency', `${queueMs}ms`]);
    tbf(qNs, qDev);
    if (opts.shapeUp) tbf(routerNs ?? clientNs, routerNs ? dev('r0') : dev('c0'));
  } catch (e) {
    bed.destroy();
    throw new Error(`cannot make the netns bed (root, ip and tc needed): ${(e as Error).message}`);
  }
  return bed;
}

// ------------------------------------------------------------------------------------------------ CLI

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [cmd, ...rest] = process.argv.slice(2);
  const arg = (name: string) => { const i = rest.indexOf(name); return i >= 0 ? rest[i + 1] : undefined; };
  if (cmd === 'sweep') {
    process.stdout.write(JSON.stringify({ swept: sweepStaleBeds() }) + '\n');
  } else if (cmd === 'up') {
    const bed = createBed({ rate: arg('--rate') ?? '100mbit', queueMs: Number(arg('--queue-ms') ?? 50), shapeUp: rest.includes('--shape-up'), local: rest.includes('--local'), tcpCc: arg('--tcp-cc') });
    process.stdout.write(JSON.stringify({ serverNs: bed.serverNs, clientNs: bed.clientNs, serverAddr: bed.serverAddr, clientAddr: bed.clientAddr }) + '\n');
    process.stderr.write('bed is up; Ctrl-C deletes it\n');
    setInterval(() => {}, 1 << 30);
  } else {
    process.stderr.write('usage: bed.ts up [--rate 100mbit] [--queue-ms 50] [--shape-up] [--local] [--tcp-cc cubic] | sweep\n');
    process.exit(2);
  }
}
