// The one time model of the system. Machines never read a clock: they get `now` on events, or their delayed
// transitions are scheduled by the clock the runtime gives each actor (XState v5's `clock` option). The runtime
// reads and schedules time only through a Clock, so a test can run the whole server and client (real sockets) on
// a clock it moves by hand.
//
// `now()` is milliseconds on the epoch scale (message timestamps use it as is) but never goes backwards: the system
// clock is `performance.timeOrigin + performance.now()`, not `Date.now()`.

/** Opaque: whatever the clock's setTimeout returned. */
export type TimerHandle = unknown;

/** What XState's `clock` option needs, plus the time. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
