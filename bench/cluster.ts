// npm run bench:cluster [-- --quick] [-- --no-write] [-- --repeat K] [-- --broker nats://HOST:PORT]
//
// One chat over 1, 2 and 3 messenger-server processes (--cluster) through one NATS broker with JetStream, beside a
// single server without --cluster, all in one run on this machine and driven by bench:chat's load generator
// (bench/chat/loadgen*.ts, stepped by bench/chat/measure.ts):
// - delivered messages/s at saturation (senders on every node, N receivers spread evenly over the nodes), with the
//   CPU per million deliveries of the nodes and of nats-server, separately;
// - latency p50/p99/p999 at half of the lowest saturation, senders on the first node, receivers on the others
//   (cross-node; with one node or the single server, the same node);
// - memory and login CPU per session (all sessions on the first node: that node's share is the session, the other
//   nodes' share is what every node pays for a user elsewhere), what nats-server keeps per name and per message,
//   and what an idle node of three costs (heartbeats).
// The broker is a private `nats-server -js` on a free port (its CPU is the bench's alone) unless --broker names a
// running one; every stream and bucket the bench makes is under a prefix unique to the run and deleted at the end.
// Writes the "## Cluster" section of docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nextUdpPorts } from '../spec/helpers/ports.js';
import { LoadGen } from './chat/loadgen.js';
import { cpuOf, cpuPerM, ensureBuilt, latencyAt, log, median, names, saturate, sleep, waitQuiet, type LatencyResult, type WindowResult } from './chat/measure.js';
import { profileMarkdown, summarizeProfile, writeSection } from './chat/report.js';
import { machine, rssBytes, startOurs, type RunningServer } from './chat/servers.js';
import { brokerCosts, fitLine, type BrokerCosts } from './cluster/broker-costs.js';
import { sharedBroker, startPrivateBroker, streamSize, wipePrefix, type BenchBroker } from './cluster/broker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' }, 'no-write': { type: 'boolean' }, repeat: { type: 'string' }, broker: { type: 'string' }, 'no-profile': { type: 'boolean' }, profile: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout.write(`Usage: npm run bench:cluster [-- options]
  --quick          N = 60 only, one short window, 300 sessions for memory (about a minute)
  --repeat K       saturation windows per figure (median reported; default 3, quick 1)
  --broker URL     use a running nats-server (its CPU then includes everything else on it) instead of a private one
  --no-profile     skip the node --cpu-prof run of a node of two (quick skips it unless --profile)
  --no-write       print only; leave docs/BENCHMARKS.md alone
`);
  process.exit(0);
}

const QUICK = Boolean(args.quick);
const CFG = {
  receivers: QUICK ? [60] : [60, 240],
  repeat: args.repeat ? Math.max(1, Number(args.repeat)) : QUICK ? 1 : 3,
  warmMs: QUICK ? 500 : 800,
  measureMs: QUICK ? 1500 : 3000,
  latencyMs: QUICK ? 1500 : 3000,
  sessions: QUICK ? 200 : 1200,
  idleMs: QUICK ? 2000 : 10_000,
  /** Messages per step of the broker-alone measure, and the numbers of consumers / subscribers it is taken with. */
  probeMessages: QUICK ? 8000 : 40_000,
  probeCounts: [0, 1, 3],
  loadWorkers: 2,
  idleWorkers: 4,
  /** In all, over every node: as bench:chat, 4 senders and 100 messages in flight (3 nodes: 6 senders, 102). */
  senders: 4,
  inFlight: 100,
  textSize: 100,
  profile: Boolean(args.profile) || (!QUICK && !args['no-profile']),
};
const NODE_COUNTS = [1, 2, 3] as const;

/** One system under test: the single server (nodes = 0) or a cluster of 1 to 3 nodes. */
interface System { key: string; label: string; nodes: RunningServer[]; prefix: string | null }

const run = randomBytes(4).toString('hex').toUpperCase();
const split = (n: number, k: number) => Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
/** A UDP pool for a server; one at a time, so that systems started together never get the same range. */
let poolChain: Promise<unknown> = Promise.resolve();
const udpPool = (): Promise<string> => {
  const next = poolChain.then(() => nextUdpPorts(4)).then((r) => r.join('-'));
  poolChain = next.catch(() => undefined);
  return next;
};
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(', ');

