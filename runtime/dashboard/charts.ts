// The four state charts on the dashboard: the SVGs `npm run charts` generates from the machines into docs/charts
// (spec/charts.spec.ts keeps them equal to the machines), read once at start and prepared for inlining into the
// page: each state's group gets `data-state="<state node id>"`, which the page lights up for the chosen actor.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChartSvg {
  name: string;
  /** Whose actors the server runs (and can light up): session and sender; the client and receiver run in clients. */
  live: boolean;
  /** The SVG element, ready to inline into HTML; null when the file could not be read. */
  svg: string | null;
  /** The state ids the chart has a box or cluster for. */
  states: string[];
}

export const CHART_NAMES = [
  { name: 'session', live: true },
  { name: 'sender', live: true },
  { name: 'client', live: false },
  { name: 'receiver', live: false },
] as const;

/** docs/charts of this package (found upward from this module: runtime/dashboard or dist/runtime/dashboard). */
export function chartsDir(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const d = path.join(dir, 'docs', 'charts');
    if (fs.existsSync(path.join(d, 'session.svg'))) return d;
    dir = path.dirname(dir);
  }
  return null;
}

/** Graphviz's SVG made inlinable: no XML prolog or doctype, every node and cluster group tagged with its state id. */
export function prepareSvg(text: string): { svg: string; states: string[] } {
  const states: string[] = [];
  const start = text.indexOf('<svg');
  const body = start >= 0 ? text.slice(start) : text;
  const svg = body.replace(/<g id="([^"]+)" class="(node|cluster)">\s*<title>([^<]*)<\/title>/g, (_m, id: string, cls: string, title: string) => {
    const raw = unescapeXml(title);
    const state = cls === 'cluster' ? raw.replace(/^cluster_/, '') : raw;
    states.push(state);
    return `<g id="${id}" class="${cls}" data-state="${escapeAttr(state)}"><title>${title}</title>`;
  });
  return { svg, states };
}

export function loadCharts(dir: string | null = chartsDir()): ChartSvg[] {
  return CHART_NAMES.map(({ name, live }) => {
    try {
      if (!dir) throw new Error('no charts folder');
      const { svg, states } = prepareSvg(fs.readFileSync(path.join(dir, `${name}.svg`), 'utf8'));
      return { name, live, svg, states };
    } catch {
      return { name, live, svg: null, states: [] };
    }
  });
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
