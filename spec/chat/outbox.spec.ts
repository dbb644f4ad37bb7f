// runtime/outbox.ts: bounded, batched writes per socket. Against a fake socket that records writes.
import { expect } from 'chai';
import type { Socket } from 'node:net';
import { Outbox } from '../../runtime/outbox.js';

class FakeSocket {
  writes: Buffer[] = [];
  corks = 0;
  writableLength = 0;
  destroyed = false;
  write(b: Buffer): boolean { this.writes.push(b); return true; }
  cork(): void { this.corks++; }
  uncork(): void {}
}

const turn = () => new Promise<void>((r) => setImmediate(r));
const line = (s: string) => Buffer.from(s + '\n');

describe('outbox', () => {
  it('queues writes and flushes them in order on the next turn, corked when more than one', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1000, () => { throw new Error('no overflow expected'); });
    box.write(line('a')); box.write(line('b')); box.write(line('c'));
    expect(s.writes).to.deep.equal([]);
    expect(box.backlog).to.equal(6);
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['a\n', 'b\n', 'c\n']);
    expect(s.corks).to.equal(1);
    expect(box.backlog).to.equal(0);
  });

  it('calls onOverflow once when queued plus socket-buffered bytes would pass the bound, then drops everything', async () => {
    const s = new FakeSocket();
    let overflows = 0;
    const box = new Outbox(s as unknown as Socket, 10, () => { overflows++; });
    box.write(line('12345'));
    s.writableLength = 4; // the socket holds bytes it could not send
    box.write(line('xxxx')); // 6 + 4 + 5 > 10
    box.write(line('late'));
    expect(overflows).to.equal(1);
    await turn();
    expect(s.writes).to.deep.equal([]);
  });

  it('seal: no more writes are accepted, the queued ones still go out', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1000, () => {});
    box.write(line('before'));
    box.seal();
    box.write(line('after'));
    box.flush();
    expect(s.writes.map(String)).to.deep.equal(['before\n']);
  });

  it('a destroyed socket gets nothing', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1000, () => {});
    box.write(line('x'));
    s.destroyed = true;
    await turn();
    expect(s.writes).to.deep.equal([]);
  });
});
