// npm run bench:chat [-- --quick] [-- --no-ngircd] [-- --no-profile] [-- --no-write] [-- --repeat K] [-- --store-only]
//                    [-- --tls-only] [-- --dashboard-only]
//
// Our chat server against ngIRCd (the anchor, a C IRC server) on loopback, driven by the same load generator:
// delivered messages per second and server CPU-seconds per million deliveries with N = 10, 50, 200 receivers;
// latency p50/p99/p999 at half of saturation; server memory per idle connection at 1,000 and 10,000; join cost.
// Prints a side-by-side table and writes it to the "## Chat" section of docs/BENCHMARKS.md.
// Installs nothing: without ngircd it says how to get it and measures our side alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dashboardUrl, DashboardViewer } from './chat/dashboard-viewer.js';
import { LoadGen } from './chat/loadgen.js';
import { cpuPerM, ensureBuilt, latencyAt, log, median, names, saturate, sleep, waitQuiet as waitQuietAll } from './chat/measure.js';
import type { ProtoName } from './chat/protocols.js';
import { profileMarkdown, summarizeProfile, table, textTable, writeChatSection, type Row } from './chat/report.js';
import { cpuSeconds, machine, ngircdPath, ngircdVersion, rssBytes, startNgircd, startOurs, type RunningServer, type ServerKind } from './chat/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' }, 'no-ngircd': { type: 'boolean' }, 'no-profile': { type: 'boolean' }, 'no-write': { type: 'boolean' },
    repeat: { type: 'string' }, 'store-only': { type: 'boolean' }, 'tls-only': { type: 'boolean' }, 'dashboard-only': { type: 'boolean' }, 'storm-only': { type: 'boolean' }, 'load-only': { type: 'boolean' },
    storm: { type: 'string' }, receivers: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout.write(`Usage: npm run bench:chat [-- options]
  --quick        shorter windows, one repeat, no profile
  --repeat K     measurement windows per figure (median reported; default 3, quick 1)
  --no-ngircd    measure our server alone
  --no-profile   skip the node --cpu-prof run at N = 200
  --no-write     print only; leave docs/BENCHMARKS.md alone
  --store-only   only the store rows (store on / off, history replay per login); implies --no-write
  --tls-only     only the TLS rows (TLS on / off: CPU per million deliveries, handshakes per second); implies --no-write
  --dashboard-only  only the dashboard rows (N = 50 with a dashboard page open / without; 7 windows); implies --no-write
  --load-only    only the throughput and latency rows; implies --no-write
  --storm-only   only the login storms (memory per logged-in session, storm CPU, last welcome); implies --no-write
  --storm A,B    the sizes of the login storms (default 1000,10000)
  --receivers A,B  the room sizes of the throughput and latency rows (default 10,50,200)
  (env BENCH_OURS_ROOT=DIR measures the build in DIR/dist instead of this one, for before/after comparisons;
   BENCH_SERVER_ARGS='--no-store ...' adds arguments to every server of ours; BENCH_NODE_ARGS adds node flags to
   the storm's server)
`);
  process.exit(0);
}

const QUICK = Boolean(args.quick);
const TLS_ONLY = Boolean(args['tls-only']);
const DASH_ONLY = Boolean(args['dashboard-only']);
const STORM_ONLY = Boolean(args['storm-only']);
const LOAD_ONLY = Boolean(args['load-only']);
const STORE_ONLY = Boolean(args['store-only']) || TLS_ONLY || DASH_ONLY || STORM_ONLY;
const CFG = {
  receivers: args.receivers ? args.receivers.split(',').map(Number).filter((n) => n > 1) : [10, 50, 200],
  // the dashboard's ratio is a few per cent against a noisy machine: more windows when it is measured alone
  repeat: args.repeat ? Math.max(1, Number(args.repeat)) : QUICK ? 1 : DASH_ONLY ? 7 : 3,
  warmMs: QUICK ? 500 : 800,
  measureMs: QUICK ? 1500 : 3000,
  latencyMs: QUICK ? 1500 : 3000,
  // logged in and in the room (join storm: every join is told to everyone, quadratic on both servers, so 1,000), and
  // connected but not logged in (socket + session actor; ngIRCd: unregistered connection) at 1,000 and 10,000
  idle: [{ count: 1000, login: false }, { count: 10000, login: false }],
  // login storms into the one room: every client logs in and stays, idle; at most stormConcurrency per worker
  // waiting for its welcome at a time (ngIRCd listens with a backlog of 10), stormWorkers load-generator processes
  storms: args.storm ? args.storm.split(',').map(Number).filter((n) => n > 0) : [1000, 10000],
  stormWorkers: 4,
  stormConcurrency: 8,
  stormTimeoutMs: 300_000,
  loadWorkers: 2,
  idleWorkers: 4,
  sendersPerWorker: 2,
  windowPerWorker: 50, // messages in flight per load-generator process (so 100 in all)
  textSize: 100, // characters of message text
  profile: !QUICK && !args['no-profile'],
};

