// `messenger-server --dashboard [HOST:]PORT`: the live web dashboard, wired to a server. Two steps, because the
// event log reads the server's log records: `tap` wraps the logger before the server is made, `start` opens the
// page once the server listens and logs its address (with the access token) in one line containing "dashboard".
import { CliError, parsePort } from '../cli-args.js';
import type { Logger } from '../logger.js';
import type { MessengerServer } from '../server.js';
import { loadCharts } from './charts.js';
import { EventLog, tapLogger } from './event-log.js';
import { Dashboard } from './http.js';
import { Observer, type NodeSource } from './observation.js';

export { Dashboard } from './http.js';
export type { NodeObservation, NodeSource } from './observation.js';

export interface DashboardAddress { host: string; port: number }

/** `PORT`, `HOST:PORT` or `[V6]:PORT`; the host defaults to 127.0.0.1 (the page is for this machine's operator). */
export function parseDashboardAddress(s: string): DashboardAddress {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) return { host: v6[1]!, port: parsePort(v6[2]!, '--dashboard') };
  const i = s.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: parsePort(s, '--dashboard') };
  const host = s.slice(0, i);
  if (!host || host.includes(':')) throw new CliError(`--dashboard: "${s}" is not [HOST:]PORT (an IPv6 host goes in brackets: [::1]:8080)`);
  return { host, port: parsePort(s.slice(i + 1), '--dashboard') };
}

export class DashboardSetup {
  readonly events = new EventLog();
  dashboard: Dashboard | null = null;

  constructor(readonly address: DashboardAddress) {}

  /** The logger to give the server: the same records, also read into the event log. */
  tap(log: Logger): Logger {
    return tapLogger(log, (msg, fields) => this.events.record(msg, fields, Date.now()));
  }

  /** Opens the page for `server` (started) and logs its address. `address`: the server's own, for the nodes panel;
   *  `nodes`: what a cluster knows of its nodes (default: this one alone). */
  async start(server: MessengerServer, log: Logger, opts: { address?: string; nodeName?: string; nodes?: NodeSource; maxViews?: number } = {}): Promise<Dashboard> {
    const observer = new Observer(server, { name: opts.nodeName, address: opts.address ?? `port ${server.port}` }, opts.nodes);
    const d = new Dashboard({ host: this.address.host, port: this.address.port, observe: () => observer.sample(), events: this.events, charts: loadCharts(), log, maxViews: opts.maxViews });
    await d.start();
    this.dashboard = d;
    log.info({ url: d.url }, `dashboard at ${d.url}`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(this.address.host)) {
      log.warn({ host: this.address.host }, 'the dashboard is plain HTTP: off this machine its token travels in clear (an SSH tunnel to 127.0.0.1 keeps it private)');
    }
    return d;
  }
}
