// Formatting of sizes, rates, times and progress bars for the panels. Pure.

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '-';
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Seconds as m:ss or h:mm:ss; '-' when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Time left at the current rate, or Infinity when it cannot be told. */
export function timeLeft(received: number, size: number, rate: number): number {
  if (received >= size) return 0;
  return rate > 0 ? (size - received) / rate : Infinity;
}

export function percent(received: number, size: number): number {
  if (size <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((100 * received) / size)));
}

/** A bar of `width` cells: filled, then empty. */
export function progressBar(received: number, size: number, width: number): string {
  const w = Math.max(0, Math.floor(width));
  const filled = size <= 0 ? w : Math.max(0, Math.min(w, Math.floor((w * received) / size)));
  return '#'.repeat(filled) + '.'.repeat(w - filled);
}

/** HH:MM:SS in local time. */
export function clock(ts: number): string {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Shortens text to `width` columns with an ellipsis (code points, not graphemes: good enough for names). */
export function ellipsize(text: string, width: number): string {
  const cps = [...text];
  if (cps.length <= width) return text;
  return width <= 1 ? cps.slice(0, width).join('') : `${cps.slice(0, width - 1).join('')}…`;
}
