// The client's downloads: requests sent over TCP, the check of each offer (machines/offer.ts), and for each
// accepted offer a ClientDownload (runtime/client-download.ts). One timer per client, on the injected clock, drives
// every download's ticks.
import type { InspectionEvent } from 'xstate';
import { localBaseName } from '../machines/file-name.js';
import type { ClientFrame, ServerFrame, TransferServerFrame } from '../machines/frames.js';
import { checkOffer, type OfferFrame } from '../machines/offer.js';
import { TIMING } from '../machines/timing.js';
import { ClientDownload, type ClientDownloadHost, type DownloadsLink } from './client-download.js';
import { every, systemClock, type Clock } from './clock.js';
import { readPartial } from './download-files.js';


export interface DownloadsOptions {
  host: string;
  dir: string;
  yes: boolean;
  /** Receiver window (flow-control credit beyond the contiguous prefix), bytes. */
  window: number;
  tickMs: number;
  /** Every download timer, deadline and timestamp reads this clock (default the system clock). */
  clock?: Clock;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

const DEFAULTS = { window: 64 << 20, tickMs: TIMING.downloadTickMs };

let nextRef = 1;

export class Downloads implements ClientDownloadHost {
  readonly opts: DownloadsOptions;
  readonly clock: Clock;
  private readonly requests = new Map<string, { file: string; base: string | null; offset?: number; sha256?: string }>();
  private readonly active = new Map<number, ClientDownload>();
  /** Files whose download the connection loss interrupted: asked for again after reconnecting. */
  private readonly interrupted = new Set<string>();
  private stopTicks: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  /** End of input: nobody is left to answer a halfway question, so later ones are answered no. */
  noMoreAnswers = false;

  constructor(opts: Partial<DownloadsOptions> & Pick<DownloadsOptions, 'host' | 'dir' | 'yes'>, readonly link: DownloadsLink) {
    this.opts = { ...DEFAULTS, ...opts };
    this.clock = opts.clock ?? systemClock;
  }

  /** Requests and downloads not ended, counting those a lost connection interrupted (asked for again once back). */
  get pending(): number { return this.requests.size + this.active.size + this.interrupted.size; }
  list(): ClientDownload[] { return [...this.active.values()]; }

  request(file: string): void {
    if (this.closed) return;
    const base = localBaseName(file);
    for (const d of this.active.values()) {
      if (d.base === base) { this.link.emit({ type: 'error', code: 'already-downloading', message: `${file} is already being downloaded (download ${d.id})`, file }); return; }
    }
    const ref = `r${nextRef++}`;
    const frame: Extract<ClientFrame, { type: 'get' }> = { type: 'get', file, ref };
    // a kept partial copy of this file: ask to resume it (the server checks that its file is unchanged)
    if (base) {
      const meta = readPartial(this.opts.dir, base);
      if (meta && meta.received > 0) { frame.offset = meta.received; frame.sha256 = meta.sha256; }
    }
    if (this.link.send(frame)) this.requests.set(ref, { file, base, offset: frame.offset, sha256: frame.sha256 });
  }

  /** Answers the question of download `id`, or of the oldest one waiting; the id answered, or null when none was. */
  answer(kind: 'yes' | 'no', id?: number): number | null {
    const d = id !== undefined ? this.active.get(id) : this.list().find((x) => x.awaitingConsent);
    if (!d || !d.awaitingConsent) {
      this.link.emit({ type: 'error', code: 'no-such-transfer', message: id !== undefined ? `download ${id} is not waiting for an answer` : 'no download is waiting for an answer' });
      return null;
    }
    d.actor.send({ type: 'answer', answer: kind });
    return d.id;
  }

  stop(id?: number): void {
    const d = id !== undefined ? this.active.get(id) : this.list()[0];
    if (!d) { this.link.emit({ type: 'error', code: 'no-such-transfer', message: id !== undefined ? `no download ${id}` : 'no download is running' }); return; }
    d.actor.send({ type: 'stop' });
  }

