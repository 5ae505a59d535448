// A JSON view of the connection machine for `GET /inspect/machine`, generated from the
// machine definition itself (state nodes, transitions, delays, invocations), so the
// inspector can never drift from the code.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { connectionMachine } from './connectionMachine.js';

export interface DelayedTransitionView {
  delay: string | number;
  target: string[];
  guard?: string;
}

export interface StateView {
  type?: 'final' | 'compound' | 'parallel' | 'history';
  entry: string[];
  /** Event → the target of each candidate transition, in order; `[]` entries stay in place. */
  on: Record<string, string[]>;
  after: DelayedTransitionView[];
  invoke: Array<{ id: string; src: string }>;
  always?: string[];
}

export interface MachineDescription {
  id: string;
  initial: string;
  /** Transitions declared on the machine root: they apply in every state. */
  on: Record<string, string[]>;
  states: Record<string, StateView>;
}

const AFTER_PREFIX = 'xstate.after.';

function nameOf(item: unknown): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'function' || (typeof item === 'object' && item !== null)) {
    const type = (item as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return 'anonymous';
}

function targetsOf(transition: { target?: readonly AnyStateNode[] | undefined }): string[] {
  return (transition.target ?? []).map((node) => node.key);
}

function describeOn(node: AnyStateNode): Record<string, string[]> {
  const on: Record<string, string[]> = {};
  for (const [event, transitions] of Object.entries(node.on)) {
    if (event.startsWith(AFTER_PREFIX)) continue;
    on[event] = transitions.flatMap((t) => {
      const targets = targetsOf(t);
      return targets.length === 0 ? ['.'] : targets;
    });
  }
  return on;
}

function describeState(node: AnyStateNode): StateView {
  const view: StateView = {
    entry: node.entry.map(nameOf).filter((name) => name !== 'xstate.raise'),
    on: describeOn(node),
    after: node.after.map((t) => {
      const delay = typeof t.delay === 'function' ? 'expression' : t.delay;
      const guard = t.guard === undefined ? undefined : nameOf(t.guard);
      return guard === undefined ? { delay, target: targetsOf(t) } : { delay, target: targetsOf(t), guard };
    }),
    invoke: node.invoke.map((inv) => ({ id: inv.id, src: nameOf(inv.src) })),
  };
  if (node.type !== 'atomic') view.type = node.type;
  if (node.always !== undefined && node.always.length > 0) view.always = node.always.flatMap(targetsOf);
  return view;
}

/** The machine's states and transitions as plain JSON. */
export function describeMachine(machine: AnyStateMachine = connectionMachine): MachineDescription {
  const root = machine.root;
  const states: Record<string, StateView> = {};
  for (const [name, node] of Object.entries(root.states)) states[name] = describeState(node);
  return {
    id: root.id,
    initial: root.initial.target.map((node) => node.key).join(','),
    on: describeOn(root),
    states,
  };
}
