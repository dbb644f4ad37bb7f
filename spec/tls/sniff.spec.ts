import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { systemClock, WarpClock } from '../../runtime/clock.js';
import { sniffTls } from '../../runtime/tls/sniff.js';
import { until } from '../model/wire.js';

/** A listener that sniffs each accepted socket; `seen` gets the verdict and the bytes read after it. */
async function sniffer(clock = systemClock, ms = 1000) {
  const seen: Array<{ tls: boolean; first: Buffer | null }> = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    sniffTls(s, clock, ms, (isTls) => {
      // the first bytes are back in the socket: the next read starts at the beginning of the stream
      const first = s.read() as Buffer | null;
      seen.push({ tls: isTls, first });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { seen, sockets, port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

describe('tls/sniff: what a connection speaks, from its first byte', () => {
  it('a TLS client hello is TLS; the byte is put back', async () => {
    const s = await sniffer();
    const c = tls.connect({ port: s.port, host: '127.0.0.1', rejectUnauthorized: false });
    c.on('error', () => {});
    try {
      expect(await until(() => s.seen.length === 1, 3000)).to.equal(true);
      expect(s.seen[0]!.tls).to.equal(true);
      expect(s.seen[0]!.first?.[0]).to.equal(0x16);
    } finally { c.destroy(); s.close(); }
  });

  it('a plain NDJSON line is not TLS, and is read whole afterwards', async () => {
    const s = await sniffer();
    const c = net.connect({ port: s.port, host: '127.0.0.1' });
    c.write('{"type":"hello"}\n');
    try {
      expect(await until(() => s.seen.length === 1, 3000)).to.equal(true);
      expect(s.seen[0]!.tls).to.equal(false);
      expect(String(s.seen[0]!.first)).to.equal('{"type":"hello"}\n');
    } finally { c.destroy(); s.close(); }
  });

  it('a peer that says nothing is closed at the deadline (time from the clock)', async () => {
    const clock = new WarpClock();
    const s = await sniffer(clock, 5000);
    const c = net.connect({ port: s.port, host: '127.0.0.1' });
    let closed = false;
    c.on('close', () => { closed = true; });
    c.on('error', () => {});
    try {
      expect(await until(() => s.sockets.length === 1, 3000)).to.equal(true);
      expect(closed).to.equal(false);
      clock.advance(5001);
      expect(await until(() => closed, 3000)).to.equal(true);
      expect(s.seen).to.have.length(0);
    } finally { c.destroy(); s.close(); }
  });
});
