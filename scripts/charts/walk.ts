// Walks an XState v5 machine's state-node tree (`machine.root`) into a plain, ordered description: states (nested,
// initial, final) and transitions (`on`, `after` with their named delays, `always`), with guards rendered readably
// (`!a`, `a && b`, `a || b`). Everything follows definition order, so the same machine always gives the same output.
// The transition keys (`source:event#i`) are also what the model tests count coverage with (spec/model/coverage.ts).
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** The state node's id, e.g. `sender.sending.windowOpen`. */
  id: string;
  key: string;
  kind: StateKind;
  /** Id of the initial child (compound states). */
  initial?: string;
  entry: string[];
  exit: string[];
  children: ChartState[];
}

export interface ChartTransition {
  /** Stable key: `${source}:${event}#${index}`; `always` transitions use the event `always`. */
  key: string;
  source: string;
  /** Target state ids; empty for a targetless transition (actions only, the state is kept). */
  targets: string[];
  kind: 'on' | 'after' | 'always';
  /** The event type (`on`), the delay (`after`: a name or `2000ms`), or `always`. */
  event: string;
  guard?: string;
  actions: string[];
  reenter: boolean;
}

export interface Chart { id: string; root: ChartState; states: ChartState[]; transitions: ChartTransition[] }

type GuardLike = string | { type?: string } | ((...a: unknown[]) => unknown) & { check?: { name: string }; guards?: unknown };

/** A guard as text: names as given; `not`, `and`, `or` combinators spelled out as `!`, `&&`, `||`. */
export function guardText(g: unknown): string {
  const guard = g as GuardLike;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combinator = guard.check?.name;
    const parts = Array.isArray(guard.guards) ? (guard.guards as unknown[]) : guard.guards !== undefined ? [guard.guards] : [];
    const inner = parts.map((p) => {
      const t = guardText(p);
      return /[ &|]/.test(t) ? `(${t})` : t;
    });
    if (combinator === 'checkNot') return inner.length === 1 ? `!${inner[0]}` : `!(${inner.join(' || ')})`;
    if (combinator === 'checkAnd') return inner.join(' && ');
    if (combinator === 'checkOr') return inner.join(' || ');
    return guard.name && guard.name !== 'guard' ? guard.name : 'inline guard';
  }
  if (guard && typeof guard === 'object' && typeof guard.type === 'string') return guard.type;
  return 'guard';
}

/** An action as text: its name, or for built-ins what they do (`assign(reason)`, `raise(answer)`). */
export function actionText(a: unknown): string {
  if (typeof a === 'string') return a;
  const f = a as { type?: string; name?: string; assignment?: unknown; event?: unknown };
  if (f && typeof f === 'object' && typeof f.type === 'string') return f.type;
  if (typeof a === 'function') {
    if (f.type === 'xstate.assign') {
      const keys = f.assignment && typeof f.assignment === 'object' ? Object.keys(f.assignment) : [];
      return `assign(${keys.join(', ')})`;
    }
    if (f.type === 'xstate.raise') {
      const ev = f.event as { type?: string } | undefined;
      return `raise(${ev && typeof ev === 'object' ? ev.type ?? '' : ''})`;
    }
    if (typeof f.type === 'string') return f.type.replace(/^xstate\./, '');
    return f.name && f.name.length > 0 ? f.name : 'inline action';
  }
  return 'action';
}

/** Action names, without the raise/cancel pairs XState adds for `after` timers (the chart draws those as arrows). */
function visible(actions: readonly unknown[]): string[] {
  return actions.map(actionText).filter((a) => !a.startsWith('raise(xstate.after.') && a !== 'cancel' && a !== 'xstate.cancel');
}

function kindOf(node: AnyStateNode): StateKind {
  const t = node.type as StateKind;
  return t;
}

function walkState(node: AnyStateNode, states: ChartState[], transitions: ChartTransition[]): ChartState {
  const children = Object.values(node.states) as AnyStateNode[];
  const s: ChartState = {
    id: node.id, key: node.key, kind: kindOf(node), entry: visible(node.entry), exit: visible(node.exit), children: [],
  };
  if (node.type === 'compound') s.initial = node.initial.target[0]?.id;
  states.push(s);
  const delays = new Map<string, string>();
  for (const a of node.after) delays.set(a.eventType, typeof a.delay === 'number' ? `${a.delay}ms` : String(a.delay));
  for (const [eventType, defs] of node.transitions as Map<string, AnyTransitionDefinition[]>) {
    const after = delays.get(eventType);
    defs.forEach((t, i) => transitions.push(describe(t, node.id, after ? 'after' : 'on', after ?? eventType, `${node.id}:${eventType}#${i}`)));
  }
  (node.always ?? []).forEach((t: AnyTransitionDefinition, i: number) =>
    transitions.push(describe(t, node.id, 'always', 'always', `${node.id}:always#${i}`)));
  for (const child of children) s.children.push(walkState(child, states, transitions));
  return s;
}

function describe(t: AnyTransitionDefinition, source: string, kind: ChartTransition['kind'], event: string, key: string): ChartTransition {
  const tr: ChartTransition = {
    key, source, kind, event,
    targets: (t.target ?? []).map((x: AnyStateNode) => x.id),
    actions: t.actions.map(actionText),
    reenter: t.reenter,
  };
  if (t.guard !== undefined) tr.guard = guardText(t.guard);
  return tr;
}

/** The whole machine: states in document order (root first) and every transition with its key. */
export function walkMachine(machine: AnyStateMachine): Chart {
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];
  const root = walkState(machine.root, states, transitions);
  return { id: machine.id, root, states, transitions };
}

/** The key a coverage counter uses for a transition definition taken at run time. */
export function transitionKeyOf(t: AnyTransitionDefinition): string {
  const node = t.source;
  if (t.eventType === '' || (node.always ?? []).includes(t)) return `${node.id}:always#${(node.always ?? []).indexOf(t)}`;
  const defs = (node.transitions as Map<string, AnyTransitionDefinition[]>).get(t.eventType) ?? [];
  return `${node.id}:${t.eventType}#${defs.indexOf(t)}`;
}
