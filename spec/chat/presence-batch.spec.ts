// runtime/presence-batch.ts: one presence tick's events, encoded for old clients and for the `presence` capability.
import { expect } from 'chai';
import { LIMITS } from '../../machines/limits.js';
import { PresenceBatch, presenceFrames, type PresenceEvent } from '../../runtime/presence-batch.js';

const frames = (b: Buffer) => b.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('presence batch', () => {
  it('take: the events as joined/left lines in order, with the offset of each; then the next tick starts empty', () => {
    const b = new PresenceBatch();
    expect(b.add({ op: 'join', name: 'ann' })).to.equal(0);
    expect(b.add({ op: 'leave', name: 'bob', reason: 'quit' })).to.equal(1);
    const t = b.tick;
    const p = b.take()!;
    expect(p.tick).to.equal(t);
    expect(frames(p.lines)).to.deep.equal([{ type: 'joined', name: 'ann' }, { type: 'left', name: 'bob', reason: 'quit' }]);
    expect(p.offsets).to.have.length(3);
    expect(frames(p.lines.subarray(p.offsets[1]))).to.deep.equal([{ type: 'left', name: 'bob', reason: 'quit' }]);
    expect(p.offsets[2]).to.equal(p.lines.length);
    expect(b.tick).to.equal(t + 1);
    expect(b.take(), 'nothing happened').to.equal(null);
  });

  it('presence frame: per name, left if it left during the tick (last reason), joined if online at its end', () => {
    const ev: PresenceEvent[] = [
      { op: 'join', name: 'ann' },
      { op: 'leave', name: 'bob', reason: 'quit' },
      { op: 'join', name: 'Bob' }, // back under another spelling: left, then joined
      { op: 'join', name: 'cy' }, { op: 'leave', name: 'cy', reason: 'gone' }, // in and out
      { op: 'leave', name: 'dee', reason: 'quit' }, { op: 'join', name: 'dee' }, { op: 'leave', name: 'dee', reason: 'idle-timeout' },
    ];
    expect(frames(presenceFrames(ev))).to.deep.equal([{
      type: 'presence',
      joined: ['ann', 'Bob'],
      left: [{ name: 'bob', reason: 'quit' }, { name: 'cy', reason: 'gone' }, { name: 'dee', reason: 'idle-timeout' }],
    }]);
  });

  it('a big tick is split into frames of at most LIMITS.presenceNames names, all leaves before all joins', () => {
    const ev: PresenceEvent[] = [];
    for (let i = 0; i < 1500; i++) ev.push({ op: 'join', name: `j${i}` });
    for (let i = 0; i < 700; i++) ev.push({ op: 'leave', name: `l${i}`, reason: 'quit' });
    const fs = frames(presenceFrames(ev)) as { joined: string[]; left: unknown[] }[];
    expect(fs).to.have.length(3);
    for (const f of fs) expect(f.joined.length + f.left.length).to.be.at.most(LIMITS.presenceNames);
    expect(fs.flatMap((f) => f.left)).to.have.length(700);
    expect(fs.flatMap((f) => f.joined)).to.deep.equal(ev.filter((e) => e.op === 'join').map((e) => e.name));
    const firstJoinFrame = fs.findIndex((f) => f.joined.length > 0);
    expect(fs.slice(firstJoinFrame + 1).every((f) => f.left.length === 0)).to.equal(true);
  });
});
