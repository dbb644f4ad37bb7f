// The dashboard's HTML, rendered on the server from the view model (pure string building, everything escaped).
// The whole page works without JavaScript (tables, the charts with the chosen actors lit, the event log with its
// filter as a plain form); with JavaScript the page swaps in the same parts as they come over Server-Sent Events.
import type { ChartSvg } from './charts.js';
import { EVENT_KINDS, type EventKind, type LogEvent } from './event-log.js';
import type { NodeRow, PoolView, SessionRow, TransferRow, ViewFrame } from './view-model.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/;

export function esc(s: unknown): string {
  const str = String(s);
  return SPECIAL.test(str) ? str.replace(/[&<>"']/g, (c) => ENTITIES[c]!) : str;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export function fmtRate(bytesPerSec: number): string { return `${fmtBytes(bytesPerSec)}/s`; }

export function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

export function fmtTime(t: number): string { return new Date(t).toISOString().slice(11, 19); }

/** Which actors the charts follow: chosen ids, or (absent) the newest live ones. */
export interface Selection { session?: number; transfer?: number }

/** The chosen session and transfer of a frame: the ones asked for when still shown, else the newest live ones
 *  (a transfer waiting at the halfway question first). */
export function chosen(frame: ViewFrame, sel: Selection): { session: SessionRow | null; transfer: TransferRow | null } {
  const s = frame.sessions.find((r) => r.id === sel.session) ?? [...frame.sessions].reverse().find((r) => !r.ended && r.name) ?? frame.sessions.at(-1) ?? null;
  const live = frame.transfers.filter((r) => !r.ended);
  const t = frame.transfers.find((r) => r.id === sel.transfer) ?? live.find((r) => r.asking) ?? live.at(-1) ?? frame.transfers.at(-1) ?? null;
  return { session: s, transfer: t };
}

const link = (token: string, key: 'session' | 'transfer', id: number) => `?token=${encodeURIComponent(token)}&amp;${key}=${id}`;

export function summaryHtml(f: ViewFrame): string {
  const live = f.transfers.filter((t) => !t.ended);
  const asking = live.filter((t) => t.asking).length;
  return [
    `<span><b>${f.online}</b> online</span>`,
    `<span><b>${f.sessionsOpen}</b> connections</span>`,
    `<span><b>${live.length}</b> downloads${asking ? ` (${asking} at the halfway question)` : ''}</span>`,
    `<span><b>${f.pool.inUse}</b> of ${f.pool.size} UDP ports in use</span>`,
    `<span>up ${fmtDuration(f.uptimeMs)}</span>`,
  ].join(' ');
}

export function sessionsHtml(f: ViewFrame, token: string, selected: number | null): string {
  if (!f.sessions.length) return '<tr class="empty"><td colspan="8">no one is connected</td></tr>';
  const rows = f.sessions.map((s) => {
    const cls = [s.ended ? 'ended' : '', s.id === selected ? 'selected' : ''].filter(Boolean).join(' ');
    return `<tr data-id="${s.id}"${cls ? ` class="${cls}"` : ''}><td><a href="${link(token, 'session', s.id)}">${s.id}</a></td>`
      + `<td class="name">${s.name ? esc(s.name) : '<i>(no name yet)</i>'}</td><td>${esc(s.address)}${s.tls ? ' <small>TLS</small>' : ''}</td>`
      + `<td class="state">${esc(s.state)}</td><td>${fmtDuration(s.onlineMs)}</td><td class="num">${s.sent}</td><td class="num">${fmtBytes(s.outboxBytes)}</td></tr>`;
  });
  if (f.sessionsHidden) rows.push(`<tr class="more"><td colspan="8">and ${f.sessionsHidden} more connections not listed</td></tr>`);
  return rows.join('\n');
}

export function transfersHtml(f: ViewFrame, token: string, selected: number | null): string {
  if (!f.transfers.length) return '<tr class="empty"><td colspan="11">no downloads</td></tr>';
  return f.transfers.map((t) => {
    const cls = [t.ended ? 'ended' : '', t.asking ? 'asking' : '', t.id === selected ? 'selected' : ''].filter(Boolean).join(' ');
    const pct = (t.progress * 100).toFixed(1);
    const state = t.ended && t.outcome ? t.outcome : t.state;
    return `<tr data-id="${t.id}"${cls ? ` class="${cls}"` : ''}><td><a href="${link(token, 'transfer', t.id)}">${t.id}</a></td>`
      + `<td class="name">${esc(t.file)}</td><td>${esc(t.client)}</td>`
      + `<td><progress max="1" value="${t.progress.toFixed(4)}">${pct}%</progress> ${pct}% <small>${fmtBytes(t.acked)} of ${fmtBytes(t.size)}</small></td>`
      + `<td class="state">${esc(state)}</td><td class="num">${fmtRate(t.goodput)}</td><td class="num">${fmtBytes(t.cwnd)}</td>`
      + `<td class="num">${t.rttMs.toFixed(2)} ms</td><td class="num">${t.lost}</td><td class="num">${t.retransmits}</td><td class="num">${t.port}</td></tr>`;
  }).join('\n');
}

export function poolHtml(p: PoolView): string {
  const items = p.ports.map((r) => {
    const title = r.status === 'taken' ? `${r.port}: download #${r.transfer} of ${r.file} to ${r.client}`
      : r.status === 'reserved' ? `${r.port}: being set up or closed` : r.status === 'benched' ? `${r.port}: could not be bound, resting` : `${r.port}: free`;
    const who = r.status === 'taken' ? ` <small>#${r.transfer} ${esc(r.client)}</small>` : '';
    return `<li class="port ${r.status}" title="${esc(title)}">${r.port}${who}<span class="status"> ${r.status}</span></li>`;
  });
  const head = `<p>${p.inUse} of ${p.size} in use (${p.first}-${p.last})${p.benched ? `, ${p.benched} resting` : ''}${p.listedAll ? '' : '; only ports not free are listed'}</p>`;
  return `${head}<ol class="ports">${items.join('')}</ol>`;
}

export function nodesHtml(nodes: NodeRow[]): string {
  if (!nodes.length) return '<tr class="empty"><td colspan="6">no nodes</td></tr>';
  return nodes.map((n) => `<tr${n.self ? ' class="self"' : ''}><td class="name">${esc(n.name)}${n.self ? ' <small>(this one)</small>' : ''}</td>`
    + `<td>${esc(n.address)}</td><td class="state">${esc(n.state)}</td><td class="num">${n.sessions}</td><td class="num">${n.transfers}</td>`
    + `<td>${n.ageMs === null ? '-' : fmtDuration(n.ageMs)}</td></tr>`).join('\n');
}

export function eventRowsHtml(events: readonly LogEvent[]): string {
  // newest first
  return [...events].reverse().map((e) => `<tr data-kind="${e.kind}" data-seq="${e.seq}"><td><time datetime="${new Date(e.t).toISOString()}">${fmtTime(e.t)}</time></td>`
    + `<td class="kind">${e.kind}</td><td>${esc(e.text)}</td></tr>`).join('\n');
}

/** The chart SVG with the states in `lit` marked `current`. */
export function litSvg(svg: string, lit: readonly string[]): string {
  let out = svg;
  for (const id of lit) {
    const attr = `data-state="${esc(id)}"`;
    out = out.replace(new RegExp(`class="(node|cluster)" ${attr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `class="$1 current" ${attr}`);
  }
  return out;
}

export interface PageInput {
  frame: ViewFrame;
  events: readonly LogEvent[];
  charts: readonly ChartSvg[];
  token: string;
  selection: Selection;
  filter: { kinds: ReadonlySet<EventKind>; text: string };
  /** Seconds between reloads of the page without JavaScript. */
  refreshSec: number;
}

export function pageHtml(p: PageInput): string {
  const { frame: f, token } = p;
  const t = encodeURIComponent(token);
  const pick = chosen(f, p.selection);
  const chartHtml = p.charts.map((c) => {
    const actor = c.name === 'session' ? pick.session : c.name === 'sender' ? pick.transfer : null;
    const caption = !c.live ? 'runs in each client: the server does not see its state'
      : actor ? `${c.name === 'session' ? 'session' : 'download'} #${actor.id} ${esc(c.name === 'session' ? (actor as SessionRow).name : (actor as TransferRow).file)}: <b class="state">${esc(actor.state)}</b>`
      : `no ${c.name === 'session' ? 'session' : 'download'} to follow`;
    const svg = c.svg === null ? '<p class="missing">chart not found: run <code>npm run charts</code></p>' : litSvg(c.svg, actor?.stateIds ?? []);
    return `<figure class="chart${c.live ? ' live' : ''}" data-chart="${c.name}"><figcaption><b>${c.name}</b> <span class="follow">${caption}</span></figcaption><div class="svg">${svg}</div></figure>`;
  }).join('\n');
  const kinds = EVENT_KINDS.map((k) => `<label><input type="checkbox" name="kind" value="${k}"${p.filter.kinds.size === 0 || p.filter.kinds.has(k) ? ' checked' : ''}> ${k}</label>`).join(' ');
  const events = p.events.filter((e) => (p.filter.kinds.size === 0 || p.filter.kinds.has(e.kind)) && (!p.filter.text || e.text.toLowerCase().includes(p.filter.text.toLowerCase())));
  const sel = (id: number | null | undefined) => (id === undefined || id === null ? '' : String(id));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>messenger dashboard</title>
<link rel="icon" href="data:,">
<noscript><meta http-equiv="refresh" content="${p.refreshSec}"></noscript>
<link rel="stylesheet" href="style.css?token=${t}">
<link rel="stylesheet" href="uplot.css?token=${t}">
<script src="uplot.js?token=${t}" defer></script>
<script type="module" src="app.js?token=${t}"></script>
</head>
<body data-token="${esc(token)}" data-session="${sel(p.selection.session)}" data-transfer="${sel(p.selection.transfer)}">
<header><h1>messenger</h1><div id="summary">${summaryHtml(f)}</div><div id="status" class="status">static page${p.refreshSec ? `, reloads every ${p.refreshSec} s` : ''}</div></header>
<main>
<section id="sessions-section"><h2>Sessions</h2>
<table><thead><tr><th>#</th><th>name</th><th>address</th><th>state</th><th>online</th><th>messages sent</th><th>outbox</th></tr></thead>
<tbody id="sessions">${sessionsHtml(f, token, pick.session?.id ?? null)}</tbody></table></section>
<section id="transfers-section"><h2>Downloads</h2>
<table><thead><tr><th>#</th><th>file</th><th>client</th><th>progress</th><th>state</th><th>goodput</th><th>cwnd</th><th>RTT</th><th>lost</th><th>retransmits</th><th>port</th></tr></thead>
<tbody id="transfers">${transfersHtml(f, token, pick.transfer?.id ?? null)}</tbody></table>
<div id="plots" class="plots"><noscript><p>The plots of goodput, congestion window, RTT and losses need JavaScript.</p></noscript></div></section>
<section id="charts-section"><h2>State charts</h2><p class="hint">Click a session or a download to follow it; the charts light its current state.</p>
<div class="charts">${chartHtml}</div></section>
<section id="pool-section"><h2>UDP port pool</h2><div id="pool">${poolHtml(f.pool)}</div></section>
<section id="nodes-section"><h2>Nodes</h2>
<table><thead><tr><th>node</th><th>address</th><th>state</th><th>sessions</th><th>downloads</th><th>up</th></tr></thead>
<tbody id="nodes">${nodesHtml(f.nodes)}</tbody></table></section>
<section id="events-section"><h2>Events</h2>
<form id="event-filter" method="get"><input type="hidden" name="token" value="${esc(token)}">${kinds}
<input type="search" name="q" value="${esc(p.filter.text)}" placeholder="filter text"> <button type="submit">filter</button></form>
<table><thead><tr><th>time (UTC)</th><th>kind</th><th>event</th></tr></thead><tbody id="events">${eventRowsHtml(events)}</tbody></table></section>
</main>
</body>
</html>
`;
}
