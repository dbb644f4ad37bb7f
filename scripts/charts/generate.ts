// What `npm run charts` writes for each machine, computed in memory (the chart test compares it with the files).
import { MACHINES, type ChartedMachine } from './machines.js';
import { toDot, toMermaid } from './render.js';
import { walkMachine } from './walk.js';

export const CHARTS_DIR = 'docs/charts';

export interface ChartTexts { name: string; mmd: string; dot: string }

export function chartTexts(m: ChartedMachine): ChartTexts {
  const chart = walkMachine(m.machine);
  const title = `${m.name} (${m.file})`;
  return { name: m.name, mmd: toMermaid(chart, title), dot: toDot(chart, title) };
}

export function allChartTexts(): ChartTexts[] {
  return MACHINES.map(chartTexts);
}

export function readme(): string {
  const rows = MACHINES.map((m) => {
    const c = walkMachine(m.machine);
    const states = c.states.length - 1;
    return `| [${m.name}](${m.name}.svg) | \`${m.file}\` | ${m.summary} | ${states} | ${c.transitions.length} | [mmd](${m.name}.mmd), [dot](${m.name}.dot) |`;
  });
  return [
    '# State charts',
    '',
    'Generated from the machine definitions by `npm run charts` (scripts/charts.ts walks each machine\'s `machine.root`).',
    'Do not edit by hand: `spec/charts.spec.ts` fails ("run npm run charts") when a committed chart no longer matches',
    'its machine. The list of machines is `scripts/charts/machines.ts`.',
    '',
    '| chart | machine | what it is | states | transitions | sources |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'States count every state node but the root; transitions count every `on`, `after` and `always` branch,',
    'targetless ones included (the same numbers the model tests report coverage against, docs/MODEL-TESTS.md).',
    '',
    '## Legend',
    '',
    '- **Box**: a state. A box with a dashed border around other states (a cluster in the SVG, a composite state in',
    '  Mermaid) is a compound state; its small dot (`[*]` in Mermaid) points at its initial child.',
    '- **Double border** (SVG) / **`--> [*]`** (Mermaid): a final state: the actor stops there.',
    '- **Arrow** `event [guard]`: a transition taken on `event` when `guard` holds. Guards are the names from',
    '  `setup({ guards })`; combinators are spelled out: `!g` is `not(g)`, `a && b` is `and([a, b])`, `a || b` is',
    '  `or([a, b])`. Branches of one event are tried in the order they are listed. In the SVG the arrow also lists',
    '  its actions after `/`.',
    '- **Dashed arrow** `after NAME`: a delayed transition; `NAME` is the delay from `setup({ delays })`, or a',
    '  number of milliseconds such as `after 2000ms`.',
    '- **Dotted arrow** `always`: an eventless transition, taken as soon as its guard holds.',
    '- **Lines inside a box** `event [guard] / actions`: a transition without a target: the actions run and the',
    '  state stays. `(ignored)` marks an event the state accepts and drops (so that an enclosing handler does',
    '  not take it). `entry / ...` lists entry actions.',
    '- **"any state"**: transitions declared on the machine itself; they apply in every state that does not',
    '  handle the event on its own.',
    '',
  ].join('\n');
}