  onFrame(f: TransferServerFrame): void {
    if (f.type === 'offer') { this.onOffer(f); return; }
    const d = this.active.get(Number(f.id));
    if (!d) return;
    if (f.type === 'ask') d.actor.send({ type: 'ask', received: Number(f.received) });
    else if (f.type === 'complete') d.onComplete(f);
    else if (f.type === 'stopped') d.actor.send({ type: 'server.stopped', reason: String(f.reason) });
  }

  /** Errors that belong to a request or a download; true when handled here. */
  onError(f: Extract<ServerFrame, { type: 'error' }>): boolean {
    if (typeof f.ref === 'string' && this.requests.has(f.ref)) {
      const r = this.requests.get(f.ref)!;
      this.requests.delete(f.ref);
      this.link.emit({ type: 'error', code: f.code, message: String(f.message), file: r.file });
      this.checkIdle();
      return true;
    }
    if (typeof f.id === 'number' && this.active.has(f.id)) {
      const d = this.active.get(f.id)!;
      if (f.code === 'rate-limited') {
        // only the control frame was refused, not the download: say so, and ask the question again if it stands
        this.link.emit({ type: 'error', code: f.code, message: String(f.message), id: d.id, file: d.file });
        if (f.re === 'consent') d.actor.send({ type: 'ask', received: d.core.contiguous });
        return true;
      }
      d.actor.send({ type: 'server.error', code: f.code, message: String(f.message) });
      return true;
    }
    return false;
  }

  private onOffer(f: OfferFrame): void {
    const req = typeof f.ref === 'string' ? this.requests.get(f.ref) : undefined;
    if (f.ref !== undefined) this.requests.delete(String(f.ref));
    const check = checkOffer(f, req ?? {}, this.link.tlsSocket() !== null);
    if (!req || !check.ok || this.closed) {
      this.link.send({ type: 'stop', id: f.id });
      // an offer nobody asked for is refused quietly, unless its fields are unsafe
      if (!check.ok && (req || check.code === 'bad-file-name')) {
        this.link.emit({ type: 'error', code: check.code, message: check.message, ...(check.code === 'bad-file-name' ? {} : { file: f.file }) });
      }
      this.checkIdle();
      return;
    }
    try {
      const d = new ClientDownload(this, f, check.base, check.resume);
      this.active.set(f.id, d);
      this.interrupted.delete(f.file);
      this.ensureTimer();
    } catch (e) {
      this.link.send({ type: 'stop', id: f.id });
      this.link.emit({ type: 'error', code: 'transfer-failed', message: `download refused: ${(e as Error).message}`, file: f.file });
      this.checkIdle();
    }
  }

  ended(d: ClientDownload, interrupted: boolean): void {
    this.active.delete(d.id);
    if (interrupted && !this.closed) this.interrupted.add(d.file);
    if (!this.active.size && this.stopTicks) { this.stopTicks(); this.stopTicks = null; }
    this.checkIdle();
  }

  private ensureTimer(): void {
    if (this.stopTicks) return;
    this.stopTicks = every(this.clock, this.opts.tickMs, () => {
      const now = this.clock.now();
      for (const d of this.active.values()) d.actor.send({ type: 'tick', now });
    });
  }

  connectionLost(): void {
    for (const d of this.list()) d.connectionLost('connection lost');
    for (const r of this.requests.values()) this.interrupted.add(r.file);
    this.requests.clear();
  }

  /** Back online after a loss: ask again for what the loss interrupted (they resume from the kept partial). */
  connectionRestored(): void {
    const again = [...this.interrupted];
    this.interrupted.clear();
    for (const file of again) {
      this.link.emit({ type: 'info', text: `resuming the download of ${file}` });
      this.request(file);
    }
  }

  /** Resolves when no request or download is pending; a question nobody can answer any more is answered no. */
  idle(): Promise<void> {
    this.noMoreAnswers = true;
    for (const d of this.list()) if (d.awaitingConsent) {
      this.link.emit({ type: 'info', text: `end of input: answering no to download ${d.id} (${d.file}); /get resumes it later` });
      d.actor.send({ type: 'answer', answer: 'no' });
    }
    if (!this.pending) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private checkIdle(): void {
    if (this.pending) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  shutdown(): void {
    this.closed = true;
    for (const d of this.list()) d.connectionLost('client closing', true);
    this.interrupted.clear();
    this.checkIdle();
  }
}
