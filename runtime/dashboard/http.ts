// The dashboard's web server (node:http, read-only): the page rendered on the server, its script, uPlot, and one
// Server-Sent Events stream per open page. One sampler serves every open page: it reads the server at most
// `sampleMs` apart (100 ms: ten times a second), turns that into the view and pushes to each page only what changed.
// With no page open nothing runs (a request for the page itself samples once, at most ten times a second too).
// Every request needs the access token (?token=...); without it: 401.
import crypto from 'node:crypto';
import http from 'node:http';
import type { Logger } from '../logger.js';
import type { ChartSvg } from './charts.js';
import { EVENT_KINDS, type EventKind, type EventLog, type LogEvent } from './event-log.js';
import type { Observation } from './observation.js';
import { nodesHtml, pageHtml, poolHtml, sessionsHtml, summaryHtml, transfersHtml } from './page-html.js';
import { loadPageScript, loadUplot } from './page-script.js';
import { PAGE_CSS } from './page-style.js';
import { ViewModel, type SeriesPoint, type ViewFrame } from './view-model.js';

export interface DashboardOptions {
  host: string;
  port: number;
  observe: () => Observation;
  events: EventLog;
  charts: ChartSvg[];
  log: Logger;
  /** The access token (default: 32 random bytes, base64url). */
  token?: string;
  /** Least time between two samples (default and floor 100 ms). */
  sampleMs?: number;
  /** Seconds between reloads of the page without JavaScript (default 5). */
  refreshSec?: number;
  /** Pages open at once (event streams; default MAX_VIEWS): more get 503. */
  maxViews?: number;
}

/** The parts of the page a push replaces (HTML rendered here), keyed by element id. */
type Parts = Record<'summary' | 'sessions' | 'transfers' | 'pool' | 'nodes', string>;

/** What the page's script gets: on connect `full` (everything), then `update` with what changed. */
export interface Push {
  now: number;
  parts: Partial<Parts>;
  /** Per session and transfer: the chart states to light, and a label for the plots' legends (absent: unchanged). */
  actors?: { sessions: ActorState[]; transfers: ActorState[] };
  events: LogEvent[];
  point: SeriesPoint | null;
  /** `full` only: the plots' kept points. */
  series?: SeriesPoint[];
}
export interface ActorState { id: number; label: string; state: string; stateIds: string[]; live: boolean; asking?: boolean }

const HEARTBEAT_MS = 15_000;
export const MAX_VIEWS = 32;
/** A page that does not read its stream (this many bytes queued) is dropped; it reconnects when it can. */
const MAX_QUEUED = 4 << 20;

export class Dashboard {
  readonly token: string;
  private readonly http: http.Server;
  private readonly vm = new ViewModel();
  private readonly views = new Set<http.ServerResponse>();
  private readonly sampleMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastSampleAt = -Infinity;
  private lastParts: Parts | null = null;
  private lastActors = '';
  private lastEventSeq = 0;
  private lastWriteAt = 0;
  private script = '';
  private uplot = { js: '', css: '' };
  /** Samples taken (for tests and the bench: the sampler's work). */
  samples = 0;

  constructor(private readonly opts: DashboardOptions) {
    this.token = opts.token ?? crypto.randomBytes(32).toString('base64url');
    this.sampleMs = Math.max(100, opts.sampleMs ?? 100);
    this.http = http.createServer((req, res) => this.handle(req, res));
    this.http.on('clientError', (_e, socket) => socket.destroy());
  }

