// Finds import cycles among the project's TypeScript files: every relative import (type-only ones too, as madge
// counts them) is an edge, and a cycle is a strongly connected component of more than one file or a file that
// imports itself. Uses the TypeScript compiler's own import scanner, so no extra dependency.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Every .ts file under the given directories (node_modules skipped). */
export function tsFilesUnder(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'node_modules') walk(p); } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of dirs) { const p = path.join(root, d); if (fs.existsSync(p)) walk(p); }
  return out.sort();
}

/** The relative imports of one file, resolved to .ts files that exist (`./x.js` is the source `./x.ts`). */
export function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), fileName);
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
    const hit = candidates.find((c) => c.endsWith('.ts') && fs.existsSync(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** The import cycles among `files`: each is a list of files (a strongly connected component, Tarjan's algorithm). */
export function findCycles(files: readonly string[]): string[][] {
  const inSet = new Set(files);
  const edges = new Map(files.map((f) => [f, relativeImports(f).filter((t) => inSet.has(t))]));
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}
