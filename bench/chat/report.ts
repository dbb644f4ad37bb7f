// The side-by-side table, the CPU-profile summary, and the "## Chat" section of docs/BENCHMARKS.md.
import fs from 'node:fs';
import path from 'node:path';

export interface Row { label: string; ours: number; ngircd?: number; unit: string; better: 'higher' | 'lower'; target?: string; digits?: number }

function fmt(x: number | undefined, digits = 2): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 10000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toFixed(digits);
}

export function ratioCell(r: Row): string {
  if (r.ngircd === undefined || !Number.isFinite(r.ngircd) || !r.ngircd || !Number.isFinite(r.ours)) return 'n/a';
  const q = r.ours / r.ngircd;
  const win = r.better === 'higher' ? q >= 1 : q <= 1;
  return `${q.toFixed(2)}x ${win ? '(we win)' : '(we lose)'}`;
}

export function table(rows: Row[]): string {
  const head = '| measure | messenger | ngIRCd | messenger / ngIRCd | target |\n|---|---:|---:|---|---|';
  const body = rows.map((r) => `| ${r.label} (${r.unit}) | ${fmt(r.ours, r.digits)} | ${fmt(r.ngircd, r.digits)} | ${ratioCell(r)} | ${r.target ?? ''} |`);
  return [head, ...body].join('\n');
}

/** Plain-text version of the table for the terminal. */
export function textTable(rows: Row[]): string {
  const cells = [['measure', 'messenger', 'ngIRCd', 'ratio', 'target'],
    ...rows.map((r) => [`${r.label} (${r.unit})`, fmt(r.ours, r.digits), fmt(r.ngircd, r.digits), ratioCell(r), r.target ?? ''])];
  const w = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((x, i) => (i === 0 || i === 4 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')).join('\n');
}

// ---- CPU profile (.cpuprofile from node --cpu-prof): self time per function and per area
interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface ProfileSummary { totalMs: number; top: { name: string; where: string; ms: number; pct: number }[]; areas: { area: string; ms: number; pct: number }[] }

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)' || name === '(program)') return name === '(idle)' ? 'idle' : 'native / V8 (program)';
  if (url.includes('/node_modules/xstate/')) return 'xstate';
  if (url.includes('/node_modules/pino')) return 'pino (logging)';
  if (url.includes('/node_modules/@nats-io/')) return 'NATS client (@nats-io)';
  if (url.includes('/dist/runtime/')) return `runtime/${path.basename(url, '.js')}.ts`;
  if (url.includes('/dist/machines/')) return `machines/${path.basename(url, '.js')}.ts`;
  if (url.startsWith('node:') || url === '') return name.startsWith('(') ? name : 'node core (net, streams, buffers)';
  return path.basename(url);
}

export function summarizeProfile(file: string, topN = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i]! / 1000));
  } else {
    const per = (p.endTime - p.startTime) / 1000 / Math.max(1, p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0));
    for (const n of p.nodes) self.set(n.id, (n.hitCount ?? 0) * per);
  }
  const fn = new Map<string, { name: string; where: string; ms: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += ms;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const e = fn.get(key) ?? { name, where, ms: 0 };
    e.ms += ms; fn.set(key, e);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
  }
  const top = [...fn.values()].sort((a, b) => b.ms - a.ms).slice(0, topN).map((e) => ({ ...e, pct: (100 * e.ms) / total }));
  const ar = [...areas.entries()].map(([a, ms]) => ({ area: a, ms, pct: (100 * ms) / total })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total, top, areas: ar };
}

export function profileMarkdown(s: ProfileSummary): string {
  const areas = ['| area | self time | share |', '|---|---:|---:|', ...s.areas.slice(0, 12).map((a) => `| ${a.area} | ${a.ms.toFixed(0)} ms | ${a.pct.toFixed(1)}% |`)];
  const top = ['| function | where | self time | share |', '|---|---|---:|---:|', ...s.top.map((t) => `| \`${t.name}\` | ${t.where} | ${t.ms.toFixed(0)} ms | ${t.pct.toFixed(1)}% |`)];
  return [`Busy (non-idle) time sampled: ${s.totalMs.toFixed(0)} ms.`, '', 'By area (self time):', '', ...areas, '', 'Top functions (self time):', '', ...top].join('\n');
}

/** Replaces (or adds) the "## Chat" section, keeping any other section and any "### Analysis" written by hand in ours. */
export function writeChatSection(docFile: string, section: string): void { writeSection(docFile, 'Chat', section); }

/** Replaces (or adds) the section "## <heading>", keeping any other section and any "### Analysis" written by hand in it. */
export function writeSection(docFile: string, heading: string, section: string): void {
  let doc = fs.existsSync(docFile) ? fs.readFileSync(docFile, 'utf8') : '# Benchmarks\n';
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === `## ${heading}`);
  let analysis = '';
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    const old = lines.slice(start, end);
    const a = old.findIndex((l) => /^### Analysis\s*$/.test(l));
    if (a >= 0) {
      let b = old.findIndex((l, i) => i > a && /^###? /.test(l));
      if (b < 0) b = old.length;
      analysis = old.slice(a, b).join('\n').trimEnd();
    }
    const body = (section.trimEnd() + (analysis ? `\n\n${analysis}` : '')).split('\n');
    lines.splice(start, end - start, ...body, '');
    doc = lines.join('\n');
  } else {
    doc = doc.trimEnd() + '\n\n' + section.trimEnd() + '\n';
  }
  fs.mkdirSync(path.dirname(docFile), { recursive: true });
  fs.writeFileSync(docFile, doc.replace(/\n{3,}/g, '\n\n'));
}
