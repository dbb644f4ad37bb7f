// The fuzz run: hostile connections send generated lines (bench/fuzz/frames.ts) in lock-step with a sentinel ping,
// and check every answer against the oracle, while well-behaved clients (the real ClientRuntime) chat and download
// through the same server. Used by `npm run fuzz` (bench/fuzz.ts) and by spec/hostile/fuzz.spec.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import type { ClientEvent } from '../../machines/client-events.js';
import { DEFAULT_SESSION_CONFIG } from '../../machines/session.machine.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer, SERVER_DEFAULTS } from '../../runtime/server.js';
import { makeSelfSigned } from '../../runtime/tls/identity.js';
import { classify, generate, makePools, Rng, validNickname, type Context, type Pools } from './frames.js';

export interface FuzzOptions {
  seconds: number;
  seed: number;
  /** Hostile connections at once. */
  fuzzers: number;
  /** Well-behaved clients. */
  good: number;
  udpPorts: [number, number];
  /** Size of the file the well-behaved clients download over and over. */
  fileBytes?: number;
  log?: (line: string) => void;
  /** Plain NDJSON instead of TLS 1.3 (the default, as users run it). */
  noTls?: boolean;
}

export interface FuzzResult {
  seed: number;
  seconds: number;
  framesTried: number;
  errorsAnswered: number;
  accepted: number;
  blankIgnored: number;
  byCode: Record<string, number>;
  closes: Record<string, number>;
  connections: number;
  unexpected: string[];
  stalls: number;
  crashes: number;
  serverAlive: boolean;
  good: { messagesSent: number; messagesLost: number; privateSent: number; privateLost: number; downloads: number; bytes: number; badDownloads: number; busyRetries: number; otherErrors: string[] };
}

type Frame = Record<string, unknown> & { type?: string };
const FLOOD_AFTER = DEFAULT_SESSION_CONFIG.floodAfter;
const HELLO_TIMEOUT = DEFAULT_SESSION_CONFIG.helloTimeoutMs;
const STEP_MS = 5000;
const SENTINEL_BASE = 7_000_000_000_000_000;
let sentinelSeq = 0;

class Inbox {
  private buf = '';
  readonly frames: Frame[] = [];
  closed = false;
  private wake: (() => void) | null = null;
  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const nl = this.buf.indexOf('\n');
        if (nl < 0) break;
        const line = this.buf.slice(0, nl); this.buf = this.buf.slice(nl + 1);
        try { this.frames.push(JSON.parse(line) as Frame); } catch { this.frames.push({ type: '!not-json', raw: line.slice(0, 80) }); }
      }
      this.poke();
    });
    socket.on('error', () => {});
    socket.on('close', () => { this.closed = true; this.poke(); });
  }
  private poke(): void { const w = this.wake; this.wake = null; w?.(); }
  /** The next frame, or 'closed', or 'timeout'. */
  async next(ms: number): Promise<Frame | 'closed' | 'timeout'> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      let t: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => { this.wake = r; t = setTimeout(r, left); });
      clearTimeout(t);
    }
  }
}

const TRANSFER_REFUSALS = ['no-such-file', 'bad-file-name', 'busy', 'too-many-transfers', 'io-error', 'transfer-failed', 'file-changed', 'internal'];

class FuzzConn {
  state: 'handshake' | 'chatting' | 'closed' = 'handshake';
  name = '';
  refused = 0;
  readonly openedAt = Date.now();
  readonly myIds: number[] = [];
  private readonly inbox: Inbox;
  private pendingStops: number[] = [];
  private names = 0;

  constructor(readonly socket: net.Socket, readonly id: number, private readonly run: FuzzRun) { this.inbox = new Inbox(socket); }

  get ctx(): Context {
    return { goodNames: this.run.goodNames, sharedFiles: this.run.sharedFiles, myIds: this.myIds, freshName: () => `fz${this.id}x${this.names++}` };
  }

  /** Frames that may arrive at any time and answer nothing this connection just sent. */
  private unsolicited(f: Frame): boolean {
    switch (f.type) {
      case 'message': return this.state === 'chatting' && f.from !== this.name;
      case 'joined': case 'left': return this.state === 'chatting';
      case 'ping': return f.t === undefined;
      case 'ask': case 'complete': case 'stopped': return this.myIds.includes(Number(f.id));
      case 'error': return f.re === undefined && this.myIds.includes(Number(f.id));
      default: return false;
    }
  }

  private async relevant(ms = STEP_MS): Promise<Frame | 'closed' | 'timeout'> {
    for (;;) {
      const f = await this.inbox.next(ms);
      if (typeof f === 'string' || !this.unsolicited(f)) return f;
    }
  }

