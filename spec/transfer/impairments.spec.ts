// Downloads through the link emulator (a user-space UDP proxy between the client and the server's pool) under
// random and bursty loss, reordering, duplication, corruption, delay with jitter and a blackout shorter than the
// deadlines: every file arrives byte for byte. Chunk 1200, so a 1 MB file is ~870 DATA packets.
import { expect } from 'chai';
import { parseImpairments, type ImpairmentSpec, type LinkStats } from '../../runtime/link/index.js';
import { content, expectIntact, get, poolFull, TransferScope } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';

const SIZE = 1_000_000;
const DATA = content(SIZE, 31);

interface Case {
  title: string;
  up: string;
  down: string;
  /** What the emulator's counters must show, so that we know the impairment really happened. */
  check(s: LinkStats): void;
  ms?: number;
  transfers?: { silentMs?: number };
}

const lost = (s: LinkStats['up']) => s.dropped.loss + s.dropped.burst;

const CASES: Case[] = [
  { title: '1% random loss, both directions', up: 'loss=1%', down: 'loss=1%', check: (s) => expect(lost(s.down)).to.be.above(0) },
  { title: '10% random loss, data direction', up: '', down: 'loss=10%', check: (s) => expect(lost(s.down)).to.be.above(40) },
  { title: '10% random loss, both directions', up: 'loss=10%', down: 'loss=10%', check: (s) => { expect(lost(s.down)).to.be.above(40); expect(lost(s.up)).to.be.above(0); } },
  { title: '30% random loss, both directions', up: 'loss=30%', down: 'loss=30%', ms: 25000, check: (s) => { expect(lost(s.down)).to.be.above(200); expect(lost(s.up)).to.be.above(10); } },
  { title: 'bursty Gilbert-Elliott loss, both directions', up: 'ge=0.02/0.25', down: 'ge=0.02/0.25', check: (s) => expect(s.down.dropped.burst).to.be.above(10) },
  { title: '10% reordering (held 10 ms), both directions', up: 'reorder=10%', down: 'reorder=10%', check: (s) => expect(s.down.reordered).to.be.above(20) },
  { title: '10% duplication, both directions', up: 'dup=10%', down: 'dup=10%', check: (s) => expect(s.down.duplicated).to.be.above(20) },
  { title: '5% corruption, both directions', up: 'corrupt=5%', down: 'corrupt=5%', check: (s) => { expect(s.down.corrupted).to.be.above(10); } },
  { title: '50 ms delay with 10 ms jitter each way', up: 'delay=50ms,jitter=10ms', down: 'delay=50ms,jitter=10ms', ms: 25000, check: () => {} },
  {
    title: 'a 1.5 s blackout both ways (shorter than the 3 s silence deadline)',
    up: 'rate=8mbit,blackout=300+1500', down: 'rate=8mbit,blackout=300+1500', ms: 25000,
    check: (s) => { expect(s.down.dropped.blackout + s.up.dropped.blackout).to.be.above(0); },
  },
  { title: 'everything at once: 3% loss, reordering, duplication, corruption, 5 ms delay', up: 'loss=3%,reorder=3%,dup=3%,corrupt=2%,delay=5ms,jitter=2ms', down: 'loss=3%,reorder=3%,dup=3%,corrupt=2%,delay=5ms,jitter=2ms', ms: 25000, check: (s) => expect(lost(s.down)).to.be.above(0) },
];

describe('transfer/impairments (through the link emulator)', function () {
  this.timeout(40000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  for (const k of CASES) {
    it(`${k.title}: the file arrives intact`, async () => {
      const pool = await nextUdpPorts(2);
      const listen = await nextUdpPorts(2);
      const up: ImpairmentSpec = parseImpairments(k.up);
      const down: ImpairmentSpec = parseImpairments(k.down);
      const emu = await scope.emulator(pool, listen, up, down, 1234);
      const srv = await scope.server({ files: { 'data.bin': DATA }, ports: pool, transfers: { advertisePorts: listen, ...k.transfers } });
      const c = await scope.client(srv, 'impaired', { yes: true });
      const end = await get(c, 'data.bin', k.ms ?? 15000);
      expectIntact(end, DATA);
      const stats = emu.stats();
      expect(stats.nat.opened, 'the datagrams went through the emulator').to.be.at.least(1);
      expect(stats.down.forwarded).to.be.above(SIZE / 1200);
      k.check(stats);
      if (k.up.includes('corrupt')) {
        expect(srv.server.transfers.stats.malformed, 'corrupted ACKs are counted as malformed').to.be.above(0);
      }
      await poolFull(srv);
      expect(srv.server.transfers.stats.finished).to.equal(1);
    });
  }
});
