// A ClientRuntime (the real client runtime, as line mode and the full-screen client use it) with its events logged.
import type { ClientEvent } from '../../machines/client-events.js';
import { REFUSAL_CODES } from '../../machines/errors.js';
import { ClientRuntime, type ClientOptions } from '../../runtime/client-runtime.js';
import { Recorder, type WaitOptions } from './recorder.js';
import { makeTempDir, removeDir } from './tmp.js';
import { tempKnownHosts } from './tls.js';

export type EventOf<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>;

export class TestClient extends Recorder<ClientEvent> {
  readonly rt: ClientRuntime;
  private started = false;
  private readonly ownDir: string | null;
  /** Its own MESSENGER_HOME (known_hosts), unless the test gave `tls`. */
  readonly home: string | null;

  constructor(port: number, name: string, opts: Partial<ClientOptions> = {}) {
    super(`client ${name}`);
    this.ownDir = opts.downloadsDir ? null : makeTempDir('messenger-downloads-');
    const own = opts.tls === undefined ? tempKnownHosts() : null;
    this.home = own?.home ?? null;
    this.rt = new ClientRuntime({
      host: '127.0.0.1', port, name, downloadsDir: opts.downloadsDir ?? this.ownDir!, yes: false, reconnect: false,
      tls: own ? { knownHosts: own.knownHosts } : opts.tls, ...opts,
    });
    this.rt.on('event', (ev) => {
      this.push(ev);
      if (ev.type === 'disconnected') this.end(ev.reason);
    });
  }

  /** Starts the client (it says hello); does not wait. */
  start(): this {
    if (!this.started) { this.started = true; this.rt.start(); }
    return this;
  }

  /** Starts and waits for `connected` (rejects on a refusal or a disconnect first). */
  async connect(ms = 3000): Promise<EventOf<'connected'>> {
    this.start();
    const ev = await this.waitFor((e) => e.type === 'connected' || e.type === 'disconnected' || (e.type === 'error' && REFUSAL_CODES.has(e.code)), ms);
    if (ev.type !== 'connected') throw new Error(`${this.label}: not connected: ${JSON.stringify(ev)}`);
    return ev;
  }

  /** A line typed by a person: "/msg bob hi", "/who", "hello all". */
  command(line: string): void { this.rt.command(line); }

  /** Waits for the first event of `type` (at or after `since`) that also passes `pred`. */
  waitForType<T extends ClientEvent['type']>(type: T, pred: (e: EventOf<T>) => boolean = () => true, opts: WaitOptions | number = {}): Promise<EventOf<T>> {
    return this.waitFor((e) => e.type === type && pred(e as EventOf<T>), opts) as Promise<EventOf<T>>;
  }

  ofType<T extends ClientEvent['type']>(type: T, since = 0): EventOf<T>[] {
    return this.after(since).filter((e) => e.type === type) as EventOf<T>[];
  }

  /** Quits (bye) if still open, and waits for the close; removes its own downloads folder. */
  async close(ms = 3000): Promise<void> {
    if (this.started && this.rt.state !== 'closed') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.rt.quit(), new Promise((r) => { timer = setTimeout(r, ms); })]);
      clearTimeout(timer);
    }
    if (this.started && this.rt.state !== 'closed') this.rt.actor.stop();
    if (this.ownDir) removeDir(this.ownDir);
    if (this.home) removeDir(this.home);
  }
}
