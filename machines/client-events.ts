// The events a client runtime emits: exactly what `messenger --plain --json` prints, one object per line, and what
// the full-screen client draws. MISSION.md ("Interfaces people and scripts rely on") fixes the fields of the first
// group; the others are ours to add.
import type { ErrorCode } from './errors.js';
import type { ChatLine, FileEntry } from './frames.js';

export type ClientEvent =
  | { type: 'connected'; name: string; server: string; online: string[] }
  | { type: 'joined'; name: string }
  | { type: 'left'; name: string; reason?: string }
  | { type: 'message'; from: string; text: string; ts: number; to?: string }
  | { type: 'online'; names: string[] }
  | { type: 'files'; files: FileEntry[] }
  | { type: 'consent'; id: number; file: string; received: number; size: number }
  | { type: 'progress'; id: number; file: string; received: number; size: number; rate: number }
  | {
      type: 'finished'; id: number; file: string; size: number; sha256: string; lastByte?: number; path: string;
      /** who downloaded it (the nickname), for the sentence the views word */
      user: string; seconds: number; goodput: number;
    }
  | { type: 'stopped'; id: number; file: string; received: number; path: string; reason: string }
  | { type: 'error'; code: ErrorCode; message: string; file?: string; id?: number }
  | { type: 'disconnected'; reason: string }
  /** the nickname is registered (`changed`: its password was changed) */
  | { type: 'registered'; name: string; changed?: boolean }
  // ours
  /** `older`: a page asked for with /history (not the replay at login); it may be empty */
  | { type: 'history'; messages: ChatLine[]; older?: boolean }
  | { type: 'download'; id: number; file: string; size: number; offset: number; path: string; resumed: boolean }
  /** The connection is lost (or an attempt failed): attempt number `attempt` goes to `host` (HOST:PORT) in `inMs`. */
  | { type: 'reconnecting'; attempt: number; inMs: number; reason: string; host: string }
  | { type: 'info'; text: string }
  /** A server's TLS certificate accepted by its fingerprint: on first use (remembered in known_hosts) or by --trust. */
  | { type: 'trusted'; server: string; fingerprint: string; how: 'first-use' | 'trust'; text: string }
  | { type: 'help'; text: string };

export type ClientEventType = ClientEvent['type'];
