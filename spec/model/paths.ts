// Paths through a machine from xstate/graph, and a small covering subset of them.
// - `getShortestPaths` gives one shortest path to every distinct (serialized) state of the model graph;
// - extending each by every edge out of its end state gives one path per edge of the graph (transitions that
//   keep the state included), the "edge paths";
// - running those against the pure machine and keeping, shortest first, each path that takes a machine transition
//   no kept path took gives the covering subset that is also run end to end (real sockets are slower).
import { createActor, type AnyStateMachine, type EventObject, type InspectionEvent, type AnyTransitionDefinition, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph';
import { transitionKeyOf } from '../../scripts/charts/walk.js';

export type Snap = SnapshotFrom<AnyStateMachine>;
export interface ModelStep { event: EventObject; state: Snap }
export interface ModelPath { name: string; steps: ModelStep[]; end: Snap }

export interface PathOptions {
  machine: AnyStateMachine;
  /** A fresh input (ports record, so each run gets its own). */
  input: () => unknown;
  events: (s: Snap) => EventObject[];
  serializeState: (s: Snap) => string;
  /** Stop exploring from states this says are done (final states always are). */
  stopWhen?: (s: Snap) => boolean;
  limit?: number;
}

export function describeEvent(e: EventObject): string {
  const f = e as EventObject & { frame?: { type: string; code?: string }; label?: string };
  if (f.label) return f.label;
  if (e.type.startsWith('xstate.after.')) return `after ${e.type.split('.')[2]}`;
  if (f.frame) return `${e.type}:${f.frame.type}${f.frame.code ? `(${f.frame.code})` : ''}`;
  return e.type;
}

export function stateText(s: Snap): string {
  const v = s.value;
  if (typeof v === 'string') return v;
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}.${typeof x === 'string' ? x : JSON.stringify(x)}`).join(',');
}

function pathName(steps: ModelStep[]): string {
  return steps.map((s) => `${describeEvent(s.event)} -> ${stateText(s.state)}`).join(', ') || 'initial';
}

/** Every edge of the model graph as a path from the initial state (shortest path to its source, then the edge). */
export function edgePaths(o: PathOptions): ModelPath[] {
  const fromState = createActor(o.machine, { input: o.input() }).getSnapshot();
  const stopWhen = (s: Snap) => s.status !== 'active' || (o.stopWhen?.(s) ?? false);
  // delayed transitions: their `xstate.after.*` events, sent like any other (the pure actor takes them at once)
  const afterEvents = (s: Snap): EventObject[] =>
    ((s as unknown as { _nodes: Array<{ after: Array<{ eventType: string }> }> })._nodes ?? []).flatMap((n) => n.after.map((a) => ({ type: a.eventType })));
  const traversal = { fromState, events: (s: Snap) => [...o.events(s), ...afterEvents(s)], serializeState: o.serializeState, stopWhen, limit: o.limit ?? 20000 };
  const shortest = getShortestPaths(o.machine, traversal) as Array<StatePath<Snap, EventObject>>;
  const to = new Map<string, ModelStep[]>();
  for (const p of shortest) to.set(o.serializeState(p.state), p.steps.filter((s) => s.event.type !== 'xstate.init'));
  const adj = getAdjacencyMap(o.machine, traversal);
  const out: ModelPath[] = [];
  for (const [key, v] of Object.entries(adj)) {
    const prefix = to.get(key);
    if (!prefix) continue;
    for (const t of Object.values(v.transitions) as Array<{ event: EventObject; state: unknown }>) {
      const steps = [...prefix, { event: t.event, state: t.state as Snap }];
      out.push({ name: pathName(steps), steps, end: t.state as Snap });
    }
  }
  out.sort((a, b) => a.steps.length - b.steps.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** The machine transitions (keys) a path takes, run against the pure machine with the given input. */
export function transitionsOf(machine: AnyStateMachine, input: () => unknown, path: ModelPath): Set<string> {
  const keys = new Set<string>();
  const actor = createActor(machine, {
    input: input(),
    inspect: (ev: InspectionEvent) => {
      if (ev.type === '@xstate.microstep') for (const t of ev._transitions as AnyTransitionDefinition[]) keys.add(transitionKeyOf(t));
    },
  });
  actor.start();
  for (const s of path.steps) actor.send(s.event);
  actor.stop();
  return keys;
}

/** Shortest first, the paths that each take a machine transition no earlier kept path took. */
export function coveringPaths(paths: ModelPath[], keysOf: (p: ModelPath) => Set<string>): ModelPath[] {
  const taken = new Set<string>();
  const kept: ModelPath[] = [];
  for (const p of paths) {
    const keys = keysOf(p);
    if ([...keys].some((k) => !taken.has(k))) {
      kept.push(p);
      for (const k of keys) taken.add(k);
    }
  }
  return kept;
}
