// The page's own script, page/app.ts. `npm run build` compiles it (tsc -p runtime/dashboard/page) beside the
// compiled server, where a server run from dist/ reads it; a server run from the TypeScript sources (tests,
// development, which run under tsx) transpiles it once at start with esbuild, the transpiler tsx itself runs on.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function loadPageScript(): Promise<string> {
  const compiled = path.join(here, 'page', 'app.js');
  if (fs.existsSync(compiled)) return fs.readFileSync(compiled, 'utf8');
  const source = path.join(here, 'page', 'app.ts');
  const { transform } = await import('esbuild');
  const out = await transform(fs.readFileSync(source, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: 'app.ts' });
  return out.code;
}

/** uPlot's browser build and stylesheet, from the installed package. */
export function loadUplot(): { js: string; css: string } {
  const dist = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  return { js: fs.readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8'), css: fs.readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8') };
}
