// One congestion state per path: the controller, the RTT estimate and the pacer that all of one client's downloads
// share, so that a person's parallel downloads never fight each other at their own bottleneck, and together take one
// flow's share of a link other people use, not one share per download. Each download keeps its own packet numbers,
// loss detection and byte bookkeeping (its SenderCore); what it sends counts against the one window.
//
// The window is handed out among the members max-min fairly: a member may fill the window's room, except that while
// another member is waiting for window (its last poll stopped there) it may hold no more than an equal share. A
// member that needs less (credit- or data-limited) leaves the rest to the others.
//
// Only window-based controllers are shared: BBR's model is built from the delivery rate each sender measures, and a
// member sees only its own part of the path's rate; a `bbr` path is therefore one per download.
import type { CongestionControlName } from './api.js';
import type { CongestionController } from './congestion/controller.js';
import { createController } from './congestion/factory.js';
import { Pacer } from './pacer.js';
import { RttEstimator } from './rtt.js';

export interface PathMember {
  /** Bytes this member has in flight. */
  readonly bytesInFlight: number;
  /** Its last poll stopped because the window was used up. */
  readonly wantsWindow: boolean;
}

/** Whether downloads with this controller share one path state (window-based ones do). */
export function sharable(cc: CongestionControlName): boolean { return cc !== 'bbr'; }

export class SharedPath {
  readonly cc: CongestionController;
  readonly rtt = new RttEstimator();
  readonly pacer: Pacer;
  private readonly members = new Set<PathMember>();

  constructor(cc: CongestionControlName | CongestionController, private readonly maxDatagram: number, now: number) {
    this.cc = typeof cc === 'string' ? createController(cc, { maxDatagram, now }) : cc;
    this.pacer = new Pacer(maxDatagram, now);
  }

  get size(): number { return this.members.size; }
  join(m: PathMember): void { this.members.add(m); }
  leave(m: PathMember): void { this.members.delete(m); }

  /** Bytes in flight over every member. */
  get bytesInFlight(): number {
    let n = 0;
    for (const m of this.members) n += m.bytesInFlight;
    return n;
  }

  /** The most `m` may have in flight now (its own bytes included). */
  allowance(m: PathMember): number {
    const cwnd = this.cc.window();
    if (this.members.size <= 1) return cwnd;
    let others = 0;
    let waiting = 0;
    for (const o of this.members) {
      if (o === m) continue;
      others += o.bytesInFlight;
      if (o.wantsWindow) waiting++;
    }
    let room = cwnd - others;
    if (waiting > 0) room = Math.min(room, Math.max(cwnd / (waiting + 1), 2 * this.maxDatagram));
    return room;
  }
}
