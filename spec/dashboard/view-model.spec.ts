// The dashboard's view model: observations in, rows, pool, nodes, lit states and plot points out.
import { expect } from 'chai';
import type { Observation, SessionObservation, TransferObservation } from '../../runtime/dashboard/observation.js';
import { KEEP_ENDED, KEEP_ENDED_MS, MAX_PORTS_LISTED, MAX_SESSION_ROWS, SERIES_POINTS, stateIds, stateLabel, ViewModel } from '../../runtime/dashboard/view-model.js';

const T0 = 1_700_000_000_000;

function session(id: number, o: Partial<SessionObservation> = {}): SessionObservation {
  return { id, name: `user${id}`, remote: `127.0.0.1:${40000 + id}`, state: 'chatting', openedAt: T0, sent: 0, outboxBytes: 0, tls: true, ended: false, ...o };
}

function transfer(id: number, o: Partial<TransferObservation> = {}): TransferObservation {
  return {
    id, client: 'alice', file: `f${id}.bin`, size: 10_000_000, port: 55000 + id, state: { sending: 'windowOpen' }, acked: 0, startOffset: 0,
    holdAt: 5_000_000, cwnd: 120_000, srttMs: 2.5, lost: 0, retransmits: 0, inFlight: 0, cc: 'bbr', ended: false, ...o,
  };
}

function obs(now: number, o: Partial<Observation> = {}): Observation {
  const sessions = o.sessions ?? [];
  return {
    now, startedAt: T0, sessions, sessionCount: sessions.filter((s) => !s.ended).length, online: sessions.filter((s) => !s.ended && s.name).length,
    transfers: [], pool: { first: 55000, last: 55003, taken: [], benched: [] },
    nodes: [{ name: 'n1', address: '127.0.0.1:50000', self: true, state: 'up', sessions: 0, transfers: 0, since: T0 }], ...o,
  };
}

