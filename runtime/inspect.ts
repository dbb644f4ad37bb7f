// The live view (--inspect): one line per actor transition, with actor id, event and new state. Bounded: at most
// `limit` lines a second are written; the rest are counted and reported as skipped.
import fs from 'node:fs';
import type { InspectionEvent } from 'xstate';

const HIGH_RATE = new Set(['tick', 'ack', 'data']);

export type Inspector = (id: string) => (ev: InspectionEvent) => void;

export function makeInspector(target: string, limitPerSec = 2000): (id: string) => (ev: InspectionEvent) => void {
  const out = target === '-' || target === 'stderr' ? process.stderr : fs.createWriteStream(target, { flags: 'a' });
  let windowStart = Date.now();
  let written = 0;
  let skipped = 0;
  const line = (s: string) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (skipped) out.write(`${new Date(now).toISOString()} inspect skipped ${skipped} transitions (limit ${limitPerSec}/s)\n`);
      windowStart = now; written = 0; skipped = 0;
    }
    if (written >= limitPerSec) { skipped++; return; }
    written++;
    out.write(s);
  };
  return (id: string) => {
    let last = '';
    return (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.snapshot') return;
    const e = ev.event as { type: string };
    const snap = ev.snapshot as { value?: unknown; status?: string };
    const state = typeof snap.value === 'string' ? snap.value : JSON.stringify(snap.value);
    // per-datagram and per-tick events would drown the view: they are shown only when they change the state
    const unchanged = state === last;
    last = state;
    if (unchanged && HIGH_RATE.has(e.type)) return;
    const frameType = (e as { frame?: { type?: string } }).frame?.type;
    line(`${new Date().toISOString()} ${id} ${e.type}${frameType ? `(${frameType})` : ''} -> ${state}${snap.status === 'done' ? ' [done]' : ''}\n`);
    };
  };
}