async function main(): Promise<void> {
  ensureBuilt(ROOT);
  const m = machine();
  const loadBefore = loadavg();
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
  let broker: BenchBroker | null = null;
  const gen = new LoadGen(Math.max(CFG.loadWorkers, CFG.idleWorkers));
  const running = new Set<RunningServer>();
  const prefixes: string[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    gen.kill();
    await Promise.all([...running].map((s) => s.stop().catch(() => undefined)));
    if (broker) {
      for (const p of prefixes) await wipePrefix(broker.nc, p).catch((e: Error) => log(`could not delete the streams of ${p}: ${e.message}`));
      await broker.stop().catch(() => undefined);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
  process.on('SIGTERM', () => { void cleanup().then(() => process.exit(143)); });

  const startSystem = async (k: number, tag: string, profileDir?: string): Promise<System> => {
    if (k === 0) {
      const s = await startOurs(ROOT, tmp, [], ['--udp-ports', await udpPool()]);
      running.add(s);
      return { key: `single${tag}`, label: 'single server', nodes: [s], prefix: null };
    }
    const prefix = `B${run}${tag}K${k}`;
    prefixes.push(prefix);
    const pools: string[] = [];
    for (let i = 0; i < k; i++) pools.push(await udpPool());
    // the first node creates the stream and buckets; the others then open them at once
    const nodes: RunningServer[] = [];
    const one = async (i: number) => {
      const s = await startOurs(ROOT, tmp, profileDir && i === 0 ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [], ['--cluster', broker!.url, '--node', `n${i}`, '--cluster-prefix', prefix, '--udp-ports', pools[i]!]);
      running.add(s);
      nodes[i] = s;
    };
    await one(0);
    await Promise.all(Array.from({ length: k - 1 }, (_, i) => one(i + 1)));
    return { key: `${tag}k${k}`, label: `${k} node${k > 1 ? 's' : ''}`, nodes, prefix };
  };
  const stopSystem = async (s: System) => {
    for (const n of s.nodes) { await n.stop(); running.delete(n); }
    if (s.prefix && broker) await wipePrefix(broker.nc, s.prefix);
  };
  const pidsOf = (s: System) => [...s.nodes.map((n) => n.pid), broker!.pid];
  const nodeIdx = (s: System) => s.nodes.map((_, i) => i);
  const brokerIdx = (s: System) => [s.nodes.length];

  type Sat = { dps: number; mps: number; nodesPerM: number; natsPerM: number; natsUsPerMsg: number };
  const sat = new Map<string, Sat>(); // `${label}|${n}`
  const lat = new Map<string, LatencyResult>();
  /** At half saturation: CPU-us per message to all on the sending node, on each receiving node, on nats-server. */
  const perMsg = new Map<string, { send: number; recv: number; nats: number }>();
  const halfRates = new Map<number, number>();
  const stream = new Map<string, { bytesPerMsg: number }>();
  type Mem = { perSession: number; hosting: number; remote: number; natsPerSession: number; loginNodesMs: number; loginHostMs: number; loginRemoteMs: number; loginNatsMs: number; nameBytes: number };
  const mem = new Map<string, Mem>();
  let idle: { nodeMsPerS: number; natsMsPerS: number } | null = null;
  let profile: ReturnType<typeof summarizeProfile> | undefined;
  let costs: BrokerCosts | null = null;

  try {
    broker = args.broker ? await sharedBroker(args.broker) : await startPrivateBroker(fs.mkdtempSync(path.join(tmp, 'nats-')));
    log(`broker: nats-server ${broker.version} at ${broker.url} (pid ${broker.pid}, ${broker.private ? 'private to this run' : 'shared: its CPU includes everything else on it'})`);

    // ---- the broker alone, before anything else uses it
    prefixes.push(`B${run}X`);
    costs = await brokerCosts(broker.url, broker.pid, `B${run}X`, CFG.probeMessages, CFG.probeCounts);
    log(`broker alone: ${[...costs.streamUsPerMsg].map(([k, us]) => `stream append + ${k} consumer(s) ${us.toFixed(1)} us (one at a time ${costs!.serialUsPerMsg.get(k)!.toFixed(1)} us)`).join(', ')}; ${[...costs.coreUsPerMsg].map(([k, us]) => `core message to ${k} subscriber(s) ${us.toFixed(1)} us`).join(', ')} (nats-server CPU per message)`);

    // ---- throughput and latency: every system running, windows interleaved
    const systems: System[] = await Promise.all([0, ...NODE_COUNTS].map((k) => startSystem(k, 'T')));
    log(`started: ${systems.map((s) => `${s.label} (pids ${s.nodes.map((n) => n.pid).join(', ')})`).join('; ')}`);
    for (const n of CFG.receivers) {
      const sets = new Map<System, string[]>();
      for (const s of systems) {
        const shares = split(n, s.nodes.length);
        const mine: string[] = [];
        for (let i = 0; i < s.nodes.length; i++) {
          const set = `${s.key}-${n}-${i}`;
          await gen.connect(set, 'ours', s.nodes[i]!.port, names(shares[i]!, `${s.key}n${n}x${i}y`), CFG.loadWorkers);
          mine.push(set);
        }
        sets.set(s, mine);
        await waitQuiet(pidsOf(s).slice(0, -1), 10_000);
      }
      const runs = new Map<System, WindowResult[]>(systems.map((s) => [s, []]));
      for (let r = 0; r < CFG.repeat; r++) {
        for (const s of systems) {
          const k = s.nodes.length;
          const shape = {
            senders: Math.max(1, Math.round(CFG.senders / CFG.loadWorkers / k)), window: Math.ceil(CFG.inFlight / CFG.loadWorkers / k),
            textSize: CFG.textSize, warmMs: CFG.warmMs, measureMs: CFG.measureMs,
          };
          const w = await saturate(gen, sets.get(s)!, sets.get(s)!, pidsOf(s), n, shape);
          runs.get(s)!.push(w);
          log(`N=${n} ${s.label} window ${r + 1}: ${Math.round(w.dps)} deliveries/s, ${Math.round(w.mps)} msg/s, nodes ${cpuPerM(w, nodeIdx(s)).toFixed(2)} + nats ${cpuPerM(w, brokerIdx(s)).toFixed(2)} CPU-s per M`);
        }
      }
      for (const s of systems) {
        const ws = runs.get(s)!;
        sat.set(`${s.label}|${n}`, {
          dps: median(ws.map((w) => w.dps)), mps: median(ws.map((w) => w.mps)),
          nodesPerM: median(ws.map((w) => cpuPerM(w, nodeIdx(s)))), natsPerM: median(ws.map((w) => cpuPerM(w, brokerIdx(s)))),
          natsUsPerMsg: median(ws.map((w) => (w.cpu[s.nodes.length]! / (w.deliveries / n)) * 1e6)),
        });
      }
      // half of the lowest saturation (slowest window of any system): the same offered load for all
      const half = Math.min(...systems.flatMap((s) => runs.get(s)!.map((w) => w.mps))) / 2;
      halfRates.set(n, half);
      for (const s of systems) {
        const mine = sets.get(s)!;
        const receivers = mine.length > 1 ? mine.slice(1) : mine;
        const l = await latencyAt(gen, [mine[0]!], receivers, pidsOf(s), half, CFG.loadWorkers,
          { senders: CFG.senders / CFG.loadWorkers, textSize: CFG.textSize, warmMs: CFG.warmMs, measureMs: CFG.latencyMs });
        lat.set(`${s.label}|${n}`, l);
        const receiving = mine.length > 1 ? n - split(n, mine.length)[0]! : n;
        const msgs = l.deliveries / receiving;
        const us = (i: number) => (msgs ? (l.cpu[i]! / msgs) * 1e6 : NaN);
        perMsg.set(`${s.label}|${n}`, { send: us(0), recv: mine.length > 1 ? median(mine.slice(1).map((_, i) => us(i + 1))) : NaN, nats: us(mine.length) });
        log(`N=${n} ${s.label} latency at ${Math.round(half)} msg/s (${mine.length > 1 ? 'cross-node' : 'same node'}): p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p999 ${l.p999.toFixed(2)} ms${l.dropped ? `, ${l.dropped} not sent` : ''}`);
      }
      for (const s of systems) for (const set of sets.get(s)!) await gen.close(set);
    }
    for (const s of systems) {
      if (!s.prefix) continue;
      const st = await streamSize(broker.nc, `${s.prefix}_HISTORY`);
      if (st?.messages) stream.set(s.label, { bytesPerMsg: st.bytes / st.messages });
    }
    for (const s of systems) await stopSystem(s);

    // ---- memory and login cost per session, on fresh systems one at a time; all sessions on the first node
    for (const k of [0, ...NODE_COUNTS]) {
      const s = await startSystem(k, 'M');
      const pids = pidsOf(s);
      await waitQuiet(pids.slice(0, -1), 10_000);
      if (k === 3) {
        // an idle cluster of three: heartbeats (and timers) only
        const c0 = cpuOf(pids); const t0 = performance.now();
        await sleep(CFG.idleMs);
        const c1 = cpuOf(pids); const secs = (performance.now() - t0) / 1000;
        const d = c1.map((c, i) => c - c0[i]!);
        idle = { nodeMsPerS: (median(d.slice(0, -1)) * 1000) / secs, natsMsPerS: (d.at(-1)! * 1000) / secs };
        log(`idle cluster of 3 over ${secs.toFixed(1)} s: ${idle.nodeMsPerS.toFixed(2)} CPU-ms/s per node (median), nats-server ${idle.natsMsPerS.toFixed(2)} CPU-ms/s`);
      }
      await sleep(500);
      const r0 = pids.map(rssBytes); const c0 = cpuOf(pids);
      const set = `${s.key}-mem`;
      await gen.connect(set, 'ours', s.nodes[0]!.port, names(CFG.sessions, `${s.key}m`), CFG.idleWorkers, 8);
      await waitQuiet(pids.slice(0, -1), 120_000);
      const c1 = cpuOf(pids);
      await sleep(1000);
      const r1 = pids.map(rssBytes);
      const M = CFG.sessions;
      const kb = (i: number) => (r1[i]! - r0[i]!) / M / 1024;
      const ms = (i: number) => ((c1[i]! - c0[i]!) * 1000) / M;
      const nodes = nodeIdx(s);
      const names_ = s.prefix ? await streamSize(broker.nc, `KV_${s.prefix}_NAMES`) : null;
      const x: Mem = {
        perSession: nodes.reduce((a, i) => a + kb(i), 0), hosting: kb(0), remote: k > 1 ? median(nodes.slice(1).map(kb)) : NaN,
        natsPerSession: k ? kb(k) : NaN,
        loginNodesMs: nodes.reduce((a, i) => a + ms(i), 0), loginHostMs: ms(0), loginRemoteMs: k > 1 ? median(nodes.slice(1).map(ms)) : NaN,
        loginNatsMs: k ? ms(k) : NaN,
        nameBytes: names_?.messages ? names_.bytes / names_.messages : NaN,
      };
      mem.set(s.label, x);
      log(`${M} sessions on ${s.label}: ${x.perSession.toFixed(2)} KB per session over the nodes (hosting ${x.hosting.toFixed(2)}, each other ${x.remote.toFixed(2)}), nats ${x.natsPerSession.toFixed(2)} KB; login ${x.loginNodesMs.toFixed(2)} CPU-ms on the nodes (other node ${x.loginRemoteMs.toFixed(3)}), nats ${x.loginNatsMs.toFixed(3)}; ${names_?.messages ?? 0} names, ${x.nameBytes.toFixed(0)} B each`);
      await gen.close(set);
      await stopSystem(s);
    }

    // ---- where a node's time goes: the first node of two under saturation, N = 60, with node --cpu-prof
    if (CFG.profile) {
      const dir = fs.mkdtempSync(path.join(tmp, 'prof-'));
      const s = await startSystem(2, 'P', dir);
      const n = CFG.receivers[0]!;
      const shares = split(n, 2);
      const mine = [0, 1].map((i) => `prof-${i}`);
      for (let i = 0; i < 2; i++) await gen.connect(mine[i]!, 'ours', s.nodes[i]!.port, names(shares[i]!, `pr${i}x`), CFG.loadWorkers);
      const shape = { senders: 1, window: Math.ceil(CFG.inFlight / CFG.loadWorkers / 2), textSize: CFG.textSize, warmMs: CFG.warmMs, measureMs: CFG.measureMs };
      for (let r = 0; r < 2; r++) await saturate(gen, mine, mine, pidsOf(s), n, shape);
      for (const set of mine) await gen.close(set);
      await stopSystem(s);
      const f = fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
      if (f) {
        const keep = path.join(os.tmpdir(), 'messenger-cluster-node.cpuprofile');
        fs.copyFileSync(path.join(dir, f), keep);
        profile = summarizeProfile(keep);
        log(`CPU profile of a node kept at ${keep}`);
      } else log('no .cpuprofile was written');
    }
  } finally {
    await gen.exit().catch(() => undefined);
    await cleanup();
  }
  const loadAfter = loadavg();
  // every raw figure, for the arithmetic of docs/SCALING.md
  const raw = {
    date: new Date().toISOString(), quick: QUICK, machine: m, loadBefore, loadAfter, broker: { version: broker?.version, private: broker?.private },
    cfg: CFG, halfRates: Object.fromEntries(halfRates), sat: Object.fromEntries(sat), lat: Object.fromEntries([...lat].map(([k, v]) => [k, { ...v, cpu: undefined }])),
    perMsg: Object.fromEntries(perMsg), mem: Object.fromEntries(mem), stream: Object.fromEntries(stream), idle,
    costs: costs && { stream: Object.fromEntries(costs.streamUsPerMsg), core: Object.fromEntries(costs.coreUsPerMsg), serial: Object.fromEntries(costs.serialUsPerMsg), streamFit: fitLine(costs.streamUsPerMsg), serialFit: fitLine(costs.serialUsPerMsg), coreFit: fitLine(costs.coreUsPerMsg) },
  };
  const rawFile = path.join(os.tmpdir(), `messenger-cluster-bench${QUICK ? '-quick' : ''}.json`);
  fs.writeFileSync(rawFile, JSON.stringify(raw, null, 1));
  log(`raw figures in ${rawFile}`);

  // ---- report
  const labels = ['single server', ...NODE_COUNTS.map((k) => `${k} node${k > 1 ? 's' : ''}`)];
  const fmt = (x: number, digits = 2) => (!Number.isFinite(x) ? 'n/a' : Math.abs(x) >= 10000 ? Math.round(x).toLocaleString('en-US') : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits));
  type RowSpec = { label: string; unit: string; values: number[]; digits?: number; ratio?: boolean };
  const rows: RowSpec[] = [];
  const by = <T>(map: Map<string, T>, suffix: string, f: (x: T) => number) => labels.map((l) => { const v = map.get(`${l}${suffix}`); return v === undefined ? NaN : f(v); });
  for (const n of CFG.receivers) {
    rows.push({ label: `delivered messages/s, N=${n}`, unit: '/s', values: by(sat, `|${n}`, (x) => x.dps), ratio: true });
    rows.push({ label: `messages to all per second, N=${n}`, unit: '/s', values: by(sat, `|${n}`, (x) => x.mps), ratio: true });
    rows.push({ label: `server (nodes) CPU per million deliveries, N=${n}`, unit: 'CPU-s', values: by(sat, `|${n}`, (x) => x.nodesPerM), ratio: true });
    rows.push({ label: `nats-server CPU per million deliveries, N=${n}`, unit: 'CPU-s', values: [NaN, ...by(sat, `|${n}`, (x) => x.natsPerM).slice(1)] });
    rows.push({ label: `nats-server CPU per message to all, N=${n}`, unit: 'CPU-us', values: [NaN, ...by(sat, `|${n}`, (x) => x.natsUsPerMsg).slice(1)] });
  }
  for (const n of CFG.receivers) {
    for (const [q, key] of [['p50', 'p50'], ['p99', 'p99'], ['p999', 'p999']] as const) {
      rows.push({ label: `latency ${q} at ${Math.round(halfRates.get(n) ?? NaN)} msg/s (half saturation), N=${n}; 2 and 3 nodes cross-node`, unit: 'ms', values: by(lat, `|${n}`, (x) => x[key]), ratio: true });
    }
  }
  for (const n of CFG.receivers) {
    rows.push({ label: `at half saturation: CPU per message to all on the sending node (N=${n}, N/nodes sessions on it)`, unit: 'CPU-us', values: by(perMsg, `|${n}`, (x) => x.send), digits: 0, ratio: true });
    rows.push({ label: `at half saturation: CPU per message to all on each other node (N=${n}, N/nodes sessions on it)`, unit: 'CPU-us', values: by(perMsg, `|${n}`, (x) => x.recv), digits: 0 });
    rows.push({ label: `at half saturation: nats-server CPU per message to all (N=${n})`, unit: 'CPU-us', values: [NaN, ...by(perMsg, `|${n}`, (x) => x.nats).slice(1)], digits: 0 });
  }
  const M = CFG.sessions.toLocaleString('en-US');
  rows.push({ label: `memory per session, all nodes together (${M} sessions on the first node)`, unit: 'KB', values: by(mem, '', (x) => x.perSession), ratio: true });
  rows.push({ label: 'memory per session on the node hosting it', unit: 'KB', values: by(mem, '', (x) => x.hosting), ratio: true });
  rows.push({ label: 'memory per user of another node, on each other node', unit: 'KB', values: by(mem, '', (x) => x.remote) });
  rows.push({ label: 'nats-server memory per session', unit: 'KB', values: by(mem, '', (x) => x.natsPerSession) });
  rows.push({ label: `login CPU per session, all nodes together (${M} joining one room at once)`, unit: 'CPU-ms', values: by(mem, '', (x) => x.loginNodesMs), ratio: true });
  rows.push({ label: 'login CPU per user of another node, on each other node', unit: 'CPU-ms', values: by(mem, '', (x) => x.loginRemoteMs), digits: 3 });
  rows.push({ label: 'nats-server CPU per login (name claim, presence)', unit: 'CPU-ms', values: by(mem, '', (x) => x.loginNatsMs), digits: 3 });
  rows.push({ label: 'names bucket: bytes per name held', unit: 'B', values: by(mem, '', (x) => x.nameBytes), digits: 0 });
  rows.push({ label: 'history stream: bytes per message (100-character text)', unit: 'B', values: by(stream, '', (x) => x.bytesPerMsg), digits: 0 });
  if (idle) {
    rows.push({ label: `idle cluster of 3 nodes, CPU per node (median, over ${CFG.idleMs / 1000} s)`, unit: 'CPU-ms/s', values: [NaN, NaN, NaN, idle.nodeMsPerS] });
    rows.push({ label: 'idle cluster of 3 nodes, nats-server CPU', unit: 'CPU-ms/s', values: [NaN, NaN, NaN, idle.natsMsPerS] });
  }
  const probe: string[] = [];
  if (costs) {
    const st = fitLine(costs.streamUsPerMsg), co = fitLine(costs.coreUsPerMsg), se = fitLine(costs.serialUsPerMsg);
    const us = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    probe.push('| nats-server CPU per message (CPU-us) | measured | with k |', '|---|---:|---|',
      ...[...costs.streamUsPerMsg].map(([k, v]) => `| stream: append (ack, pipelined 64) with ${k} ordered consumer(s) following | ${us(v)} | |`),
      ...[...costs.serialUsPerMsg].map(([k, v]) => `| stream: append one at a time (each waits for the ack before; how a node appends now) with ${k} consumer(s) | ${us(v)} | |`),
      ...[...costs.coreUsPerMsg].map(([k, v]) => `| core NATS: publish to ${k} subscriber(s) | ${us(v)} | |`),
      `| stream, fitted: per append | ${us(st.a)} | + ${us(st.b)} per consumer following |`,
      `| stream one at a time, fitted: per append | ${us(se.a)} | + ${us(se.b)} per consumer following |`,
      `| core, fitted: per publish | ${us(co.a)} | + ${us(co.b)} per subscriber |`);
    process.stdout.write(`\nbroker alone (nats-server CPU-us per message): stream ${us(st.a)} + ${us(st.b)} per consumer (one at a time ${us(se.a)} + ${us(se.b)}); core ${us(co.a)} + ${us(co.b)} per subscriber\n`);
  }
  const cell = (r: RowSpec, i: number) => {
    const v = fmt(r.values[i]!, r.digits);
    if (!r.ratio || i === 0 || !Number.isFinite(r.values[i]!) || !Number.isFinite(r.values[0]!) || !r.values[0]) return v;
    return `${v} (${(r.values[i]! / r.values[0]!).toFixed(2)}x)`;
  };
  const md = ['| measure | single server | 1 node | 2 nodes | 3 nodes |', '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.label} (${r.unit}) | ${labels.map((_, i) => cell(r, i)).join(' | ')} |`)].join('\n');
  const text = [['measure', ...labels], ...rows.map((r) => [`${r.label} (${r.unit})`, ...labels.map((_, i) => cell(r, i))])];
  const w = text[0]!.map((_, i) => Math.max(...text.map((c) => c[i]!.length)));
  const took = (Date.now() - started) / 1000;
  process.stdout.write(`\n${text.map((c) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')).join('\n')}\n\nload average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}\nbench took ${took.toFixed(0)} s\n`);
  if (profile) process.stdout.write(`\nwhere a node's time goes (first node of two, saturation, node --cpu-prof):\n${profile.areas.slice(0, 10).map((a) => `  ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`).join('\n')}\n`);
  if (args['no-write']) return;

  const section = [
    '## Cluster',
    '',
    `Generated by \`npm run bench:cluster\`${QUICK ? ' (`--quick`)' : ''} on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${took.toFixed(0)} s. Machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node};`,
    `nats-server ${broker?.version ?? '?'} (${broker?.private ? 'a private `nats-server -js` started for the run, file storage in a temp folder: its CPU is the bench\'s alone' : 'the shared broker: its CPU includes whatever else used it during the run'}).`,
    `Load average (1, 5, 15 min) of the machine, shared with other engineers: ${loadBefore} at the start, ${loadAfter} at the end.`,
    '',
    'The single server (no `--cluster`, history in SQLite) and clusters of 1, 2 and 3 `messenger-server --cluster` processes on this',
    'machine through the one broker, all started at once and measured in the same run with bench:chat\'s load generator (same',
    `clients, ${CFG.textSize}-character text, plain NDJSON, \`--no-tls\`). Saturation: the N receivers spread evenly over the nodes, senders on`,
    `every node (${CFG.senders} in all, ${CFG.inFlight} messages in flight; 3 nodes: 6 and 102), each node's window closed by a receiver on that node;`,
    'a delivery is one message reaching one client, N per message (the sender gets its own back). CPU is utime + stime from',
    '/proc/PID/stat, of all the nodes together and of nats-server separately. Latency: the same offered load for every system,',
    'half of the lowest saturation (slowest window of any), 4 senders on the first node; for 2 and 3 nodes it is taken only at',
    'receivers on the other nodes (cross-node), for the single server and 1 node at every receiver. Memory and login:',
    `${CFG.sessions.toLocaleString('en-US')} clients log in to the first node of a fresh system (${CFG.idleWorkers} generator processes, 8 logins in flight each); VmRSS and`,
    'CPU deltas of every process, per session. The other nodes hold no session: their delta is what a node pays for a user elsewhere',
    '(the roster entry and the presence it hears). Figures in brackets: ratio to the single server of the same run.',
    `Each throughput and CPU figure is the median of ${CFG.repeat} window(s) of ${CFG.measureMs / 1000} s, windows of the four systems interleaved.`,
    'docs/SCALING.md derives the path to 1,000,000 sessions from these figures.',
    '',
    md,
    '',
  ];
  if (probe.length) {
    section.push('### The broker alone', '',
      `nats-server CPU per message, measured before the systems start: ${CFG.probeMessages.toLocaleString('en-US')} messages of 200 bytes published by one connection`,
      `into a stream (file storage, one replica), 64 acks outstanding (and ${Math.floor(CFG.probeMessages / 4).toLocaleString('en-US')} one at a time, as a node appends now),`,
      'with 0, 1 and 3 ordered consumers following it on connections of their own (as nodes',
      `follow the history), and ${(CFG.probeMessages * 10).toLocaleString('en-US')} core NATS messages to 1 and 3 subscribers (as presence and heartbeats reach nodes); the line fitted`,
      'through the points splits the cost into a part per message and a part per node that receives it.', '', ...probe, '');
  }
  if (profile) section.push(`### Where a node's time goes (the first node of two, N = ${CFG.receivers[0]}, saturation, \`node --cpu-prof\`)`, '', profileMarkdown(profile), '');
  writeSection(path.join(ROOT, 'docs/BENCHMARKS.md'), 'Cluster', section.join('\n'));
  log('wrote the "## Cluster" section of docs/BENCHMARKS.md');
}

main().catch((e: Error) => { process.stderr.write(`bench:cluster failed: ${e.stack ?? e.message}\n`); process.exit(1); });
