// A walked machine (./walk.ts) as Mermaid stateDiagram-v2 and as Graphviz DOT. Pure string building in definition
// order: the same machine gives the same bytes. Conventions (docs/charts/README.md has the legend):
// - a transition with targets is an arrow labelled `event [guard]` (`after NAME` for delays, `always` for eventless);
// - a targetless transition (actions only, the state is kept) is listed inside its state as `event [guard] / actions`;
// - transitions declared on the machine's root apply in every state that does not handle the event itself: they
//   start from the pseudo-state "any state".
import type { Chart, ChartState, ChartTransition } from './walk.js';

const ANY = '__any';

function label(t: ChartTransition): string {
  const ev = t.kind === 'after' ? `after ${t.event}` : t.event;
  if (t.guard) return `${ev} [${t.guard}]`;
  // an unguarded branch after guarded ones of the same event: taken when none of those held
  return /#[1-9]\d*$/.test(t.key) ? `${ev} [else]` : ev;
}

function internalLine(t: ChartTransition): string {
  const base = label(t);
  return t.actions.length ? `${base} / ${t.actions.join(', ')}` : `${base} (ignored)`;
}

function byId(chart: Chart): Map<string, ChartState> {
  return new Map(chart.states.map((s) => [s.id, s]));
}

function internals(chart: Chart, id: string): ChartTransition[] {
  return chart.transitions.filter((t) => t.source === id && t.targets.length === 0);
}

// ------------------------------------------------------------------------------------------------ Mermaid

function mmdId(chart: Chart, id: string): string {
  if (id === chart.root.id) return ANY;
  return id.slice(chart.root.id.length + 1).replace(/[^A-Za-z0-9_]/g, '_');
}

