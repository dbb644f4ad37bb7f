// The dashboard's stylesheet (served as style.css; kept here so that the page needs no file copied at build).
export const PAGE_CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #d6dbe4; --bg: #ffffff; --panel: #f7f8fb; --accent: #2f5fd0;
  --ask: #fff1c2; --lit: #ffd54a; --lit-line: #c77700; --ended: #98a2b3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: baseline; padding: 0.6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 1.2rem; margin: 0; }
#summary span { margin-right: 1rem; }
.status { margin-left: auto; color: var(--muted); }
.status.live::before { content: "\\25CF "; color: #2e9d4f; }
.status.down::before { content: "\\25CF "; color: #c0392b; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.5rem 1.5rem; padding: 0.5rem 1rem 2rem; }
section { min-width: 0; }
#transfers-section, #charts-section, #events-section { grid-column: 1 / -1; }
h2 { font-size: 1rem; margin: 0.8rem 0 0.4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 0.85rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.state { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
tbody tr[data-id] { cursor: pointer; }
tbody tr[data-id]:hover { background: var(--panel); }
tr.selected { outline: 2px solid var(--accent); outline-offset: -2px; }
tr.asking { background: var(--ask); }
tr.ended { color: var(--ended); }
tr.empty td, tr.more td { color: var(--muted); font-style: italic; }
progress { width: 7rem; vertical-align: middle; }
small { color: var(--muted); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 0.5rem 1rem; margin-top: 0.6rem; }
.plot h3 { font-size: 0.85rem; margin: 0.2rem 0; color: var(--muted); font-weight: 600; }
.charts { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem; background: var(--bg); min-width: 0; }
figure.chart:not(.live) { opacity: 0.75; }
figcaption { margin-bottom: 0.3rem; }
figcaption .follow { color: var(--muted); }
figcaption b.state { color: var(--fg); font-family: ui-monospace, Menlo, Consolas, monospace; }
.svg { overflow: auto; }
/* the session chart is very wide: charts keep a readable height and scroll sideways (the page centres the lit state) */
.svg svg { height: 26rem; width: auto; max-width: none; display: block; }
g.node.current > path, g.node.current > polygon, g.node.current > ellipse { fill: var(--lit); stroke: var(--lit-line); stroke-width: 3; }
g.cluster.current > path, g.cluster.current > polygon { stroke: var(--lit-line); stroke-width: 3; }
.hint { color: var(--muted); margin: 0 0 0.5rem; }
ol.ports { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.3rem; }
li.port { border: 1px solid var(--line); border-radius: 4px; padding: 0.15rem 0.4rem; font-variant-numeric: tabular-nums; background: #eef7ee; }
li.port .status { display: none; }
li.port.taken { background: #dbe6ff; border-color: var(--accent); }
li.port.reserved { background: #f1f1f1; }
li.port.benched { background: #fde2e1; }
#event-filter { margin-bottom: 0.4rem; display: flex; flex-wrap: wrap; gap: 0.3rem 0.8rem; align-items: center; }
#events-section table { font-size: 0.9rem; }
#events td.kind { font-family: ui-monospace, Menlo, Consolas, monospace; }
#events tr[data-kind="refusal"] td.kind { color: #b42318; }
#events tr[data-kind="join"] td.kind { color: #2e7d32; }
#events tr[hidden] { display: none; }
@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }
`;
