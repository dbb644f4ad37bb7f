// State and transition coverage of the protocol machines, counted from what real actors did (XState inspection:
// every snapshot's active state nodes and every microstep's transitions), per source:
//   model   - pure machine runs of generated paths, with recording ports
//   runtime - the real runtime (server, client runtime, transfers host, downloads) over real sockets
// Totals come from walking the machine definitions (scripts/charts/walk.ts): every state node but the root, and
// every `on` / `after` / `always` branch, targetless ones included. The table is printed after the run.
import fs from 'node:fs';
import type { AnyTransitionDefinition, InspectionEvent } from 'xstate';
import { MACHINES } from '../../scripts/charts/machines.js';
import { transitionKeyOf, walkMachine, type Chart } from '../../scripts/charts/walk.js';

export type Source = 'model' | 'runtime';
export type MachineName = 'session' | 'client' | 'sender' | 'receiver';

interface Seen { states: Map<string, Set<Source>>; transitions: Map<string, Set<Source>> }

const charts = new Map<string, Chart>(MACHINES.map((m) => [m.name, walkMachine(m.machine)]));
const seen = new Map<string, Seen>(MACHINES.map((m) => [m.name, { states: new Map(), transitions: new Map() }]));

function mark(map: Map<string, Set<Source>>, key: string, source: Source): void {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  s.add(source);
}

function noteSnapshot(name: string, snap: unknown, source: Source): void {
  const nodes = (snap as { _nodes?: Array<{ id: string }> })._nodes ?? [];
  const s = seen.get(name)!;
  for (const n of nodes) if (n.id.includes('.')) mark(s.states, n.id, source);
}

/** An `inspect` callback that counts what the actor does towards `name`'s coverage. */
export function inspector(name: MachineName, source: Source): (ev: InspectionEvent) => void {
  return (ev) => {
    if (ev.type === '@xstate.snapshot') noteSnapshot(name, ev.snapshot, source);
    else if (ev.type === '@xstate.microstep') {
      noteSnapshot(name, ev.snapshot, source);
      for (const t of ev._transitions as AnyTransitionDefinition[]) mark(seen.get(name)!.transitions, transitionKeyOf(t), source);
    }
  };
}

/** Transition keys of `name` that no run has taken yet (for choosing which paths to run end to end). */
export function transitionsTaken(name: MachineName): Set<string> {
  return new Set(seen.get(name)!.transitions.keys());
}

export interface CoverageRow {
  machine: string;
  states: { total: number; model: number; runtime: number; any: number; missing: string[] };
  transitions: { total: number; model: number; runtime: number; any: number; missing: string[] };
}

export function coverage(): CoverageRow[] {
  return MACHINES.map(({ name }) => {
    const chart = charts.get(name)!;
    const s = seen.get(name)!;
    const stateIds = chart.states.filter((x) => x.id !== chart.root.id).map((x) => x.id);
    const keys = chart.transitions.map((t) => t.key);
    const count = (ids: string[], map: Map<string, Set<Source>>, src?: Source) =>
      ids.filter((id) => (src ? map.get(id)?.has(src) : map.has(id))).length;
    return {
      machine: name,
      states: {
        total: stateIds.length, model: count(stateIds, s.states, 'model'), runtime: count(stateIds, s.states, 'runtime'),
        any: count(stateIds, s.states), missing: stateIds.filter((id) => !s.states.has(id)),
      },
      transitions: {
        total: keys.length, model: count(keys, s.transitions, 'model'), runtime: count(keys, s.transitions, 'runtime'),
        any: count(keys, s.transitions), missing: keys.filter((k) => !s.transitions.has(k)),
      },
    };
  });
}

export function coverageReport(): string {
  const rows = coverage();
  const lines = [
    '', '  model coverage (states visited / total, transitions taken / total)',
    '  machine    states: model runtime all    transitions: model runtime all',
  ];
  for (const r of rows) {
    const f = (a: number, t: number) => `${a}/${t}`.padEnd(7);
    lines.push(`  ${r.machine.padEnd(10)} ${''.padEnd(7)} ${f(r.states.model, r.states.total)} ${f(r.states.runtime, r.states.total)} ${f(r.states.any, r.states.total)}`
      + `    ${''.padEnd(12)} ${f(r.transitions.model, r.transitions.total)} ${f(r.transitions.runtime, r.transitions.total)} ${f(r.transitions.any, r.transitions.total)}`);
  }
  for (const r of rows) {
    if (r.states.missing.length) lines.push(`  ${r.machine}: states never visited: ${r.states.missing.join(', ')}`);
    if (r.transitions.missing.length) lines.push(`  ${r.machine}: transitions never taken: ${r.transitions.missing.join(', ')}`);
  }
  for (const { name } of MACHINES) {
    const s = seen.get(name)!;
    const chart = charts.get(name)!;
    const notRuntime = chart.transitions.map((t) => t.key).filter((k) => s.transitions.has(k) && !s.transitions.get(k)!.has('runtime'));
    if (notRuntime.length && s.transitions.size) lines.push(`  ${name}: taken in pure runs only: ${notRuntime.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

// Root-level hook: prints the table once, after everything that imported this module ran. MODEL_COVERAGE_JSON=file
// also writes the numbers as JSON (docs/MODEL-TESTS.md quotes them).
after(function () {
  if (![...seen.values()].some((s) => s.states.size)) return;
  process.stdout.write(coverageReport());
  const out = process.env.MODEL_COVERAGE_JSON;
  if (out) fs.writeFileSync(out, JSON.stringify(coverage(), null, 2) + '\n');
});
