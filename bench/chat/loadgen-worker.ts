// One load-generator process (forked by bench/chat/loadgen.ts). It holds a share of the clients of one server,
// sends chat messages from its senders (a window of messages in flight, or a fixed rate) and counts what its
// clients receive. A delivery is one received line carrying the bench marker; latency is receive time minus the
// send time written into the text (monotonic clock, shared by all processes). Controlled over the IPC channel.
import net from 'node:net';
import tls from 'node:tls';
import { MARK, PROTOS, nowUs, type Proto, type ProtoName } from './protocols.js';

export type WorkerCmd =
  | { cmd: 'connect'; set: string; proto: ProtoName; port: number; names: string[]; concurrency: number; timeoutMs: number; noLogin?: boolean; secure?: boolean }
  | { cmd: 'load'; set: string; senders: number; mode: 'window' | 'rate'; window: number; rate: number; textSize: number }
  | { cmd: 'stopLoad'; set: string; drainMs: number }
  | { cmd: 'stats'; set: string; hist?: boolean }
  | { cmd: 'resetHist'; set: string }
  | { cmd: 'close'; set: string }
  | { cmd: 'exit' };

/** `hist`: sparse latency histogram, [bucket, count] pairs. */
export interface WorkerStats { deliveries: number; sent: number; observed: number; inflight: number; dropped: number; bytes: number; hist?: [number, number][] }

/** Latency histogram: 10 us buckets up to 2 s, then one overflow bucket. */
export const BUCKET_US = 10;
export const BUCKETS = 200_000;

interface Client {
  sock: net.Socket;
  carry: Buffer | null;
  ready: boolean;
  closed: boolean;
}

class ClientSet {
  readonly proto: Proto;
  readonly clients: Client[] = [];
  deliveries = 0;
  sent = 0;
  observed = 0;
  bytes = 0;
  dropped = 0;
  hist = new Uint32Array(BUCKETS + 1);
  private observer: Client | null = null;
  private senders: Client[] = [];
  private mode: 'window' | 'rate' | null = null;
  private window = 0;
  private rate = 0;
  private pad = '';
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  private rateStart = 0;
  private rateSent = 0;
  private pumping = false;
  /** Connect only (no login): the client counts as in once the TCP connection is up. */
  noLogin = false;
  /** TLS 1.3 to the server (a client counts as connected once its handshake is done). */
  secure = false;

  constructor(readonly wid: number, proto: ProtoName) { this.proto = PROTOS[proto]; }

  connect(port: number, names: string[], concurrency: number, timeoutMs: number): Promise<{ ok: number; failed: string[] }> {
    return new Promise((resolve) => {
      let i = 0, pending = 0, ok = 0;
      const failed: string[] = [];
      const deadline = setTimeout(() => { failed.push(`timeout with ${pending} logins pending`); finish(); }, timeoutMs);
      let done = false;
      const finish = () => { if (done) return; done = true; clearTimeout(deadline); resolve({ ok, failed }); };
      const startOne = () => {
        while (pending < concurrency && i < names.length) {
          const name = names[i++]!;
          pending++;
          let tries = 0;
          const attempt = () => this.open(port, name, (err) => {
            // a full accept queue (ngIRCd listens with a backlog of 10) resets or refuses: try again a little later
            if (err && /ECONNRESET|ECONNREFUSED|EPIPE|closed/.test(err) && ++tries < 8 && !done) { setTimeout(attempt, 50 * tries); return; }
            pending--;
            if (err) failed.push(`${name}: ${err}`); else ok++;
            if (ok + failed.length === names.length) finish(); else startOne();
          });
          attempt();
        }
      };
      if (!names.length) finish(); else startOne();
    });
  }

