// Small helpers for the end-to-end model runs: a raw NDJSON socket with bounded waits, and polling.
import type net from 'node:net';
import { connectSocket } from '../helpers/tls.js';

export type Frame = Record<string, unknown> & { type?: string; code?: string };

/** Polls `cond` every few ms until it holds or `ms` passes; returns whether it held. */
export async function until(cond: () => boolean, ms = 2000, every = 3): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
  return true;
}

/** What a frame looks like in the expected/observed lists: its type, and an error's code. */
export function frameTag(f: Frame): string {
  return f.type === 'error' ? `error:${String(f.code)}` : String(f.type ?? 'raw');
}

export class Wire {
  readonly frames: Frame[] = [];
  closed = false;
  /** The peer ended its side (FIN received). */
  ended = false;
  private buf = '';
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        try { this.frames.push(JSON.parse(line) as Frame); } catch { this.frames.push({ type: 'raw', line }); }
      }
    });
    socket.on('error', () => {});
    socket.on('end', () => { this.ended = true; });
    socket.on('close', () => { this.closed = true; });
  }

  /** `allowHalfOpen`: the peer ending its side does not end ours (we stay connected until we destroy). Over TLS
   *  1.3 (as the server runs by default) unless `secure` is false. */
  static async connect(port: number, host = '127.0.0.1', allowHalfOpen = false, secure = true): Promise<Wire> {
    return new Wire(await connectSocket(port, host, secure, { allowHalfOpen }));
  }

  get localPort(): number { return this.socket.localPort ?? 0; }
  tags(): string[] { return this.frames.map(frameTag); }
  send(frame: unknown): void { if (!this.socket.destroyed) this.socket.write(JSON.stringify(frame) + '\n'); }
  write(text: string): void { if (!this.socket.destroyed) this.socket.write(text); }
  destroy(): void { this.socket.destroy(); }
}