const PROTO: Record<ServerKind, ProtoName> = { ours: 'ours', ngircd: 'irc' };
/** Receivers for the store on/off comparison; logins measured for the history replay (rounds x group). */
const STORE_N = 50;
const STORE_LOGIN_ROUNDS = QUICK ? 5 : 10;
const STORE_LOGIN_GROUP = 40;

interface LoadResult { deliveriesPerSec: number; messagesPerSec: number; cpuPerM: number; joinCpuMs: number }
interface LatencyResult { rate: number; p50: number; p99: number; p999: number; cpuPerM: number; dropped: number }
interface IdleResult { perConnKB: number; joinCpuS: number; joinWallS: number; rssMB: number }
interface StormResult { ok: number; cpuS: number; lastWelcomeS: number; perSessionKB: number; rssMB: number; heapMB?: number; perSessionGcKB?: number; heapPerSessionKB?: number }

const GC_PROBE = path.join(ROOT, 'bench/chat/gc-probe.mjs');

/** Our server's memory after a full GC (bench/chat/gc-probe.mjs answers SIGUSR2), or undefined. */
async function afterGc(srv: RunningServer, out: string): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number } | undefined> {
  try { fs.rmSync(out, { force: true }); } catch { /* none */ }
  process.kill(srv.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    try { return JSON.parse(fs.readFileSync(out, 'utf8')) as { rss: number; heapUsed: number; external: number; arrayBuffers: number }; } catch { /* not yet */ }
  }
  return undefined;
}


const SHAPE = { senders: CFG.sendersPerWorker, window: CFG.windowPerWorker, textSize: CFG.textSize, warmMs: CFG.warmMs, measureMs: CFG.measureMs };

/** One saturation window: windowed senders, deliveries and server CPU over measureMs. */
async function window(gen: LoadGen, set: string, srv: RunningServer, perMsg: number): Promise<{ dps: number; mps: number; cpuPerM: number }> {
  const w = await saturate(gen, [set], [set], [srv.pid], perMsg, SHAPE);
  return { dps: w.dps, mps: w.mps, cpuPerM: cpuPerM(w) };
}

async function latency(gen: LoadGen, set: string, srv: RunningServer, msgRate: number): Promise<LatencyResult> {
  const l = await latencyAt(gen, [set], [set], [srv.pid], msgRate, CFG.loadWorkers, { ...SHAPE, measureMs: CFG.latencyMs });
  return { rate: l.rate, p50: l.p50, p99: l.p99, p999: l.p999, cpuPerM: cpuPerM(l), dropped: l.dropped };
}

const waitQuiet = (srv: RunningServer, maxMs?: number): Promise<void> => waitQuietAll([srv.pid], maxMs);

