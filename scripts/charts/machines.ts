// The machines that get a chart (docs/charts/NAME.*) and model-test coverage: the one list, in one place.
import type { AnyStateMachine } from 'xstate';
import { clientMachine } from '../../machines/client.machine.js';
import { receiverMachine } from '../../machines/receiver.machine.js';
import { senderMachine } from '../../machines/sender.machine.js';
import { sessionMachine } from '../../machines/session.machine.js';

export interface ChartedMachine { name: string; file: string; machine: AnyStateMachine; summary: string }

export const MACHINES: readonly ChartedMachine[] = [
  { name: 'session', file: 'machines/session.machine.ts', machine: sessionMachine as AnyStateMachine, summary: 'one per client connection on the server: handshake, chatting, closing, closed' },
  { name: 'client', file: 'machines/client.machine.ts', machine: clientMachine as AnyStateMachine, summary: "the client's connection: connecting, handshaking, refused, online, waiting to reconnect, closing, closed" },
  { name: 'sender', file: 'machines/sender.machine.ts', machine: senderMachine as AnyStateMachine, summary: 'one per download on the server: offered, sending (window open / full / recovering), paused for consent, finishing and its endings' },
  { name: 'receiver', file: 'machines/receiver.machine.ts', machine: receiverMachine as AnyStateMachine, summary: 'one per download on the client: connecting, receiving, awaiting consent, resuming, stopping, verifying and its endings' },
];
