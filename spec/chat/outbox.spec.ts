// runtime/outbox.ts: bounded, batched writes per socket. Against a fake socket that records writes.
import { expect } from 'chai';
import net, { type Socket } from 'node:net';
import { flushOutboxesNow, Outbox } from '../../runtime/outbox.js';

class FakeSocket {
  writes: Buffer[] = [];
  corks = 0;
  writableLength = 0;
  destroyed = false;
  write(b: Buffer): boolean { this.writes.push(b); return true; }
  cork(): void { this.corks++; }
  uncorks = 0;
  uncork(): void { this.uncorks++; }
}

const turn = () => new Promise<void>((r) => setImmediate(r));
const line = (s: string) => Buffer.from(s + '\n');

describe('outbox', () => {
  it('queues writes and flushes them in order on the next turn, as one write', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1000, () => { throw new Error('no overflow expected'); });
    box.write(line('a')); box.write(line('b')); box.write(line('c'));
    expect(s.writes).to.deep.equal([]);
    expect(box.backlog).to.equal(6);
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['a\nb\nc\n']);
    expect(box.backlog).to.equal(0);
  });

  it('receivers queued the same lines in one turn are written one joined buffer; a different queue gets its own', async () => {
    const [s1, s2, s3] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const none = () => { throw new Error('no overflow expected'); };
    const [b1, b2, b3] = [s1, s2, s3].map((s) => new Outbox(s as unknown as Socket, 1000, none));
    const a = line('a'), b = line('b'), c = line('c');
    for (const box of [b1!, b2!, b3!]) { box.write(a); box.write(b); }
    b3!.write(c);
    await turn();
    expect(s1.writes.map(String)).to.deep.equal(['a\nb\n']);
    expect(s2.writes[0]).to.equal(s1.writes[0]);
    expect(s3.writes.map(String)).to.deep.equal(['a\nb\nc\n']);
  });

  it('flushOutboxesNow writes what this turn queued at once; the flush it replaced writes nothing more', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1000, () => { throw new Error('no overflow expected'); });
    box.write(line('a')); box.write(line('b'));
    flushOutboxesNow();
    expect(s.writes.map(String)).to.deep.equal(['a\nb\n']);
    box.write(line('c'));
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['a\nb\n', 'c\n']);
    flushOutboxesNow();
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['a\nb\n', 'c\n']);
  });

  it('calls onOverflow once when the socket still holds more than the bound from earlier turns, then drops everything', async () => {
    const s = new FakeSocket();
    let overflows = 0;
    const box = new Outbox(s as unknown as Socket, 10, () => { overflows++; });
    box.write(line('12345'));
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['12345\n']);
    await turn(); // bytes written in the current turn are not slowness yet (a TLS socket reports them a turn late)
    s.writableLength = 11; // the socket could not send this much from earlier turns: a slow reader
    box.write(line('xxxx'));
    box.write(line('late'));
    expect(overflows).to.equal(1);
    await turn();
    expect(s.writes.map(String)).to.deep.equal(['12345\n']);
  });

  it('a burst within one turn is not slowness: up to 2x the bound may queue before the reader is cut off', async () => {
    const s = new FakeSocket();
    let overflows = 0;
    const box = new Outbox(s as unknown as Socket, 10, () => { overflows++; });
    for (let i = 0; i < 3; i++) box.write(line('12345')); // 18 bytes queued in one turn, socket empty
    expect(overflows).to.equal(0);
    box.write(line('12345')); // 24 > 20: the hard cap for memory
    expect(overflows).to.equal(1);
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

  it('writes a large queue as its own buffers, corked (no copy of a welcome\'s 100 KB name list), in order', async () => {
    const s = new FakeSocket();
    const box = new Outbox(s as unknown as Socket, 1 << 20, () => {});
    const big = Buffer.alloc(40_000, 0x61);
    box.write(line('head')); box.write(big); box.write(line('tail'));
    await turn();
    expect(s.writes).to.have.length(3);
    expect(s.writes[1]).to.equal(big); // the same buffer, not a copy
    expect([s.corks, s.uncorks]).to.deep.equal([1, 1]);
  });

  it('delivers a large gathered queue intact over a real socket', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const got = new Promise<Buffer>((resolve) => server.once('connection', (c) => {
      const parts: Buffer[] = [];
      c.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts)));
    }));
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const box = new Outbox(sock, 1 << 20, () => {});
    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    box.write(line('head')); box.write(big.subarray(0, 50_000)); box.write(big.subarray(50_000)); box.write(line('tail'));
    await turn();
    sock.end();
    const bytes = await got;
    server.close();
    expect(bytes.equals(Buffer.concat([line('head'), big, line('tail')]))).to.equal(true);
  });
});
