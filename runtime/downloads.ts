// Placeholder until UDP downloads land.
import type { ClientEvent } from '../machines/client-events.js';
import type { ClientFrame, ServerFrame, TransferServerFrame } from '../machines/frames.js';

export interface DownloadsOptions { host: string; dir: string; yes: boolean }
export interface DownloadsLink { send(f: ClientFrame): boolean; emit(e: ClientEvent): void }

export class Downloads {
  constructor(readonly opts: DownloadsOptions, private readonly link: DownloadsLink) {}
  get pending(): number { return 0; }
  request(file: string): void { this.link.send({ type: 'get', file }); }
  answer(_kind: 'yes' | 'no', _id?: number): void { this.link.emit({ type: 'error', code: 'no-such-transfer', message: 'no download is waiting for an answer' }); }
  stop(_id?: number): void { this.link.emit({ type: 'error', code: 'no-such-transfer', message: 'no download is running' }); }
  onFrame(_f: TransferServerFrame): void {}
  onError(_f: Extract<ServerFrame, { type: 'error' }>): boolean { return false; }
  connectionLost(): void {}
  connectionRestored(): void {}
  shutdown(): void {}
  idle(): Promise<void> { return Promise.resolve(); }
}
