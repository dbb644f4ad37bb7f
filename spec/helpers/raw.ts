// A raw TCP socket speaking NDJSON (or anything else) to the server: what a hostile or broken client can do.
// Every line received is parsed as JSON and logged; lines that are not JSON are logged as { raw: string }.
import type net from 'node:net';
import { Recorder, type WaitOptions } from './recorder.js';
import { connectSocket } from './tls.js';

export type Frame = Record<string, unknown> & { type?: string };

export class RawClient extends Recorder<Frame> {
  private buf = '';
  /** Everything the server sent, as received. */
  received = 0;

  private constructor(readonly socket: net.Socket, label: string) {
    super(label);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.received += Buffer.byteLength(d);
      this.buf += d;
      for (;;) {
        const nl = this.buf.indexOf('\n');
        if (nl < 0) break;
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        try { this.push(JSON.parse(line) as Frame); } catch { this.push({ raw: line }); }
      }
    });
    socket.on('error', () => {});
    socket.on('close', (hadError) => this.end(hadError ? 'error' : 'closed'));
  }

  /** Over TLS 1.3 (as the server runs by default) unless `secure` is false (a --no-tls server). */
  static async connect(port: number, host = '127.0.0.1', label = 'raw', secure = true): Promise<RawClient> {
    return new RawClient(await connectSocket(port, host, secure), label);
  }

  get closed(): boolean { return this.endedWith !== null; }

  /** Sends one frame as one JSON line. */
  send(frame: unknown): void { this.socket.write(JSON.stringify(frame) + '\n'); }

  /** Sends bytes exactly as given. */
  write(bytes: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => { this.socket.write(bytes, () => resolve()); });
  }

  /** Says hello and waits for the welcome. */
  async hello(name: string, ms = 3000): Promise<Frame> {
    const since = this.mark();
    this.send({ type: 'hello', v: 1, name });
    const f = await this.waitFor((x) => x.type === 'welcome' || x.type === 'error', { ms, since });
    if (f.type !== 'welcome') throw new Error(`${this.label}: hello refused: ${JSON.stringify(f)}`);
    return f;
  }

  waitForType(type: string, pred: (f: Frame) => boolean = () => true, opts: WaitOptions | number = {}): Promise<Frame> {
    return this.waitFor((f) => f.type === type && pred(f), opts);
  }

  /** Waits for the next error frame (after `since`) and returns it. */
  waitError(opts: WaitOptions | number = {}): Promise<Frame> { return this.waitForType('error', () => true, opts); }

  ofType(type: string, since = 0): Frame[] { return this.after(since).filter((f) => f.type === type); }

  destroy(): void { this.socket.destroy(); }
}
