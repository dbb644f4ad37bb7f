// The dashboard page's script (runs in the browser). The server renders the whole page; this keeps it live: it
// listens to the Server-Sent Events stream, swaps in the parts the server re-rendered, appends to the event log,
// draws the plots with uPlot and lights the chosen actors' states on the charts. It never sends anything back.

interface SeriesPoint { t: number; values: Record<string, [number, number, number, number]> }
interface ActorState { id: number; label: string; state: string; stateIds: string[]; live: boolean; asking?: boolean }
interface LogEvent { seq: number; t: number; kind: string; text: string }
interface Push {
  now: number;
  parts: Partial<Record<'summary' | 'sessions' | 'transfers' | 'pool' | 'nodes', string>>;
  /** Absent when unchanged since the last push. */
  actors?: { sessions: ActorState[]; transfers: ActorState[] };
  events: LogEvent[];
  point: SeriesPoint | null;
  series?: SeriesPoint[];
}
interface UPlotInstance { setData(data: (number | null)[][]): void; setSize(s: { width: number; height: number }): void; destroy(): void }
type UPlotCtor = new (opts: object, data: (number | null)[][], target: HTMLElement) => UPlotInstance;

const MAX_EVENTS = 1000;
const MAX_POINTS = 600;
const PLOTTED = 6;
const COLORS = ['#2f5fd0', '#d9480f', '#2e9d4f', '#9c36b5', '#c92a2a', '#0b7285'];
const PLOTS: { title: string; unit: string; scale: (v: number) => number }[] = [
  { title: 'goodput', unit: 'MB/s', scale: (v) => v / 1e6 },
  { title: 'congestion window', unit: 'KB', scale: (v) => v / 1e3 },
  { title: 'smoothed RTT', unit: 'ms', scale: (v) => v },
  { title: 'losses', unit: 'packets/s', scale: (v) => v },
];

const body = document.body;
const token = body.dataset.token ?? '';
const chosen: { session: number | null; transfer: number | null } = {
  session: body.dataset.session ? Number(body.dataset.session) : null,
  transfer: body.dataset.transfer ? Number(body.dataset.transfer) : null,
};
let actors: NonNullable<Push['actors']> = { sessions: [], transfers: [] };
let points: SeriesPoint[] = [];
let plotted = '';
let plots: UPlotInstance[] = [];
const $ = (id: string) => document.getElementById(id);

function setStatus(text: string, cls: string): void {
  const s = $('status');
  if (!s) return;
  s.textContent = text;
  s.className = `status ${cls}`;
}

function applyParts(parts: Push['parts']): void {
  for (const [id, html] of Object.entries(parts)) {
    const el = $(id);
    if (el && typeof html === 'string') el.innerHTML = html;
  }
  markSelected();
}

function pick(list: ActorState[], want: number | null): ActorState | null {
  const live = list.filter((a) => a.live);
  return list.find((a) => a.id === want) ?? live.find((a) => a.asking) ?? live.at(-1) ?? list.at(-1) ?? null;
}

function markSelected(): void {
  const s = pick(actors.sessions.filter((a) => a.live || a.id === chosen.session), chosen.session);
  const t = pick(actors.transfers, chosen.transfer);
  for (const [tbody, id] of [['sessions', s?.id], ['transfers', t?.id]] as const) {
    for (const tr of document.querySelectorAll<HTMLTableRowElement>(`#${tbody} tr[data-id]`)) {
      tr.classList.toggle('selected', Number(tr.dataset.id) === id);
    }
  }
  light('session', s, 'session');
  light('sender', t, 'download');
}

function light(chart: string, actor: ActorState | null, what: string): void {
  const fig = document.querySelector<HTMLElement>(`figure[data-chart="${chart}"]`);
  if (!fig) return;
  const want = new Set(actor?.stateIds ?? []);
  for (const g of fig.querySelectorAll<SVGGElement>('g[data-state]')) g.classList.toggle('current', want.has(g.dataset.state ?? ''));
  centre(fig, `${actor?.id}:${actor?.stateIds.join(',')}`);
  const cap = fig.querySelector('.follow');
  if (!cap) return;
  cap.textContent = '';
  if (!actor) { cap.textContent = `no ${what} to follow`; return; }
  cap.append(`${what} ${actor.label}: `);
  const b = document.createElement('b');
  b.className = 'state';
  b.textContent = actor.state;
  cap.append(b);
}

/** Scrolls a chart sideways so that its lit state is in view, when that state changed (not on every push). */
const centred = new Map<Element, string>();
function centre(fig: HTMLElement, key: string): void {
  if (centred.get(fig) === key) return;
  centred.set(fig, key);
  const box = fig.querySelector<HTMLElement>('.svg');
  const lit = fig.querySelector<SVGGElement>('g.node.current');
  if (!box || !lit) return;
  const b = box.getBoundingClientRect();
  const r = lit.getBoundingClientRect();
  box.scrollLeft += r.left - b.left - (b.width - r.width) / 2;
}