  private fail(what: string, line: Buffer, got: unknown): void {
    this.run.unexpected(`${what} [${this.state} ${this.name} refused ${this.refused}]: sent ${JSON.stringify(line.toString('utf8').slice(0, 120))} got ${JSON.stringify(got).slice(0, 200)}`);
  }

  private close(reason: string): void {
    this.state = 'closed';
    this.run.result.closes[reason] = (this.run.result.closes[reason] ?? 0) + 1;
    this.socket.destroy();
  }

  /** A `bye` the server may send at any time for a documented reason (hello deadline). */
  private lateBye(f: Frame): boolean {
    if (f.type === 'bye' && f.reason === 'hello-timeout' && this.state === 'handshake' && Date.now() - this.openedAt >= HELLO_TIMEOUT - 200) { this.close('hello-timeout'); return true; }
    return false;
  }

  async step(r: Rng, pools: Pools): Promise<void> {
    const stop = this.pendingStops.shift();
    const g = stop !== undefined ? { bytes: Buffer.from(JSON.stringify({ type: 'stop', id: stop })), kind: 'stop-own' } : generate(r, pools, this.ctx);
    const line = g.bytes;
    const exp = classify(line);
    const res = this.run.result;
    res.framesTried++;
    const countCode = (c: string) => { res.byCode[c] = (res.byCode[c] ?? 0) + 1; };
    this.socket.write(Buffer.concat([line, Buffer.from('\n')]));
    if (exp.kind === 'none') { res.blankIgnored++; }

    // the flood limit: the next line after FLOOD_AFTER refusals in a row closes the connection
    if (exp.kind !== 'none' && this.refused >= FLOOD_AFTER) {
      const f = await this.relevant();
      if (typeof f === 'object' && this.lateBye(f)) return;
      if (typeof f !== 'object' || f.type !== 'bye' || f.reason !== 'flood') { this.fail('expected bye flood', line, f); this.close('unexpected'); return; }
      this.close('flood');
      return;
    }

    // the one answer the oracle requires (undefined: none)
    let want: ((f: Frame) => boolean) | undefined;
    let after: (f: Frame) => void = () => {};
    let async = false;
    let closes: string | null = null;
    if (exp.kind === 'error') {
      want = (f) => f.type === 'error' && exp.codes.includes(String(f.code));
      after = (f) => { countCode(String(f.code)); res.errorsAnswered++; this.refused++; };
    } else if (exp.kind === 'frame') {
      const fr = exp.frame;
      const refuseInHandshake = (codes: string[]) => {
        want = (f) => f.type === 'error' && codes.includes(String(f.code));
        after = (f) => { countCode(String(f.code)); res.errorsAnswered++; this.refused++; if (f.code === 'name-taken') {/* stays */} };
      };
      if (exp.type === 'bye') closes = 'quit'; // bye logs out in any state (also before the hello)
      else if (this.state === 'handshake') {
        if (exp.type !== 'hello') refuseInHandshake(['handshake-required']);
        else if (fr.v !== 1) refuseInHandshake(['bad-version']);
        else if (!validNickname(String(fr.name))) refuseInHandshake(['invalid-name']);
        else {
          want = (f) => f.type === 'welcome' || (f.type === 'error' && f.code === 'name-taken');
          after = (f) => {
            if (f.type === 'welcome') { res.accepted++; this.state = 'chatting'; this.name = String(f.name); this.refused = 0; }
            else { countCode('name-taken'); res.errorsAnswered++; this.refused++; }
          };
        }
      } else {
        const ok = () => { res.accepted++; this.refused = 0; };
        switch (exp.type) {
          case 'say': want = (f) => f.type === 'message' && f.from === this.name && f.to === undefined && f.text === fr.text; after = ok; break;
          case 'tell':
            want = (f) => (f.type === 'message' && f.from === this.name && typeof f.to === 'string' && f.text === fr.text) || (f.type === 'error' && f.code === 'unknown-user');
            after = (f) => { if (f.type === 'message') ok(); else { countCode('unknown-user'); res.errorsAnswered++; } };
            break;
          case 'who': want = (f) => f.type === 'online' && Array.isArray(f.names) && f.names.includes(this.name); after = ok; break;
          case 'files': async = true; want = (f) => f.type === 'files' || (f.type === 'error' && f.re === 'files'); after = ok; break;
          case 'get':
            async = true;
            want = (f) => (f.type === 'offer' && f.file === fr.file) || (f.type === 'error' && f.re === 'get' && TRANSFER_REFUSALS.includes(String(f.code)));
            after = (f) => {
              this.refused = 0;
              if (f.type === 'offer') { res.accepted++; this.myIds.push(Number(f.id)); this.pendingStops.push(Number(f.id)); }
              else { countCode(String(f.code)); res.errorsAnswered++; }
            };
            break;
          case 'consent': case 'stop':
            if (this.myIds.includes(Number(fr.id))) { want = undefined; after = ok; }
            else { want = (f) => f.type === 'error' && f.code === 'no-such-transfer'; after = (f) => { countCode(String(f.code)); res.errorsAnswered++; this.refused = 0; }; }
            break;
          case 'ping': want = (f) => f.type === 'pong' && f.t === fr.t; after = () => { res.accepted++; }; break;
          case 'pong': want = undefined; after = () => { res.accepted++; }; break;
          case 'hello': want = (f) => f.type === 'error' && f.code === 'already-online'; after = (f) => { countCode(String(f.code)); res.errorsAnswered++; }; break;
        }
      }
    }

    if (closes) {
      const f = await this.relevant();
      if (typeof f !== 'object' || f.type !== 'bye' || f.reason !== closes) { this.fail(`expected bye ${closes}`, line, f); this.close('unexpected'); return; }
      res.accepted++;
      this.close(closes);
      return;
    }

    const wasHandshake = this.state === 'handshake';
    const own: Frame[] = [];
    if (want && (async || wasHandshake)) {
      const f = await this.relevant();
      if (f === 'timeout') { this.run.stall(`no answer within ${STEP_MS} ms to ${g.kind}`); this.close('stall'); return; }
      if (f === 'closed') { this.fail('connection closed', line, f); this.state = 'closed'; return; }
      if (this.lateBye(f)) return;
      if (!want(f)) { this.fail(`wrong answer (${g.kind})`, line, f); this.close('unexpected'); return; }
      after(f);
      want = undefined;
      after = () => {};
    }
    if (this.state === 'handshake') return; // one answer per line before the hello: nothing more to wait for
    if (exp.kind === 'error' && this.refused + 1 >= FLOOD_AFTER && want) {
      // no sentinel: it would be the line that trips the flood limit
      const f = await this.relevant();
      if (typeof f !== 'object' || !want(f)) { this.fail(`wrong answer (${g.kind})`, line, f); this.close('unexpected'); return; }
      after(f);
      return;
    }
    if (this.refused >= FLOOD_AFTER) return;

    // the sentinel: everything the server sent for this line arrives before the sentinel's pong
    const t = SENTINEL_BASE + sentinelSeq++;
    this.socket.write(`{"type":"ping","t":${t}}\n`);
    for (;;) {
      const f = await this.relevant();
      if (f === 'timeout') { this.run.stall(`no sentinel pong within ${STEP_MS} ms after ${g.kind}`); this.close('stall'); return; }
      if (f === 'closed') { this.fail('connection closed', line, f); this.state = 'closed'; return; }
      if (f.type === 'pong' && f.t === t) break;
      own.push(f);
    }
    if (wasHandshake) {
      if (own.some((f) => f.type !== 'history')) this.fail('unexpected frames after welcome', line, own);
      return;
    }
    if (exp.kind === 'frame' && (exp.type === 'consent' || exp.type === 'stop') && this.myIds.includes(Number(exp.frame.id))) {
      // the transfer may have ended already: then the id is unknown
      for (let i = own.length - 1; i >= 0; i--) if (own[i]!.type === 'error' && own[i]!.code === 'no-such-transfer') own.splice(i, 1);
    }
    if (want) {
      const f = own.shift();
      if (!f || !want(f)) { this.fail(`wrong answer (${g.kind})`, line, f ?? 'nothing'); this.close('unexpected'); return; }
      after(f);
    } else if (exp.kind === 'frame') after({});
    if (own.length) { this.fail(`extra frames (${g.kind})`, line, own); this.close('unexpected'); }
  }
}