/** A storm of `count` logins into the one room of a fresh server; they stay logged in, idle, while memory is read. */
async function storm(gen: LoadGen, k: ServerKind, count: number, start: (k: ServerKind, extra?: string[], serverArgs?: string[], tls?: boolean, pipeStdout?: boolean, env?: Record<string, string>) => Promise<RunningServer>, tmp: string): Promise<StormResult> {
  const gcOut = path.join(tmp, `gc-${k}-${count}.json`);
  // BENCH_NODE_ARGS: extra node flags for our server (for trying V8 settings)
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const s = k === 'ours' ? await start(k, ['--expose-gc', '--import', GC_PROBE, ...extra], [], false, false, { BENCH_GC_OUT: gcOut }) : await start(k);
  await sleep(500);
  const gc0 = k === 'ours' ? await afterGc(s, gcOut) : undefined;
  const rss0 = rssBytes(s.pid); const c0 = cpuSeconds(s.pid);
  const r = await gen.storm(`${k}-storm`, PROTO[k], s.port, names(count, 's'), CFG.stormWorkers, CFG.stormConcurrency, CFG.stormTimeoutMs);
  await waitQuiet(s, 60_000);
  const c1 = cpuSeconds(s.pid);
  await sleep(1000);
  const rss1 = rssBytes(s.pid);
  const gc1 = k === 'ours' ? await afterGc(s, gcOut) : undefined;
  const res: StormResult = { ok: r.ok, cpuS: c1 - c0, lastWelcomeS: r.seconds, perSessionKB: (rss1 - rss0) / r.ok / 1024, rssMB: rss1 / 1048576 };
  if (gc0 && gc1) {
    res.heapMB = gc1.heapUsed / 1048576;
    res.perSessionGcKB = (gc1.rss - rss0) / r.ok / 1024;
    res.heapPerSessionKB = (gc1.heapUsed + gc1.external - gc0.heapUsed - gc0.external) / r.ok / 1024;
  }
  log(`storm of ${count} ${k}: ${r.ok} in${r.failed.length ? ` (${r.failed.length} not: ${r.failed.slice(0, 2).join('; ')})` : ''}, last welcome ${res.lastWelcomeS.toFixed(1)} s, ${res.cpuS.toFixed(2)} CPU-s, ${res.perSessionKB.toFixed(2)} KB RSS per session (RSS ${res.rssMB.toFixed(0)} MB)${res.heapMB !== undefined ? `, after GC: heap ${res.heapMB.toFixed(1)} MB, ${res.heapPerSessionKB!.toFixed(2)} KB heap+external per session, ${res.perSessionGcKB!.toFixed(2)} KB RSS per session` : ''}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await gen.close(`${k}-storm`);
  await s.stop();
  return res;
}

async function main(): Promise<void> {
  ensureBuilt(ROOT);
  const ng = args['no-ngircd'] ? null : ngircdPath();
  if (!ng && !args['no-ngircd']) log('ngircd not found: measuring our server alone. For the comparison install the anchor: apt-get install ngircd');
  const kinds: ServerKind[] = ng ? ['ours', 'ngircd'] : ['ours'];
  const m = machine();
  const ngVer = ng ? ngircdVersion(ng) : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-chat-'));
  const gen = new LoadGen(Math.max(CFG.loadWorkers, CFG.idleWorkers));
  const servers: RunningServer[] = [];
  const start = async (k: ServerKind, extra: string[] = [], serverArgs: string[] = [], tls = false, pipeStdout = false, env: Record<string, string> = {}) => {
    // BENCH_SERVER_ARGS: extra messenger-server arguments for every server of ours (for instance --no-store)
    const more = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
    const s = k === 'ours' ? await startOurs(process.env.BENCH_OURS_ROOT ?? ROOT, tmp, extra, [...serverArgs, ...more], tls, pipeStdout, env) : await startNgircd(ng!, tmp);
    servers.push(s);
    return s;
  };
  const cleanup = async () => { for (const s of servers) await s.stop().catch(() => undefined); gen.kill(); };
  process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
  const started = Date.now();

  const load: Record<ServerKind, Map<number, LoadResult>> = { ours: new Map(), ngircd: new Map() };
  const lat: Record<ServerKind, Map<number, LatencyResult>> = { ours: new Map(), ngircd: new Map() };
  const idle: Record<ServerKind, Map<string, IdleResult>> = { ours: new Map(), ngircd: new Map() };
  let profile: ReturnType<typeof summarizeProfile> | undefined;
  const store: { on?: LoadResult; off?: LoadResult; loginCpuMs?: Record<'replay100' | 'replay0', number> } = {};
  const tlsCmp: { on?: LoadResult; off?: LoadResult; handshakesPerSec?: Record<'on' | 'off', number> } = {};
  const dash: { on?: LoadResult; off?: LoadResult; pushesPerSec?: number; kbPerSec?: number } = {};
  const storms: Record<ServerKind, Map<number, StormResult>> = { ours: new Map(), ngircd: new Map() };
  const loadAtStart = os.loadavg();

  try {
    // ---- saturation and latency, N receivers (the senders are among them)
    const srv: Partial<Record<ServerKind, RunningServer>> = {};
    if (!STORE_ONLY) for (const k of kinds) srv[k] = await start(k);
    for (const n of STORE_ONLY ? [] : CFG.receivers) {
      const joinCpu: Partial<Record<ServerKind, number>> = {};
      for (const k of kinds) {
        const c0 = cpuSeconds(srv[k]!.pid);
        await gen.connect(`${k}-${n}`, PROTO[k], srv[k]!.port, names(n, `n${n}`), CFG.loadWorkers);
        await waitQuiet(srv[k]!, 5000);
        joinCpu[k] = (cpuSeconds(srv[k]!.pid) - c0) * 1000;
      }
      // deliveries per message: every member, except the sender on IRC (no echo)
      const perMsg = (k: ServerKind) => (k === 'ours' ? n : n - 1);
      const runs: Record<ServerKind, { dps: number; mps: number; cpuPerM: number }[]> = { ours: [], ngircd: [] };
      for (let r = 0; r < CFG.repeat; r++) {
        for (const k of kinds) {
          const w = await window(gen, `${k}-${n}`, srv[k]!, perMsg(k));
          runs[k].push(w);
          log(`N=${n} ${k} window ${r + 1}: ${Math.round(w.dps)} deliveries/s, ${Math.round(w.mps)} msg/s, ${w.cpuPerM.toFixed(2)} CPU-s per M`);
        }
      }
      for (const k of kinds) {
        load[k].set(n, {
          deliveriesPerSec: median(runs[k].map((x) => x.dps)), messagesPerSec: median(runs[k].map((x) => x.mps)),
          cpuPerM: median(runs[k].map((x) => x.cpuPerM)), joinCpuMs: joinCpu[k]!,
        });
      }
      // latency: the same offered load for both, half of the lower saturation (the slowest window of the slower server,
      // since the machine is shared and noisy), so that the generator's own share of the 2 cores is the same too
      const halfRate = Math.min(...kinds.flatMap((k) => runs[k].map((x) => x.mps))) / 2;
      for (const k of kinds) {
        const l = await latency(gen, `${k}-${n}`, srv[k]!, halfRate);
        lat[k].set(n, l);
        log(`N=${n} ${k} latency at ${Math.round(l.rate)} msg/s: p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p999 ${l.p999.toFixed(2)} ms`);
        await gen.close(`${k}-${n}`);
      }
    }
    for (const k of kinds) await srv[k]?.stop();

    // ---- login storms: `count` clients log into the one room and stay (each size on a fresh server, ours then ngIRCd)
    if ((STORM_ONLY || !STORE_ONLY) && !LOAD_ONLY) {
      for (const count of CFG.storms) for (const k of kinds) storms[k].set(count, await storm(gen, k, count, start, tmp));
    }

    // ---- TLS: our server as users get it (TLS 1.3) and with --no-tls at N = 50, windows interleaved; then a storm of
    // 1,000 connections at once (no login: the handshake alone), each way, as connections per second
    if ((TLS_ONLY || (!args['store-only'] && !STORM_ONLY && !LOAD_ONLY)) && !DASH_ONLY) {
      const n = STORE_N;
      const on = await start('ours', [], [], true);
      const off = await start('ours');
      await gen.connect('tls-on', 'ours', on.port, names(n, 'ton'), CFG.loadWorkers, 64, false, true);
      await gen.connect('tls-off', 'ours', off.port, names(n, 'toff'), CFG.loadWorkers);
      const runs: Record<'on' | 'off', { dps: number; mps: number; cpuPerM: number }[]> = { on: [], off: [] };
      for (let r = 0; r < CFG.repeat; r++) {
        for (const [k, s] of [['on', on], ['off', off]] as const) {
          const w = await window(gen, `tls-${k}`, s, n);
          runs[k].push(w);
          log(`N=${n} TLS ${k} window ${r + 1}: ${Math.round(w.dps)} deliveries/s, ${w.cpuPerM.toFixed(2)} CPU-s per M`);
        }
      }
      for (const k of ['on', 'off'] as const) {
        tlsCmp[k] = { deliveriesPerSec: median(runs[k].map((x) => x.dps)), messagesPerSec: median(runs[k].map((x) => x.mps)), cpuPerM: median(runs[k].map((x) => x.cpuPerM)), joinCpuMs: NaN };
      }
      await gen.close('tls-on');
      await gen.close('tls-off');
      const hs: Record<'on' | 'off', number> = { on: NaN, off: NaN };
      for (const [k, s] of [['on', on], ['off', off]] as const) {
        const t0 = performance.now();
        await gen.connect(`storm-${k}`, 'ours', s.port, names(1000, `st${k}`), CFG.idleWorkers, 250, true, k === 'on');
        hs[k] = 1000 / ((performance.now() - t0) / 1000);
        log(`storm of 1,000 connections, TLS ${k}: ${Math.round(hs[k])} connections/s`);
        await gen.close(`storm-${k}`);
      }
      tlsCmp.handshakesPerSec = hs;
      await on.stop();
      await off.stop();
    }

    // ---- the dashboard: our server with `--dashboard` and one page open (the page once, then its event stream read
    // for the whole run) against the same server without, at N = 50, windows interleaved; both log at info
    if (DASH_ONLY || (!TLS_ONLY && !args['store-only'] && !STORM_ONLY && !LOAD_ONLY)) {
      const n = STORE_N;
      const logArgs = ['--log-level', 'info', '--log-json'];
      const on = await start('ours', [], [...logArgs, '--dashboard', '127.0.0.1:0'], false, true);
      const off = await start('ours', [], logArgs);
      const viewer = new DashboardViewer(await dashboardUrl(on.proc));
      await viewer.open();
      await gen.connect('dash-on', 'ours', on.port, names(n, 'don'), CFG.loadWorkers);
      await gen.connect('dash-off', 'ours', off.port, names(n, 'doff'), CFG.loadWorkers);
      const runs: Record<'on' | 'off', { dps: number; mps: number; cpuPerM: number }[]> = { on: [], off: [] };
      const b0 = viewer.bytes, p0 = viewer.pushes, t0 = performance.now();
      for (let r = 0; r < CFG.repeat; r++) {
        for (const [k, s] of [['on', on], ['off', off]] as const) {
          const w = await window(gen, `dash-${k}`, s, n);
          runs[k].push(w);
          log(`N=${n} dashboard ${k === 'on' ? 'open' : 'off'} window ${r + 1}: ${Math.round(w.dps)} deliveries/s, ${w.cpuPerM.toFixed(2)} CPU-s per M`);
        }
      }
      const secs = (performance.now() - t0) / 1000;
      dash.pushesPerSec = (viewer.pushes - p0) / secs;
      dash.kbPerSec = (viewer.bytes - b0) / 1024 / secs;
      log(`dashboard page: ${dash.pushesPerSec.toFixed(1)} pushes/s, ${dash.kbPerSec.toFixed(1)} KB/s`);
      for (const k of ['on', 'off'] as const) {
        dash[k] = { deliveriesPerSec: median(runs[k].map((x) => x.dps)), messagesPerSec: median(runs[k].map((x) => x.mps)), cpuPerM: median(runs[k].map((x) => x.cpuPerM)), joinCpuMs: NaN };
      }
      viewer.close();
      await gen.close('dash-on');
      await gen.close('dash-off');
      await on.stop();
      await off.stop();
    }

    // ---- the store: our server with it (the default) and with --no-store at N = 50, windows interleaved
    if (!TLS_ONLY && !DASH_ONLY && !STORM_ONLY && !LOAD_ONLY) {
      const n = STORE_N;
      const on = await start('ours');
      const off = await start('ours', [], ['--no-store']);
      await gen.connect('store-on', 'ours', on.port, names(n, 'son'), CFG.loadWorkers);
      await gen.connect('store-off', 'ours', off.port, names(n, 'soff'), CFG.loadWorkers);
      const runs: Record<'on' | 'off', { dps: number; mps: number; cpuPerM: number }[]> = { on: [], off: [] };
      for (let r = 0; r < CFG.repeat; r++) {
        for (const [k, s] of [['on', on], ['off', off]] as const) {
          const w = await window(gen, `store-${k}`, s, n);
          runs[k].push(w);
          log(`N=${n} store ${k} window ${r + 1}: ${Math.round(w.dps)} deliveries/s, ${w.cpuPerM.toFixed(2)} CPU-s per M`);
        }
      }
      for (const k of ['on', 'off'] as const) {
        store[k] = { deliveriesPerSec: median(runs[k].map((x) => x.dps)), messagesPerSec: median(runs[k].map((x) => x.mps)), cpuPerM: median(runs[k].map((x) => x.cpuPerM)), joinCpuMs: NaN };
      }
      await gen.close('store-on');
      await gen.close('store-off');
      await on.stop();
      await off.stop();
    }

    // ---- history replay at login: server CPU per login with 100 messages replayed, against --history 0, both
    // with a full store; small groups log in and out so that presence (quadratic in the room) stays small
    if (!TLS_ONLY && !DASH_ONLY && !STORM_ONLY && !LOAD_ONLY) {
      const loginCpu = async (history: number): Promise<number> => {
        const s = await start('ours', [], ['--history', String(history)]);
        await gen.connect('fill', 'ours', s.port, names(4, 'f'), 1);
        await gen.load('fill', { senders: 2, mode: 'window', window: 20, rate: 0, textSize: CFG.textSize });
        await sleep(300);
        await gen.stopLoad('fill');
        await waitQuiet(s, 5000);
        let cpu = 0;
        for (let r = 0; r < STORE_LOGIN_ROUNDS; r++) {
          const c0 = cpuSeconds(s.pid);
          await gen.connect('logins', 'ours', s.port, names(STORE_LOGIN_GROUP, 'h'), CFG.loadWorkers);
          await waitQuiet(s, 3000);
          cpu += cpuSeconds(s.pid) - c0;
          await gen.close('logins');
          await waitQuiet(s, 3000);
        }
        await gen.close('fill');
        await s.stop();
        const ms = (cpu * 1000) / (STORE_LOGIN_ROUNDS * STORE_LOGIN_GROUP);
        log(`login with --history ${history}: ${ms.toFixed(3)} CPU-ms per login`);
        return ms;
      };
      store.loginCpuMs = { replay100: await loginCpu(100), replay0: await loginCpu(0) };
    }

    // ---- idle connections: memory per connection and the cost of N joining at once (each on a fresh server)
    for (const { count, login } of STORE_ONLY || LOAD_ONLY ? [] : CFG.idle) {
      const key = `${count}${login ? 'L' : 'C'}`;
      for (const k of kinds) {
        const s = await start(k);
        await sleep(500);
        const rss0 = rssBytes(s.pid); const c0 = cpuSeconds(s.pid); const t0 = performance.now();
        // ngIRCd listens with a backlog of 10: few logins in progress at once, the same for both
        await gen.connect(`${k}-idle`, PROTO[k], s.port, names(count, `i`), CFG.idleWorkers, login ? 8 : 64, !login);
        await waitQuiet(s, login ? 120_000 : 3000);
        const c1 = cpuSeconds(s.pid); const t1 = performance.now();
        await sleep(1000); // (our hello deadline is 10 s: the connect-only sample is taken well before it)
        const rss1 = rssBytes(s.pid);
        const r: IdleResult = { perConnKB: (rss1 - rss0) / count / 1024, joinCpuS: c1 - c0, joinWallS: (t1 - t0) / 1000, rssMB: rss1 / 1048576 };
        idle[k].set(key, r);
        log(`${count} ${login ? 'logged-in' : 'connected'} ${k}: ${r.perConnKB.toFixed(2)} KB per connection (RSS ${r.rssMB.toFixed(0)} MB), ${r.joinCpuS.toFixed(2)} CPU-s, ${r.joinWallS.toFixed(1)} s`);
        await gen.close(`${k}-idle`);
        await s.stop();
      }
    }

    // ---- where our time goes at N = 200
    if (CFG.profile && !STORE_ONLY && !LOAD_ONLY) {
      const dir = fs.mkdtempSync(path.join(tmp, 'prof-'));
      const s = await start('ours', ['--cpu-prof', '--cpu-prof-dir', dir]);
      await gen.connect('prof', 'ours', s.port, names(200, 'p'), CFG.loadWorkers);
      await window(gen, 'prof', s, 200);
      await window(gen, 'prof', s, 200);
      await gen.close('prof');
      await s.stop();
      const f = fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
      if (f) {
        const keep = path.join(os.tmpdir(), 'messenger-chat-n200.cpuprofile');
        fs.copyFileSync(path.join(dir, f), keep);
        profile = summarizeProfile(keep);
        log(`CPU profile kept at ${keep} (open it in Chrome DevTools)`);
      } else log('no .cpuprofile was written');
    }
  } finally {
    await gen.exit();
    await cleanup();
  }

  // ---- report
  const rows: Row[] = [];
  const pick = <K, T>(maps: Record<ServerKind, Map<K, T>>, n: K, f: (x: T) => number) => ({
    ours: maps.ours.has(n) ? f(maps.ours.get(n)!) : NaN,
    ngircd: maps.ngircd.has(n) ? f(maps.ngircd.get(n)!) : undefined,
  });
  for (const n of CFG.receivers) rows.push({ label: `delivered messages/s, N=${n}`, unit: '/s', better: 'higher', ...pick(load, n, (x) => x.deliveriesPerSec) });
  for (const n of CFG.receivers) rows.push({ label: `server CPU per million deliveries, N=${n}`, unit: 'CPU-s', better: 'lower', target: n >= 50 ? '<= ngIRCd' : '', ...pick(load, n, (x) => x.cpuPerM) });
  for (const n of CFG.receivers) {
    rows.push({ label: `latency p50 at half saturation, N=${n}`, unit: 'ms', better: 'lower', ...pick(lat, n, (x) => x.p50) });
    rows.push({ label: `latency p99 at half saturation, N=${n}`, unit: 'ms', better: 'lower', target: '< 20 ms', ...pick(lat, n, (x) => x.p99) });
    rows.push({ label: `latency p999 at half saturation, N=${n}`, unit: 'ms', better: 'lower', ...pick(lat, n, (x) => x.p999) });
  }
  for (const { count, login } of CFG.idle) {
    rows.push({ label: `memory per idle connection, ${count.toLocaleString('en-US')} ${login ? 'logged in, in the room' : 'connected, not logged in'}`, unit: 'KB', better: 'lower', target: count >= 10000 ? '<= 10 KB' : '', ...pick(idle, `${count}${login ? 'L' : 'C'}`, (x) => x.perConnKB) });
  }
  for (const n of CFG.receivers) rows.push({ label: `join cost, ${n} clients at once`, unit: 'CPU-ms', better: 'lower', digits: 0, ...pick(load, n, (x) => x.joinCpuMs) });
  const stormRows: Row[] = [];
  for (const count of CFG.storms) {
    const c = count.toLocaleString('en-US');
    const big = count >= 10000;
    stormRows.push({ label: `RSS per logged-in idle session, ${c} in the room`, unit: 'KB', better: 'lower', target: big ? '<= 8 KB' : '', ...pick(storms, count, (x) => x.perSessionKB) });
    stormRows.push({ label: `login storm of ${c}: server CPU of the whole storm`, unit: 'CPU-s', better: 'lower', target: big ? '<= ngIRCd' : '', ...pick(storms, count, (x) => x.cpuS) });
    stormRows.push({ label: `login storm of ${c}: time until the last welcome`, unit: 's', better: 'lower', target: big ? '<= 10 s' : '', ...pick(storms, count, (x) => x.lastWelcomeS) });
    stormRows.push({ label: `login storm of ${c}: clients logged in (of ${c})`, unit: 'clients', better: 'higher', digits: 0, ...pick(storms, count, (x) => x.ok) });
    stormRows.push({ label: `${c} in the room: heap after a full GC (ours)`, unit: 'MB', better: 'lower', ours: storms.ours.get(count)?.heapMB ?? NaN });
    stormRows.push({ label: `${c} in the room: heap + external per session after a full GC (ours)`, unit: 'KB', better: 'lower', ours: storms.ours.get(count)?.heapPerSessionKB ?? NaN });
    stormRows.push({ label: `${c} in the room: RSS per session after a full GC (ours)`, unit: 'KB', better: 'lower', ours: storms.ours.get(count)?.perSessionGcKB ?? NaN });
  }
  rows.push(...stormRows);

  // the store rows: ours only, store on (the default) against --no-store in the same run
  const storeRows: Row[] = [];
  if (store.on && store.off) {
    storeRows.push({ label: `delivered messages/s, N=${STORE_N}, store on (the default)`, unit: '/s', better: 'higher', ours: store.on.deliveriesPerSec });
    storeRows.push({ label: `delivered messages/s, N=${STORE_N}, store off (--no-store)`, unit: '/s', better: 'higher', ours: store.off.deliveriesPerSec });
    storeRows.push({ label: `delivered messages/s, N=${STORE_N}, store on / store off`, unit: 'x', better: 'higher', target: '>= 0.8', ours: store.on.deliveriesPerSec / store.off.deliveriesPerSec });
    storeRows.push({ label: `server CPU per million deliveries, N=${STORE_N}, store on / store off`, unit: 'x', better: 'lower', ours: store.on.cpuPerM / store.off.cpuPerM });
  }
  if (store.loginCpuMs) {
    storeRows.push({ label: 'server CPU per login, 100 messages replayed', unit: 'CPU-ms', better: 'lower', digits: 3, ours: store.loginCpuMs.replay100 });
    storeRows.push({ label: 'history replay of 100 messages, server CPU per login (the difference to --history 0)', unit: 'CPU-ms', better: 'lower', digits: 3, target: '< 1 ms', ours: store.loginCpuMs.replay100 - store.loginCpuMs.replay0 });
  }
  rows.push(...storeRows);
  const tlsRows: Row[] = [];
  if (tlsCmp.on && tlsCmp.off) {
    tlsRows.push({ label: `server CPU per million deliveries, N=${STORE_N}, TLS 1.3 (the default) / --no-tls`, unit: 'x', better: 'lower', target: '<= 1.3', ours: tlsCmp.on.cpuPerM / tlsCmp.off.cpuPerM });
    tlsRows.push({ label: `delivered messages/s, N=${STORE_N}, TLS 1.3 / --no-tls`, unit: 'x', better: 'higher', ours: tlsCmp.on.deliveriesPerSec / tlsCmp.off.deliveriesPerSec });
  }
  if (tlsCmp.handshakesPerSec) {
    tlsRows.push({ label: 'connections per second, storm of 1,000 at once, TLS 1.3 (handshakes)', unit: '/s', better: 'higher', ours: tlsCmp.handshakesPerSec.on });
    tlsRows.push({ label: 'connections per second, storm of 1,000 at once, TLS 1.3 / --no-tls', unit: 'x', better: 'higher', ours: tlsCmp.handshakesPerSec.on / tlsCmp.handshakesPerSec.off });
  }
  rows.push(...tlsRows);
  const dashRows: Row[] = [];
  if (dash.on && dash.off) {
    dashRows.push({ label: `delivered messages/s, N=${STORE_N}, dashboard page open (--dashboard)`, unit: '/s', better: 'higher', ours: dash.on.deliveriesPerSec });
    dashRows.push({ label: `delivered messages/s, N=${STORE_N}, no dashboard`, unit: '/s', better: 'higher', ours: dash.off.deliveriesPerSec });
    dashRows.push({ label: `delivered messages/s, N=${STORE_N}, dashboard page open / no dashboard`, unit: 'x', better: 'higher', target: '>= 0.95', ours: dash.on.deliveriesPerSec / dash.off.deliveriesPerSec });
    dashRows.push({ label: `server CPU per million deliveries, N=${STORE_N}, dashboard page open / no dashboard`, unit: 'x', better: 'lower', ours: dash.on.cpuPerM / dash.off.cpuPerM });
    dashRows.push({ label: 'dashboard pushes to the page per second (at most 10)', unit: '/s', better: 'lower', ours: dash.pushesPerSec ?? NaN });
  }
  rows.push(...dashRows);
  if (DASH_ONLY) { process.stdout.write(`\n${textTable(dashRows)}\n`); return; }
  if (TLS_ONLY) { process.stdout.write(`\n${textTable(tlsRows)}\n`); return; }
  if (STORM_ONLY) { process.stdout.write(`\n${textTable(stormRows)}\n\nload average at start ${loadAtStart.map((x) => x.toFixed(1)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`); return; }
  if (STORE_ONLY) { process.stdout.write(`\n${textTable(storeRows)}\n`); return; }
  const rates = CFG.receivers.map((n) => `N=${n}: ${kinds.map((k) => `${k === 'ours' ? 'messenger' : 'ngIRCd'} ${Math.round(lat[k].get(n)?.rate ?? NaN)}`).join(', ')}`).join('; ');
  process.stdout.write(`\n${textTable(rows)}\n\nhalf-saturation rates (messages/s): ${rates}\n`);
  if (profile) process.stdout.write(`\nwhere our time goes at N=200 (node --cpu-prof):\n${profile.areas.slice(0, 8).map((a) => `  ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`).join('\n')}\n`);
  process.stdout.write(`\nbench took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

  if (args['no-write'] || STORE_ONLY || LOAD_ONLY) return;
  const section = [
    '## Chat',
    '',
    `Generated by \`npm run bench:chat\`${QUICK ? ' (`--quick`)' : ''} on ${new Date().toISOString().slice(0, 10)}. Machine: ${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}; anchor: ${ngVer ? `ngIRCd ${ngVer}` : 'ngIRCd not installed (`apt-get install ngircd`)'}.`,
    '',
    'Both servers on 127.0.0.1, driven by the same load generator (bench/chat/loadgen*.ts, separate processes): the same clients,',
    `the same ${CFG.textSize}-character message text, ${CFG.sendersPerWorker * CFG.loadWorkers} senders among the N receivers, ${CFG.windowPerWorker * CFG.loadWorkers} messages in flight`,
    '(a message is in flight until a receiver in the sender\'s process has it). A delivery is one message reaching one receiver:',
    'ours echoes to the sender (N deliveries per message), IRC does not (N - 1). Server CPU is utime + stime from /proc/PID/stat,',
    'memory is the VmRSS delta from /proc/PID/status over N connections (logged in and in the room, or only connected), divided by N.',
    `Login storms: ${CFG.storms.map((c) => c.toLocaleString('en-US')).join(' and ')} clients log into the one room of a fresh server from ${CFG.stormWorkers} load-generator processes, at most`,
    `${CFG.stormConcurrency} per process waiting for their welcome at a time (ngIRCd listens with a backlog of 10), and stay, idle; ours logs in as our client does`,
    '(capability `presence`). RSS per session is the VmRSS delta over the storm divided by the clients logged in; the storm\'s CPU counts',
    `until the server is quiet; a storm still unfinished after ${CFG.stormTimeoutMs / 1000} s is cut there (the clients logged in say how far it got).`,
    'Heap after a full GC: our server runs with `--expose-gc --import bench/chat/gc-probe.mjs`, which on SIGUSR2 runs `gc()` and reports',
    '`process.memoryUsage()`; heap + external per session is its growth over the storm divided by the clients.',
    `Load average (1 min) at the start of this run: ${loadAtStart[0]!.toFixed(1)}, at the end: ${os.loadavg()[0]!.toFixed(1)} (2 cores).`,
    `Each throughput and CPU figure is the median of ${CFG.repeat} window(s) of ${CFG.measureMs / 1000} s, windows of the two servers interleaved; latency`,
    `is measured at the same offered load for both, half of the lower saturation (slowest window; messages/s: ${rates}), send to receipt at every receiver.`,
    'Settings: messenger-server `--max-per-address 0 --rate 100000 --log-level warn`; ngIRCd generated config with',
    '`MaxConnectionsIP = 0`, `MaxConnections = 0`, `MaxPenaltyTime = 0`, `MaxNickLength = 30`, `DNS = no`, `Ident = no`, `PAM = no`.',
    'The machine has 2 cores shared by both servers, the generator and whatever else runs: compare ratios within one run.',
    `The store rows are ours alone: the default server (history in SQLite in its data folder) against \`--no-store\` at N = ${STORE_N}, windows`,
    `interleaved; the login rows: ${STORE_LOGIN_ROUNDS} groups of ${STORE_LOGIN_GROUP} clients logging in to a server whose store holds thousands of`,
    'messages, with `--history 100` and with `--history 0`; the replay cost is the difference of the two, per login.',
    '',
    table(rows),
    '',
  ];
  if (profile) {
    section.push('### Where the time goes (messenger, N = 200, saturation, `node --cpu-prof`)', '', profileMarkdown(profile), '');
  }
  writeChatSection(path.join(ROOT, 'docs/BENCHMARKS.md'), section.join('\n'));
  log('wrote the "## Chat" section of docs/BENCHMARKS.md');
}

main().catch((e: Error) => { process.stderr.write(`bench:chat failed: ${e.stack ?? e.message}\n`); process.exit(1); });
