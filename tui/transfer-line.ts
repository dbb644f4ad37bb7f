// One transfers-panel row as text: "#1 file.bin [####....] 50%  1.2 MiB/s  0:03 left  running". Pure.
// The row always fits its width and always ends with the whole state (the part that matters most): when room is
// short, the bar shrinks then goes, the sizes shorten then go, the file name is elided in the middle, and the
// rate and time left go last, then the state takes its short form. Only a width too small for "#id short-state"
// cuts it.
import { ellipsize, formatBytes, formatDuration, formatRate, percent, progressBar, timeLeft } from './format.js';
import type { Transfer } from './transfers-model.js';

export function stateLabel(t: Transfer): string {
  switch (t.state) {
    case 'starting': return t.note ? `starting, ${t.note}` : 'starting';
    case 'running': return 'running';
    case 'consent': return 'paused: waiting for your answer (continue?)';
    case 'paused': return t.note ? `paused (${t.note})` : 'paused';
    case 'done': return `done${t.lastByte !== undefined ? `, last byte ${t.lastByte}` : ''}`;
    case 'stopped': return `stopped${t.note ? ` (${t.note})` : ''}, partial kept`;
    case 'failed': return `failed: ${t.note}`;
  }
}

/** The state in a few words, for a narrow panel (its note dropped). */
export function shortStateLabel(t: Transfer): string {
  switch (t.state) {
    case 'consent': return 'answer? F8 yes, F9 no';
    case 'paused': return 'paused';
    case 'stopped': return 'stopped, partial kept';
    case 'starting': return 'starting';
    case 'failed': return 'failed';
    default: return stateLabel(t);
  }
}

const len = (s: string) => [...s].length;

/** Shortens text to `width` columns by taking out its middle ("long-fi…ame.bin"), keeping the extension. */
export function elideMiddle(text: string, width: number): string {
  const cps = [...text];
  if (cps.length <= width) return text;
  if (width <= 1) return cps.slice(0, Math.max(0, width)).join('');
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${cps.slice(0, head).join('')}…${cps.slice(cps.length - tail).join('')}`;
}

const MAX_BAR = 30;
const MIN_BAR = 5;
const MIN_NAME = 5;

/** The row for a panel `width` columns wide; `file` must be display-safe already (see sanitize.ts). */
export function transferLine(t: Transfer, file: string, width: number): string {
  const id = `#${t.id}`;
  const state = stateLabel(t);
  const pct = `${percent(t.received, t.size)}%`.padStart(4);
  const active = t.state === 'running' || t.state === 'starting';
  const rate = active ? formatRate(t.rate) : t.state === 'done' && t.rate > 0 ? formatRate(t.rate) : '';
  const left = active ? `${formatDuration(timeLeft(t.received, t.size, t.rate))} left` : '';
  const sizes = [`${formatBytes(t.received)}/${formatBytes(t.size)}`, formatBytes(t.size), ''];
  const nameCap = Math.max(8, Math.min(24, Math.floor(width / 4)));

  // from the richest row to the barest; the first that fits wins
  const short = shortStateLabel(t);
  const steps: { bar: boolean; size: string; extra: string[]; minName: number; pct?: string; state?: string }[] = [
    { bar: true, size: sizes[0]!, extra: [rate, left], minName: nameCap },
    { bar: false, size: sizes[0]!, extra: [rate, left], minName: nameCap },
    { bar: false, size: sizes[1]!, extra: [rate, left], minName: Math.min(nameCap, 12) },
    { bar: false, size: sizes[1]!, extra: [rate, left], minName: MIN_NAME },
    { bar: false, size: sizes[2]!, extra: [rate, left], minName: MIN_NAME },
    { bar: false, size: sizes[2]!, extra: [rate], minName: MIN_NAME },
    { bar: false, size: sizes[2]!, extra: [], minName: MIN_NAME },
    { bar: false, size: sizes[2]!, extra: [], minName: MIN_NAME, state: short },
    { bar: false, size: sizes[2]!, extra: [], minName: MIN_NAME, state: short, pct: '' },
  ];
  for (const s of steps) {
    const tail = [s.pct ?? pct, s.size, ...s.extra, s.state ?? state].filter(Boolean).join('  ');
    const fixed = len(id) + 1 + 1 + len(tail); // "#id name tail" without the bar
    const room = width - fixed - (s.bar ? MIN_BAR + 3 : 0); // " [" + bar + "]"
    const nameWidth = Math.min(len(file), nameCap, room);
    if (nameWidth < Math.min(len(file), s.minName)) continue;
    const name = elideMiddle(file, nameWidth);
    if (!s.bar) return `${id} ${name} ${tail}`;
    const bar = Math.min(MAX_BAR, MIN_BAR + room - len(name));
    return `${id} ${name} [${progressBar(t.received, t.size, bar)}] ${tail}`;
  }
  // too narrow even for a short name: the id and the state, cut only if even its short form cannot fit
  return len(`${id} ${state}`) <= width ? `${id} ${state}` : ellipsize(`${id} ${short}`, Math.max(1, width));
}