// ---- the event log: rows built with textContent (event text comes from users: names, file names)
function eventRow(e: LogEvent): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.kind = e.kind;
  tr.dataset.seq = String(e.seq);
  const time = document.createElement('time');
  time.dateTime = new Date(e.t).toISOString();
  time.textContent = time.dateTime.slice(11, 19);
  const cells = [time, e.kind, e.text];
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    if (i === 1) td.className = 'kind';
    td.append(c);
    tr.append(td);
  });
  return tr;
}

function addEvents(events: LogEvent[], replace: boolean): void {
  const tbody = $('events');
  if (!tbody) return;
  if (replace) tbody.textContent = '';
  const last = Number((tbody.firstElementChild as HTMLElement | null)?.dataset.seq ?? 0);
  for (const e of events) if (replace || e.seq > last) tbody.prepend(eventRow(e));
  while (tbody.children.length > MAX_EVENTS) tbody.lastElementChild!.remove();
  filterEvents();
}

function filterEvents(): void {
  const form = $('event-filter') as HTMLFormElement | null;
  if (!form) return;
  const kinds = new Set([...form.querySelectorAll<HTMLInputElement>('input[name=kind]')].filter((i) => i.checked).map((i) => i.value));
  const q = (form.querySelector<HTMLInputElement>('input[name=q]')?.value ?? '').trim().toLowerCase();
  for (const tr of document.querySelectorAll<HTMLTableRowElement>('#events tr')) {
    tr.hidden = !kinds.has(tr.dataset.kind ?? '') || (q !== '' && !(tr.textContent ?? '').toLowerCase().includes(q));
  }
}

// ---- plots: one per measure, one line per download (the last few), over the last minute of samples
function drawPlots(): void {
  const U = (window as unknown as { uPlot?: UPlotCtor }).uPlot;
  const box = $('plots');
  if (!U || !box) return;
  const ids: string[] = [];
  for (let i = points.length - 1; i >= 0 && ids.length < PLOTTED; i--) {
    for (const id of Object.keys(points[i]!.values)) if (!ids.includes(id) && ids.length < PLOTTED) ids.push(id);
  }
  ids.sort((a, b) => Number(a) - Number(b));
  const label = (id: string) => actors.transfers.find((t) => String(t.id) === id)?.label ?? `#${id}`;
  const key = ids.map(label).join('|');
  const xs = points.map((p) => p.t / 1000);
  const data = PLOTS.map((m, k) => [xs, ...ids.map((id) => points.map((p) => { const v = p.values[id]; return v ? m.scale(v[k]!) : null; }))]);
  if (key !== plotted) {
    for (const p of plots) p.destroy();
    box.textContent = '';
    const divs = PLOTS.map((m) => {
      const div = document.createElement('div');
      div.className = 'plot';
      const h = document.createElement('h3');
      h.textContent = `${m.title} (${m.unit})`;
      div.append(h);
      box.append(div);
      return div;
    });
    plots = PLOTS.map((_m, k) => {
      const div = divs[k]!;
      return new U({
        width: Math.max(300, div.clientWidth), height: 170,
        series: [{}, ...ids.map((id, i) => ({ label: label(id), stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false }))],
        axes: [{}, { size: 60 }],
        scales: { x: { time: true } },
        legend: { show: true },
      }, data[k]!, div);
    });
    plotted = key;
  } else {
    plots.forEach((p, k) => p.setData(data[k]!));
  }
}

function addPoint(p: SeriesPoint | null): void {
  if (!p) return;
  points.push(p);
  if (points.length > MAX_POINTS) points = points.slice(-MAX_POINTS);
}

// ---- wiring
function onPush(push: Push, full: boolean): void {
  if (push.actors) actors = push.actors;
  if (full) points = push.series ?? [];
  else addPoint(push.point);
  applyParts(push.parts);
  addEvents(push.events, full);
  if (full || push.point) drawPlots();
  body.dataset.updated = String(push.now);
}

function select(kind: 'session' | 'transfer', id: number): void {
  chosen[kind] = id;
  const url = new URL(location.href);
  url.searchParams.set(kind, String(id));
  history.replaceState(null, '', url);
  markSelected();
}

for (const [tbody, kind] of [['sessions', 'session'], ['transfers', 'transfer']] as const) {
  $(tbody)?.addEventListener('click', (ev) => {
    const tr = (ev.target as Element).closest<HTMLTableRowElement>('tr[data-id]');
    if (!tr) return;
    ev.preventDefault();
    select(kind, Number(tr.dataset.id));
  });
}
const form = $('event-filter') as HTMLFormElement | null;
form?.addEventListener('submit', (ev) => { ev.preventDefault(); filterEvents(); });
form?.addEventListener('input', filterEvents);
form?.addEventListener('change', filterEvents);

const source = new EventSource(`events?token=${encodeURIComponent(token)}`);
source.addEventListener('full', (ev) => { onPush(JSON.parse((ev as MessageEvent<string>).data) as Push, true); setStatus('live', 'live'); });
source.addEventListener('message', (ev) => onPush(JSON.parse(ev.data as string) as Push, false));
source.addEventListener('open', () => setStatus('live', 'live'));
source.addEventListener('error', () => setStatus(source.readyState === EventSource.CLOSED
  ? 'disconnected: the server stopped, or restarted with a new token (open the address it logs)' : 'reconnecting...', 'down'));
setStatus('connecting...', '');