class GoodClient {
  readonly rt: ClientRuntime;
  readonly dir: string;
  readonly got = new Set<string>();
  readonly events: ClientEvent[] = [];
  private waiters: Array<(e: ClientEvent) => void> = [];
  constructor(port: number, readonly name: string, root: string) {
    this.dir = fs.mkdtempSync(path.join(root, `${name}-`));
    this.rt = new ClientRuntime({ host: '127.0.0.1', port, name, downloadsDir: this.dir, yes: true, reconnect: false, tls: secure ? { knownHosts: null } : false });
    this.rt.on('event', (e) => {
      if (e.type === 'message') this.got.add(`${e.from}|${e.to ?? ''}|${e.text}`);
      else this.events.push(e);
      for (const w of this.waiters.splice(0)) w(e);
    });
  }
  next(pred: (e: ClientEvent) => boolean, ms: number): Promise<ClientEvent | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waiters = this.waiters.filter((w) => w !== check); resolve(null); }, ms);
      const check = (e: ClientEvent) => { if (pred(e)) { clearTimeout(t); resolve(e); } else this.waiters.push(check); };
      this.waiters.push(check);
    });
  }
}

class FuzzRun {
  readonly result: FuzzResult;
  goodNames: string[] = [];
  sharedFiles: string[] = [];
  constructor(readonly opts: FuzzOptions) {
    this.result = {
      seed: opts.seed, seconds: opts.seconds, framesTried: 0, errorsAnswered: 0, accepted: 0, blankIgnored: 0, byCode: {}, closes: {}, connections: 0,
      unexpected: [], stalls: 0, crashes: 0, serverAlive: false,
      good: { messagesSent: 0, messagesLost: 0, privateSent: 0, privateLost: 0, downloads: 0, bytes: 0, badDownloads: 0, busyRetries: 0, otherErrors: [] },
    };
  }
  unexpected(s: string): void { if (this.result.unexpected.length < 50) this.result.unexpected.push(s); else this.result.unexpected.length++; }
  stall(s: string): void { this.result.stalls++; this.unexpected(`stall: ${s}`); }
}

