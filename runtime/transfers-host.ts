// Placeholder until the UDP transfer lands: answers every download request with a clear error.
import type { ClientFrame } from '../machines/frames.js';
import type { CongestionControlName } from '../machines/transport/api.js';
import type { Catalogue } from './catalogue.js';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';

export interface TransfersOptions {
  host: string;
  ports: [number, number];
  advertisePorts?: [number, number];
  halfway: number;
  chunk: number;
  cc: CongestionControlName;
  silentMs: number;
  maxPerSession: number;
}

export class TransfersHost {
  constructor(private readonly catalogue: Catalogue, private readonly opts: TransfersOptions, private readonly log: Logger) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  handle(conn: Connection, frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, _name: string, _addr: string): void {
    conn.send({ type: 'error', code: 'transfer-failed', message: 'downloads are not available yet', re: frame.type });
  }
  sessionEnded(_conn: Connection, _reason: string): void {}
}