  async start(): Promise<void> {
    this.script = await loadPageScript();
    this.uplot = loadUplot();
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.opts.host, port: this.opts.port }, () => { this.http.off('error', reject); resolve(); });
    });
    this.http.on('error', (e) => this.opts.log.error({ err: e.message }, 'dashboard error'));
  }

  get port(): number { const a = this.http.address(); return typeof a === 'object' && a ? a.port : this.opts.port; }

  /** The page's address, token included. */
  get url(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host === '0.0.0.0' ? '127.0.0.1' : this.opts.host;
    return `http://${h}:${this.port}/?token=${this.token}`;
  }

  /** Pages open now (event streams). */
  get viewers(): number { return this.views.size; }

  async stop(): Promise<void> {
    this.stopSampler();
    for (const v of this.views) v.end();
    this.views.clear();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private authorized(url: URL): boolean {
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const want = Buffer.from(this.token);
    return given.length === want.length && crypto.timingSafeEqual(given, want);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.plain(res, 405, 'the dashboard is read-only: GET only\n');
    if (!this.authorized(url)) return this.plain(res, 401, 'the dashboard needs its access token: open the address the server logged at start (it ends in ?token=...)\n');
    switch (url.pathname) {
      case '/': return this.page(url, res);
      case '/events': return this.stream(req, res);
      case '/state.json': return this.send(res, 'application/json', JSON.stringify(this.frame()));
      case '/app.js': return this.send(res, 'text/javascript', this.script);
      case '/uplot.js': return this.send(res, 'text/javascript', this.uplot.js);
      case '/uplot.css': return this.send(res, 'text/css', this.uplot.css);
      case '/style.css': return this.send(res, 'text/css', PAGE_CSS);
      default: return this.plain(res, 404, 'not found\n');
    }
  }

  private plain(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  private send(res: http.ServerResponse, type: string, body: string): void {
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` });
    res.end(body);
  }

  private page(url: URL, res: http.ServerResponse): void {
    const id = (k: string) => { const v = Number(url.searchParams.get(k)); return Number.isInteger(v) && v > 0 ? v : undefined; };
    const kinds = new Set(url.searchParams.getAll('kind').filter((k): k is EventKind => (EVENT_KINDS as readonly string[]).includes(k)));
    const html = pageHtml({
      frame: this.frame(), events: this.opts.events.since(0), charts: this.opts.charts, token: this.token,
      selection: { session: id('session'), transfer: id('transfer') },
      filter: { kinds, text: url.searchParams.get('q') ?? '' }, refreshSec: this.opts.refreshSec ?? 5,
    });
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    this.send(res, 'text/html', html);
  }

  /** The current view: the sampler's latest while it runs (or when younger than sampleMs), else a fresh sample. */
  private frame(): ViewFrame {
    const last = this.vm.lastFrame;
    if (last && (this.timer !== null || performance.now() - this.lastSampleAt < this.sampleMs)) return last;
    return this.sample();
  }

  private sample(): ViewFrame {
    this.lastSampleAt = performance.now();
    this.samples++;
    return this.vm.update(this.opts.observe());
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.views.size >= (this.opts.maxViews ?? MAX_VIEWS)) return this.plain(res, 503, 'too many dashboard pages are open at once; close one\n');
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    req.socket.setNoDelay(true);
    const frame = this.frame();
    const full: Push = {
      now: frame.now, parts: renderParts(frame, this.token), actors: actorsOf(frame), events: this.opts.events.since(0),
      point: null, series: this.vm.series(),
    };
    res.write(`retry: 2000\nevent: full\ndata: ${JSON.stringify(full)}\n\n`);
    this.views.add(res);
    res.on('close', () => {
      this.views.delete(res);
      if (!this.views.size) this.stopSampler();
    });
    if (!this.timer) this.startSampler(frame);
  }

  private startSampler(first: ViewFrame): void {
    this.lastParts = renderParts(first, this.token);
    this.lastActors = JSON.stringify(actorsOf(first));
    this.lastEventSeq = this.opts.events.lastSeq;
    this.lastWriteAt = performance.now();
    this.timer = setInterval(() => this.tick(), this.sampleMs);
  }

  private stopSampler(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const frame = this.sample();
    const parts = renderParts(frame, this.token);
    const changed: Partial<Parts> = {};
    for (const k of Object.keys(parts) as (keyof Parts)[]) if (parts[k] !== this.lastParts?.[k]) changed[k] = parts[k];
    this.lastParts = parts;
    const actorsText = JSON.stringify(actorsOf(frame));
    const actorsChanged = actorsText !== this.lastActors;
    this.lastActors = actorsText;
    const events = this.opts.events.since(this.lastEventSeq);
    this.lastEventSeq = this.opts.events.lastSeq;
    const now = performance.now();
    if (!Object.keys(changed).length && !actorsChanged && !events.length && !frame.point) {
      if (now - this.lastWriteAt >= HEARTBEAT_MS) { this.broadcast(': heartbeat\n\n'); this.lastWriteAt = now; }
      return;
    }
    // the push as JSON, with the actors' text reused (serialized once) and left out when unchanged
    const head: Omit<Push, 'actors'> = { now: frame.now, parts: changed, events, point: frame.point };
    const json = JSON.stringify(head);
    this.broadcast(`data: ${actorsChanged ? `${json.slice(0, -1)},"actors":${actorsText}}` : json}\n\n`);
    this.lastWriteAt = now;
  }

  private broadcast(text: string): void {
    for (const v of this.views) {
      if (v.writableLength > MAX_QUEUED) { v.destroy(); continue; }
      v.write(text);
    }
  }
}

/** The page's parts as HTML, without a selection (the page marks its chosen rows itself). */
export function renderParts(f: ViewFrame, token: string): Parts {
  return { summary: summaryHtml(f), sessions: sessionsHtml(f, token, null), transfers: transfersHtml(f, token, null), pool: poolHtml(f.pool), nodes: nodesHtml(f.nodes) };
}

export function actorsOf(f: ViewFrame): Push['actors'] {
  return {
    sessions: f.sessions.map((s) => ({ id: s.id, label: s.name || `session ${s.id}`, state: s.state, stateIds: s.stateIds, live: !s.ended })),
    transfers: f.transfers.map((t) => ({ id: t.id, label: `#${t.id} ${t.file} to ${t.client}`, state: t.ended && t.outcome ? t.outcome : t.state, stateIds: t.stateIds, live: !t.ended, asking: t.asking })),
  };
}