/** TLS on unless the run is --no-tls (set once per run). */
let secure = true;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('error', reject);
    s.once(secure ? 'secureConnect' : 'connect', () => { s.off('error', reject); s.setNoDelay(true); resolve(s); });
  });
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? (() => {});
  const run = new FuzzRun(opts);
  const res = run.result;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-fuzz-'));
  const filesDir = path.join(root, 'files');
  fs.mkdirSync(filesDir);
  const content = crypto.randomBytes(opts.fileBytes ?? 1_500_000);
  const contentSha = crypto.createHash('sha256').update(content).digest('hex');
  fs.writeFileSync(path.join(filesDir, 'big.bin'), content);
  fs.writeFileSync(path.join(filesDir, 'small.txt'), 'hello\n');
  fs.writeFileSync(path.join(filesDir, 'empty'), '');
  run.sharedFiles = ['big.bin', 'small.txt', 'empty'];

  const onCrash = (e: unknown) => { res.crashes++; run.unexpected(`uncaught in the server process: ${String((e as Error)?.stack ?? e).slice(0, 300)}`); };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  secure = !opts.noTls;
  const server = new MessengerServer({
    ...(secure ? { tls: await makeSelfSigned() } : {}),
    host: '127.0.0.1', port: 0, filesDir, maxPerAddress: SERVER_DEFAULTS.maxPerAddress, maxConnections: SERVER_DEFAULTS.maxConnections,
    maxOutboxBytes: SERVER_DEFAULTS.maxOutboxBytes, tickMs: 1000, log: makeLogger({ quiet: true }),
    // the rate limit is tested on its own (spec/hostile/resources.spec.ts): here it would only answer rate-limited
    session: { limits: { ...DEFAULT_SESSION_CONFIG.limits, ratePerSec: 100000, burst: 100000 } },
    transfers: { host: '127.0.0.1', ports: opts.udpPorts, halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
  });
  await server.start();
  const port = server.port;
  const deadline = Date.now() + opts.seconds * 1000;
  const goods: GoodClient[] = [];
  try {
    // ---- the well-behaved clients
    for (let i = 0; i < opts.good; i++) {
      const g = new GoodClient(port, `good${i}`, root);
      goods.push(g);
      g.rt.start();
      const ev = await g.next((e) => e.type === 'connected' || e.type === 'disconnected' || e.type === 'error', 5000);
      if (ev?.type !== 'connected') throw new Error(`good client ${g.name} did not connect: ${JSON.stringify(ev)}`);
    }
    run.goodNames = goods.map((g) => g.name);
    const sentAll: string[] = [];
    const sentPrivate: Array<{ to: GoodClient; key: string }> = [];
    const chatter = (async () => {
      let seq = 0;
      while (Date.now() < deadline) {
        for (const [i, g] of goods.entries()) {
          const text = `good:${g.name}:${seq}`;
          g.rt.command(`/all ${text}`); sentAll.push(`${g.name}||${text}`);
          const to = goods[(i + 1) % goods.length]!;
          const ptext = `priv:${g.name}:${seq}`;
          g.rt.command(`/msg ${to.name} ${ptext}`); sentPrivate.push({ to, key: `${g.name}|${to.name}|${ptext}` });
        }
        seq++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const downloaders = goods.map(async (g) => {
      while (Date.now() < deadline) {
        g.rt.command('/get big.bin');
        const ev = await g.next((e) => e.type === 'finished' || (e.type === 'error' && e.file === 'big.bin') || e.type === 'stopped' || e.type === 'disconnected', 30000);
        if (ev?.type === 'finished') {
          const disk = crypto.createHash('sha256').update(fs.readFileSync(ev.path)).digest('hex');
          if (ev.sha256 !== contentSha || disk !== contentSha || ev.size !== content.length) res.good.badDownloads++;
          else { res.good.downloads++; res.good.bytes += ev.size; }
          fs.rmSync(ev.path, { force: true });
        } else if (ev?.type === 'error' && (ev.code === 'busy' || ev.code === 'too-many-transfers')) {
          res.good.busyRetries++;
          await new Promise((r) => setTimeout(r, 100));
        } else {
          res.good.badDownloads++;
          res.good.otherErrors.push(JSON.stringify(ev).slice(0, 200));
          if (!ev || ev.type === 'disconnected') return;
        }
      }
    });

    // ---- the hostile connections
    const pools = makePools(opts.seed);
    let connId = 0;
    const fuzzers = Array.from({ length: opts.fuzzers }, async (_, slot) => {
      const r = new Rng(opts.seed * 1000 + slot + 1);
      while (Date.now() < deadline) {
        let c: FuzzConn;
        try { c = new FuzzConn(await connect(port), connId++, run); } catch (e) { run.unexpected(`cannot connect: ${(e as Error).message}`); await new Promise((x) => setTimeout(x, 50)); continue; }
        res.connections++;
        while (c.state !== 'closed' && Date.now() < deadline) await c.step(r, pools);
        c.socket.destroy();
      }
    });
    let lastLog = Date.now();
    const ticker = setInterval(() => {
      if (Date.now() - lastLog < 5000) return;
      lastLog = Date.now();
      log(`  ... ${res.framesTried} lines, ${res.errorsAnswered} errors, ${res.good.downloads} downloads, ${res.unexpected.length} unexpected`);
    }, 1000);
    await Promise.all([...fuzzers, chatter, ...downloaders]);
    clearInterval(ticker);

    // ---- nothing lost: every good client has every message meant for it
    const lost = () => {
      let all = 0, priv = 0;
      for (const g of goods) for (const k of sentAll) if (!g.got.has(k)) all++;
      for (const p of sentPrivate) if (!p.to.got.has(p.key)) priv++;
      return { all, priv };
    };
    const until = Date.now() + 5000;
    while (Date.now() < until) { const l = lost(); if (!l.all && !l.priv) break; await new Promise((r) => setTimeout(r, 50)); }
    const l = lost();
    res.good.messagesSent = sentAll.length * goods.length; res.good.messagesLost = l.all;
    res.good.privateSent = sentPrivate.length; res.good.privateLost = l.priv;

    // ---- still serving: a new connection gets a welcome
    const probe = await connect(port);
    const inbox = new Inbox(probe);
    probe.write('{"type":"hello","v":1,"name":"probe"}\n');
    const w = await inbox.next(3000);
    res.serverAlive = typeof w === 'object' && w.type === 'welcome';
    probe.destroy();
  } finally {
    for (const g of goods) { try { await Promise.race([g.rt.quit(), new Promise((r) => setTimeout(r, 2000))]); } catch { /* closing */ } }
    await server.stop();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    fs.rmSync(root, { recursive: true, force: true });
  }
  return res;
}

export function formatResult(r: FuzzResult): string {
  const g = r.good;
  return [
    `fuzz seed ${r.seed}, ${r.seconds} s, ${r.connections} hostile connections`,
    `  lines tried ${r.framesTried}, errors answered ${r.errorsAnswered}, accepted ${r.accepted}, blank ignored ${r.blankIgnored}`,
    `  error codes ${JSON.stringify(r.byCode)}`,
    `  closes ${JSON.stringify(r.closes)}`,
    `  crashes ${r.crashes}, stalls ${r.stalls}, unexpected answers ${r.unexpected.length}, server alive ${r.serverAlive}`,
    `  good clients: ${g.messagesSent} messages to all (${g.messagesLost} lost), ${g.privateSent} private (${g.privateLost} lost), `
      + `${g.downloads} downloads ${(g.bytes / 1e6).toFixed(1)} MB intact (${g.badDownloads} bad), ${g.busyRetries} busy retries`,
    ...r.unexpected.slice(0, 10).map((u) => `  ! ${u}`),
    ...g.otherErrors.slice(0, 5).map((u) => `  ! good: ${u}`),
  ].join('\n');
}
