// Server logs through pino: readable lines on a terminal by default, JSON lines with --log-json.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function makeLogger(opts: { json?: boolean; level?: string; quiet?: boolean } = {}): Logger {
  const level = opts.quiet ? 'silent' : opts.level ?? 'info';
  if (opts.json) return pino({ level, base: undefined });
  return pino(
    { level, base: undefined },
    pretty({ colorize: process.stdout.isTTY ?? false, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true }),
  );
}