describe('dashboard view model', () => {
  describe('states', () => {
    it('names a flat, a nested and a parallel state value', () => {
      expect(stateLabel('chatting')).to.equal('chatting');
      expect(stateLabel({ sending: 'windowOpen' })).to.equal('sending.windowOpen');
      expect(stateLabel({ a: 'x', b: { c: 'y' } })).to.equal('a.x, b.c.y');
    });

    it('lights the state and every ancestor, with the ids the charts use', () => {
      expect(stateIds('session', 'chatting')).to.deep.equal(['session.chatting']);
      expect(stateIds('sender', { sending: 'windowFull' })).to.deep.equal(['sender.sending', 'sender.sending.windowFull']);
      expect(stateIds('sender', 'pausedAwaitingConsent')).to.deep.equal(['sender.pausedAwaitingConsent']);
    });
  });

  describe('sessions', () => {
    it('gives each open session its row: name, address, state, time online, messages sent, outbox', () => {
      const vm = new ViewModel();
      const f = vm.update(obs(T0 + 65_000, { sessions: [session(2, { sent: 7, outboxBytes: 1500 }), session(1, { name: null, state: 'handshake', openedAt: T0 + 64_000 })] }));
      expect(f.sessions.map((s) => [s.id, s.name, s.state, s.onlineMs, s.sent, s.outboxBytes])).to.deep.equal([
        [1, '', 'handshake', 1000, 0, 0],
        [2, 'user2', 'chatting', 65_000, 7, 1500],
      ]);
      expect(f.sessions[1]!.stateIds).to.deep.equal(['session.chatting']);
      expect(f.online).to.equal(1);
      expect(f.sessionsOpen).to.equal(2);
    });

    it('keeps a closed session (its last state) for a while, then drops it', () => {
      const vm = new ViewModel();
      vm.update(obs(T0, { sessions: [session(1)] }));
      let f = vm.update(obs(T0 + 100, { sessions: [session(1, { ended: true, state: 'closed' })] }));
      expect(f.sessions).to.have.length(1);
      expect(f.sessions[0]).to.include({ ended: true, state: 'closed' });
      f = vm.update(obs(T0 + 200));
      expect(f.sessions.map((s) => s.id)).to.deep.equal([1]);
      f = vm.update(obs(T0 + 200 + KEEP_ENDED_MS + 1));
      expect(f.sessions).to.deep.equal([]);
    });

    it(`lists at most ${MAX_SESSION_ROWS} open sessions (the newest) and says how many more there are`, () => {
      const all = Array.from({ length: MAX_SESSION_ROWS + 30 }, (_, i) => session(i + 1));
      const f = new ViewModel().update(obs(T0, { sessions: all, sessionCount: 1000 }));
      expect(f.sessions).to.have.length(MAX_SESSION_ROWS);
      expect(f.sessions[0]!.id).to.equal(31);
      expect(f.sessionsHidden).to.equal(1000 - MAX_SESSION_ROWS);
    });
  });

  describe('transfers', () => {
    it('computes progress and goodput from the bytes acknowledged between two samples', () => {
      const vm = new ViewModel();
      let f = vm.update(obs(T0, { transfers: [transfer(1, { acked: 1_000_000 })] }));
      expect(f.transfers[0]).to.include({ goodput: 0, progress: 0.1, state: 'sending.windowOpen', asking: false });
      f = vm.update(obs(T0 + 100, { transfers: [transfer(1, { acked: 3_000_000, lost: 4 })] }));
      expect(f.transfers[0]!.goodput).to.equal(20_000_000);
      expect(f.transfers[0]!.progress).to.equal(0.3);
      expect(f.point).to.deep.equal({ t: T0 + 100, values: { 1: [20_000_000, 120_000, 2.5, 40] } });
    });

    it('marks a download waiting at the halfway question and lights that state on the sender chart', () => {
      const f = new ViewModel().update(obs(T0, { transfers: [transfer(3, { state: 'pausedAwaitingConsent', acked: 5_000_000 })] }));
      expect(f.transfers[0]).to.include({ asking: true, state: 'pausedAwaitingConsent', halfway: 5_000_000 });
      expect(f.transfers[0]!.stateIds).to.deep.equal(['sender.pausedAwaitingConsent']);
    });

    it('keeps an ended download with its outcome, reads it once, and drops it later', () => {
      const vm = new ViewModel();
      vm.update(obs(T0, { transfers: [transfer(1, { acked: 9_000_000 })] }));
      let f = vm.update(obs(T0 + 100, { transfers: [transfer(1, { acked: 10_000_000, state: 'finished', outcome: 'finished', ended: true })] }));
      expect(f.transfers[0]).to.include({ ended: true, outcome: 'finished', progress: 1, goodput: 0 });
      expect(f.transfers[0]!.stateIds).to.deep.equal(['sender.finished']);
      f = vm.update(obs(T0 + 200));
      expect(f.transfers.map((t) => t.outcome)).to.deep.equal(['finished']);
      expect(f.point).to.equal(null);
      f = vm.update(obs(T0 + 300 + KEEP_ENDED_MS));
      expect(f.transfers).to.deep.equal([]);
    });

    it('counts a download that vanished without a last word as ended', () => {
      const vm = new ViewModel();
      vm.update(obs(T0, { transfers: [transfer(1)] }));
      const f = vm.update(obs(T0 + 100));
      expect(f.transfers[0]).to.include({ id: 1, ended: true });
      expect(f.transfers[0]!.outcome).to.equal(undefined);
    });

    it(`keeps at most ${KEEP_ENDED} ended downloads`, () => {
      const vm = new ViewModel();
      const n = KEEP_ENDED + 5;
      vm.update(obs(T0, { transfers: Array.from({ length: n }, (_, i) => transfer(i + 1)) }));
      const f = vm.update(obs(T0 + 100, { transfers: Array.from({ length: n }, (_, i) => transfer(i + 1, { ended: true, state: 'stopped', outcome: 'stopped' })) }));
      expect(f.transfers).to.have.length(KEEP_ENDED);
      expect(f.transfers[0]!.id).to.equal(6);
    });

    it(`keeps the last ${SERIES_POINTS} plot points, and none while no download runs`, () => {
      const vm = new ViewModel();
      expect(vm.update(obs(T0)).point).to.equal(null);
      for (let i = 1; i <= SERIES_POINTS + 10; i++) vm.update(obs(T0 + i * 100, { transfers: [transfer(1, { acked: i * 1000 })] }));
      const s = vm.series();
      expect(s).to.have.length(SERIES_POINTS);
      expect(s[0]!.t).to.equal(T0 + 11 * 100);
      expect(s.at(-1)!.values['1']![0]).to.equal(10_000);
    });
  });

  describe('port pool and nodes', () => {
    it('says which port is free, taken by which download, being set up, or resting', () => {
      const f = new ViewModel().update(obs(T0, {
        transfers: [transfer(1, { port: 55001 })],
        pool: { first: 55000, last: 55003, taken: [55001, 55002], benched: [55003] },
      }));
      expect(f.pool.ports).to.deep.equal([
        { port: 55000, status: 'free' },
        { port: 55001, status: 'taken', transfer: 1, file: 'f1.bin', client: 'alice' },
        { port: 55002, status: 'reserved' },
        { port: 55003, status: 'benched' },
      ]);
      expect(f.pool).to.include({ size: 4, inUse: 2, benched: 1, listedAll: true });
    });

    it(`lists only the ports in use when the pool has more than ${MAX_PORTS_LISTED}`, () => {
      const f = new ViewModel().update(obs(T0, { pool: { first: 40000, last: 49999, taken: [40007], benched: [] } }));
      expect(f.pool.listedAll).to.equal(false);
      expect(f.pool.ports).to.deep.equal([{ port: 40007, status: 'reserved' }]);
    });

    it('gives each node its age; a cluster may give several', () => {
      const f = new ViewModel().update(obs(T0 + 5000, {
        nodes: [
          { name: 'a', address: '10.0.0.1:50000', self: true, state: 'up', sessions: 3, transfers: 1, since: T0 },
          { name: 'b', address: '10.0.0.2:50000', self: false, state: 'down', sessions: 0, transfers: 0 },
        ],
      }));
      expect(f.nodes.map((n) => [n.name, n.self, n.state, n.ageMs])).to.deep.equal([['a', true, 'up', 5000], ['b', false, 'down', null]]);
      expect(f.uptimeMs).to.equal(5000);
    });
  });
});
