// `npm run charts`: writes docs/charts/NAME.mmd (Mermaid), NAME.dot and NAME.svg (Graphviz, rendered offline with
// @hpcc-js/wasm-graphviz) for every machine in scripts/charts/machines.ts, and docs/charts/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { allChartTexts, CHARTS_DIR, readme } from './charts/generate.js';

const gv = await Graphviz.load();
fs.mkdirSync(CHARTS_DIR, { recursive: true });
const write = (name: string, text: string) => {
  const p = path.join(CHARTS_DIR, name);
  const old = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
  if (old !== text) fs.writeFileSync(p, text);
  console.log(`${old === text ? 'unchanged' : 'wrote    '} ${p}`);
};
for (const c of allChartTexts()) {
  write(`${c.name}.mmd`, c.mmd);
  write(`${c.name}.dot`, c.dot);
  write(`${c.name}.svg`, gv.dot(c.dot));
}
write('README.md', readme());