  private open(port: number, name: string, cb: (err?: string) => void): void {
    const sock = this.secure ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port, noDelay: true });
    if (this.secure) sock.setNoDelay(true);
    const c: Client = { sock, carry: null, ready: false, closed: false };
    let answered = false;
    const answer = (err?: string) => { if (!answered) { answered = true; cb(err); } };
    sock.on(this.secure ? 'secureConnect' : 'connect', () => { if (this.noLogin) { c.ready = true; answer(); } else sock.write(this.proto.login(name)); });
    sock.on('error', (e) => answer(e.message));
    sock.on('close', () => { c.closed = true; answer('closed'); });
    sock.on('data', (chunk: Buffer) => this.onData(c, chunk, answer));
    this.clients.push(c);
  }

  private onData(c: Client, chunk: Buffer, answer: (err?: string) => void): void {
    this.bytes += chunk.length;
    let buf = c.carry ? Buffer.concat([c.carry, chunk]) : chunk;
    c.carry = null;
    const last = buf.lastIndexOf(0x0a);
    if (last < 0) { c.carry = buf; return; }
    if (last + 1 < buf.length) c.carry = buf.subarray(last + 1);
    let pos = 0;
    if (!c.ready) {
      const r = buf.indexOf(this.proto.ready);
      if (r < 0 || r > last) {
        for (const bad of this.proto.refused) {
          const b = buf.indexOf(bad);
          if (b >= 0 && b < last) { const e = buf.indexOf(0x0a, b); answer(buf.subarray(Math.max(0, b - 40), e).toString()); return; }
        }
        return;
      }
      c.ready = true;
      answer();
      pos = buf.indexOf(0x0a, r) + 1;
    }
    // deliveries: one marker per delivered line
    let now = -1;
    for (;;) {
      const m = buf.indexOf(MARK, pos);
      if (m < 0 || m > last) break;
      this.deliveries++;
      // |B|<wid>|<tUs>|
      let p = m + 3, wid = 0, t = 0, ch: number;
      while ((ch = buf[p++]!) !== 0x7c) wid = wid * 10 + (ch - 48);
      while ((ch = buf[p++]!) !== 0x7c) t = t * 10 + (ch - 48);
      if (now < 0) now = nowUs();
      const b = Math.floor((now - t) / BUCKET_US);
      this.hist[b < 0 ? 0 : b > BUCKETS ? BUCKETS : b]!++;
      if (c === this.observer && wid === this.wid) { this.observed++; }
      pos = p;
    }
    const ping = buf.indexOf(this.proto.ping);
    if (ping >= 0 && ping < last) c.sock.write(this.proto.pong);
    if (c === this.observer && this.mode === 'window') this.pump();
  }

  private text(): string {
    const head = `|B|${this.wid}|${nowUs()}|`;
    return this.pad.length > head.length ? head + this.pad.slice(head.length) : head;
  }

  startLoad(senders: number, mode: 'window' | 'rate', window: number, rate: number, textSize: number): void {
    const live = this.clients.filter((c) => c.ready && !c.closed);
    this.senders = live.slice(0, senders);
    this.observer = live[live.length - 1] ?? null;
    if (this.senders.includes(this.observer!)) throw new Error('need more clients than senders in each worker');
    this.mode = mode; this.window = window; this.rate = rate;
    this.pad = 'x'.repeat(textSize);
    this.sent = 0; this.observed = 0;
    if (mode === 'window') this.pump();
    else {
      this.rateStart = performance.now(); this.rateSent = 0;
      this.timer = setInterval(() => this.paced(), 1);
    }
  }

  private writeBatch(n: number): void {
    // n messages spread round-robin over the senders, one write per sender
    const k = this.senders.length;
    const per = new Array<string>(k).fill('');
    for (let j = 0; j < n; j++) {
      per[this.next]! += this.proto.say(this.text());
      this.next = (this.next + 1) % k;
    }
    for (let s = 0; s < k; s++) if (per[s]) this.senders[s]!.sock.write(per[s]!);
    this.sent += n;
  }

  private pump(): void {
    if (this.pumping || this.mode !== 'window') return;
    this.pumping = true;
    const room = this.window - (this.sent - this.observed);
    if (room > 0) this.writeBatch(room);
    this.pumping = false;
  }

  private paced(): void {
    const due = Math.floor(((performance.now() - this.rateStart) * this.rate) / 1000) - this.rateSent;
    if (due <= 0) return;
    // open loop, but never more than 20,000 unanswered messages: past that the server is saturated anyway
    const n = Math.min(due, Math.max(0, 20000 - (this.sent - this.observed)));
    this.dropped += due - n;
    this.rateSent += due;
    if (n > 0) this.writeBatch(n);
  }

  async stopLoad(drainMs: number): Promise<void> {
    this.mode = null;
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
    const until = Date.now() + drainMs;
    while (this.sent > this.observed && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  stats(hist: boolean): WorkerStats {
    const s: WorkerStats = { deliveries: this.deliveries, sent: this.sent, observed: this.observed, inflight: this.sent - this.observed, dropped: this.dropped, bytes: this.bytes };
    if (hist) { s.hist = []; this.hist.forEach((n, b) => { if (n) s.hist!.push([b, n]); }); }
    return s;
  }

  resetHist(): void { this.hist.fill(0); }

  close(): void { for (const c of this.clients) c.sock.destroy(); this.clients.length = 0; }
}

const wid = Number(process.env.LOADGEN_WORKER ?? '0');
const sets = new Map<string, ClientSet>();
let setSeq = 0;

async function handle(m: WorkerCmd): Promise<unknown> {
  switch (m.cmd) {
    case 'connect': {
      // the sender id in the marker is per set, so that the observer of a set counts only its own set's messages
      // when several sets send at once (bench:cluster: one set per node, each closing its own window)
      const s = new ClientSet(wid * 1000 + (setSeq++ % 1000), m.proto);
      sets.set(m.set, s);
      s.noLogin = Boolean(m.noLogin);
      s.secure = Boolean(m.secure);
      return s.connect(m.port, m.names, m.concurrency, m.timeoutMs);
    }
    case 'load': sets.get(m.set)!.startLoad(m.senders, m.mode, m.window, m.rate, m.textSize); return true;
    case 'stopLoad': await sets.get(m.set)!.stopLoad(m.drainMs); return true;
    case 'stats': return sets.get(m.set)!.stats(Boolean(m.hist));
    case 'resetHist': sets.get(m.set)!.resetHist(); return true;
    case 'close': sets.get(m.set)?.close(); sets.delete(m.set); return true;
    case 'exit': setImmediate(() => process.exit(0)); return true;
  }
}

process.on('message', (msg: { id: number; body: WorkerCmd }) => {
  handle(msg.body).then(
    (result) => process.send!({ id: msg.id, result }),
    (e: Error) => process.send!({ id: msg.id, error: e.stack ?? e.message }),
  );
});
process.on('disconnect', () => process.exit(0));
