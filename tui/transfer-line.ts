// One transfers-panel row as text: "#1 file.bin [####....] 50%  1.2 MiB/s  0:03 left  running". Pure.
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

/** The row for a panel `width` columns wide; `file` must be display-safe already (see sanitize.ts). */
export function transferLine(t: Transfer, file: string, width: number): string {
  const pct = `${percent(t.received, t.size)}%`.padStart(4);
  const active = t.state === 'running' || t.state === 'starting';
  const rate = active ? formatRate(t.rate) : t.state === 'done' && t.rate > 0 ? formatRate(t.rate) : '';
  const left = active ? `${formatDuration(timeLeft(t.received, t.size, t.rate))} left` : '';
  const size = `${formatBytes(t.received)}/${formatBytes(t.size)}`;
  const tail = [pct, size, rate, left, stateLabel(t)].filter(Boolean).join('  ');
  const name = ellipsize(file, Math.max(8, Math.min(24, Math.floor(width / 4))));
  const barWidth = Math.max(5, Math.min(30, width - name.length - tail.length - 8));
  return `#${t.id} ${name} [${progressBar(t.received, t.size, barWidth)}] ${tail}`;
}