function mmdText(s: string): string {
  // Mermaid ends a label at `;` and treats `:` after the first one as text; keep labels to safe characters
  return s.replace(/;/g, ',').replace(/#/g, 'no.').replace(/"/g, "'");
}

export function toMermaid(chart: Chart, title: string): string {
  const states = byId(chart);
  const out: string[] = ['---', `title: ${title}`, '---', 'stateDiagram-v2'];
  const emit = (s: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    const id = mmdId(chart, s.id);
    if (s.children.length) {
      out.push(`${pad}state "${s.key}" as ${id} {`);
      if (s.initial) out.push(`${pad}  [*] --> ${mmdId(chart, s.initial)}`);
      for (const c of s.children) emit(c, depth + 1);
      out.push(`${pad}}`);
      const lines = internals(chart, s.id).map(internalLine);
      if (lines.length) {
        out.push(`${pad}note right of ${id}`);
        for (const l of lines) out.push(`${pad}  ${mmdText(l)}`);
        out.push(`${pad}end note`);
      }
    } else {
      out.push(`${pad}state "${s.key}" as ${id}`);
      if (s.entry.length) out.push(`${pad}${id} : entry / ${mmdText(s.entry.join(', '))}`);
      for (const t of internals(chart, s.id)) out.push(`${pad}${id} : ${mmdText(internalLine(t))}`);
      if (s.kind === 'final') out.push(`${pad}${id} --> [*]`);
    }
  };
  if (chart.transitions.some((t) => t.source === chart.root.id && t.targets.length)) out.push(`  state "any state" as ${ANY}`);
  if (chart.root.initial) out.push(`  [*] --> ${mmdId(chart, chart.root.initial)}`);
  for (const c of chart.root.children) emit(c, 1);
  const rootInternals = internals(chart, chart.root.id);
  if (rootInternals.length) {
    out.push(`  note "any state: ${rootInternals.map((t) => mmdText(internalLine(t))).join(' | ')}" as N_any`);
  }
  for (const t of chart.transitions) {
    for (const target of t.targets) {
      if (!states.has(target)) continue;
      out.push(`  ${mmdId(chart, t.source)} --> ${mmdId(chart, target)} : ${mmdText(label(t))}`);
    }
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------------------ DOT

function dotId(id: string): string { return `"${id.replace(/"/g, '\\"')}"`; }
function dotStr(s: string): string { return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`; }
/** Left-justified lines for a label (`\l` ends each line); `\` and `"` escaped. */
function dotLines(lines: string[]): string { return `"${lines.map((l) => `${l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}\\l`).join('')}"`; }
function recordEsc(s: string): string { return s.replace(/([{}|<>"\\])/g, '\\$1'); }

export function toDot(chart: Chart, title: string): string {
  const states = byId(chart);
  const out: string[] = [
    `digraph ${dotStr(chart.id)} {`,
    `  label=${dotStr(title)}; labelloc=t; fontname="Helvetica"; fontsize=16;`,
    '  compound=true; newrank=true; nodesep=0.4; ranksep=0.5;',
    '  node [fontname="Helvetica", fontsize=11, shape=Mrecord, style=filled, fillcolor="#f5f7fb", color="#4a5a7a"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#4a5a7a"];',
  ];
  const anchor = (s: ChartState) => `${s.id}.__start`;
  const emit = (s: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    if (s.children.length) {
      const lines = internals(chart, s.id).map(internalLine);
      out.push(`${pad}subgraph ${dotStr(`cluster_${s.id}`)} {`);
      out.push(`${pad}  label=${dotLines([s.key, ...lines])}; labeljust=l; style="rounded"; color="#4a5a7a";`);
      out.push(`${pad}  ${dotId(anchor(s))} [shape=point, width=0.12, label=""];`);
      for (const c of s.children) emit(c, depth + 1);
      if (s.initial) out.push(`${pad}  ${dotId(anchor(s))} -> ${dotId(s.initial)};`);
      out.push(`${pad}}`);
      return;
    }
    const body = [...s.entry.length ? [`entry / ${s.entry.join(', ')}`] : [], ...internals(chart, s.id).map(internalLine)];
    const text = body.length ? `{${recordEsc(s.key)}|${body.map((l) => `${recordEsc(l)}\\l`).join('')}}` : recordEsc(s.key);
    const attrs = [`label=${dotStr(text)}`];
    if (s.kind === 'final') attrs.push('peripheries=2', 'fillcolor="#e8f2e8"');
    out.push(`${pad}${dotId(s.id)} [${attrs.join(', ')}];`);
  };
  out.push(`  ${dotId(anchor(chart.root))} [shape=point, width=0.15, label=""];`);
  const rootInternals = internals(chart, chart.root.id).map(internalLine);
  if (chart.transitions.some((t) => t.source === chart.root.id && t.targets.length) || rootInternals.length) {
    const text = rootInternals.length ? `{any state|${rootInternals.map((l) => `${recordEsc(l)}\\l`).join('')}}` : 'any state';
    out.push(`  ${dotId(ANY)} [label=${dotStr(text)}, style="dashed", fillcolor="white"];`);
  }
  for (const c of chart.root.children) emit(c, 1);
  if (chart.root.initial) out.push(`  ${dotId(anchor(chart.root))} -> ${dotId(chart.root.initial)};`);
  for (const t of chart.transitions) {
    for (const target of t.targets) {
      const to = states.get(target);
      const from = states.get(t.source);
      if (!to || !from) continue;
      const attrs: string[] = [];
      const text = t.actions.length ? `${label(t)}\n/ ${t.actions.join(', ')}` : label(t);
      attrs.push(`label=${dotStr(text)}`);
      if (t.kind === 'after') attrs.push('style=dashed');
      if (t.kind === 'always') attrs.push('style=dotted');
      let src = dotId(t.source);
      let dst = dotId(target);
      if (from === chart.root) src = dotId(ANY);
      else if (from.children.length) { src = dotId(anchor(from)); attrs.push(`ltail=${dotStr(`cluster_${from.id}`)}`); }
      if (to.children.length && to !== chart.root && !isAncestor(to, from)) { dst = dotId(anchor(to)); attrs.push(`lhead=${dotStr(`cluster_${to.id}`)}`); }
      else if (to.children.length) dst = dotId(anchor(to));
      out.push(`  ${src} -> ${dst} [${attrs.join(', ')}];`);
    }
  }
  out.push('}');
  return out.join('\n') + '\n';
}

function isAncestor(a: ChartState, b: ChartState): boolean {
  return b.id.startsWith(`${a.id}.`);
}
