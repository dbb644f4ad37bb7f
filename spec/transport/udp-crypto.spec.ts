// runtime/udp-crypto.ts: transfer keys exported from real TLS 1.3 sessions, AES-128-GCM sealing and opening, the
// nonce rule, the replay window, and two AEAD endpoints over real UDP sockets with a man in the middle that forges,
// replays, flips, truncates and reflects datagrams.
import { expect } from 'chai';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import {
  DATA_HEADER_BYTES, encodeAck, encodeClose, encodeHello, HEADER_BYTES, PacketError, writeDataHeader, type Packet, type PacketHeader,
} from '../../machines/transport/packet-codec.js';
import {
  AeadProtection, deriveTransferKeys, PN_LIMIT, PN_PER_KEY, REPLAY_WINDOW, ReplayError, ReplayWindow, TAG_BYTES, transferKeysFrom, type TransferKeys,
} from '../../runtime/udp-crypto.js';
import { bindTransferSocket, createTransferSocket, DATA_PAYLOAD_AT, TransferEndpoint } from '../../runtime/udp-endpoint.js';
import { waitUntil } from '../helpers/recorder.js';
import { tlsPair, type TlsPair } from '../helpers/tls-pair.js';

const HOST = '127.0.0.1';
const ACK = { ranges: [[3, 0]] as Array<[number, number]>, ackDelayMs: 1, maxData: 5000, contiguous: 1000 };
const H = (pn: number): PacketHeader => ({ transferId: 9, token: Buffer.from('0123456789abcdef', 'hex'), pn });

function randomKeys(): TransferKeys { return transferKeysFrom(crypto.randomBytes(64)); }

/** A sealed DATA datagram holding `payload`. */
function sealedData(p: AeadProtection, pn: number, offset: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(DATA_HEADER_BYTES + payload.length + TAG_BYTES);
  writeDataHeader(buf, H(pn), offset, payload.length);
  payload.copy(buf, DATA_HEADER_BYTES);
  p.seal(buf, DATA_HEADER_BYTES + payload.length);
  return buf;
}

function sealedAck(p: AeadProtection, pn: number): Buffer {
  const buf = encodeAck(H(pn), ACK, { trailer: TAG_BYTES });
  p.seal(buf, buf.length - TAG_BYTES);
  return buf;
}

function openError(p: AeadProtection, msg: Buffer): Error {
  try { p.open(Buffer.from(msg)); } catch (e) { return e as Error; }
  return expect.fail('opened a datagram it should have refused');
}

describe('transport/udp-crypto', function () {
  this.timeout(10_000);

  describe('keys from the TLS session', () => {
    let a: TlsPair; let b: TlsPair;
    before(async () => { a = await tlsPair(); b = await tlsPair(); });
    after(async () => { await a.close(); await b.close(); });

    it('both ends of a TLS 1.3 session derive the same keys for a transfer; another transfer, direction or session differs', () => {
      expect(a.client.getProtocol()).to.equal('TLSv1.3');
      const server = deriveTransferKeys(a.server, 7);
      const client = deriveTransferKeys(a.client, 7);
      for (const dir of ['serverToClient', 'clientToServer'] as const) {
        expect(server[dir].key(0).equals(client[dir].key(0)), dir).to.equal(true);
        expect(server[dir].ivSalt.equals(client[dir].ivSalt), dir).to.equal(true);
      }
      expect(server.serverToClient.key(0).equals(server.clientToServer.key(0)), 'the two directions').to.equal(false);
      expect(deriveTransferKeys(a.server, 8).serverToClient.key(0).equals(server.serverToClient.key(0)), 'another transfer').to.equal(false);
      expect(deriveTransferKeys(b.server, 7).serverToClient.key(0).equals(server.serverToClient.key(0)), 'another session').to.equal(false);
    });

    it('what one end seals the other opens, in both directions', () => {
      const server = new AeadProtection(deriveTransferKeys(a.server, 3), 'server');
      const client = new AeadProtection(deriveTransferKeys(a.client, 3), 'client');
      const d = client.open(sealedData(server, 0, 100, Buffer.from('from the server')));
      expect(d).to.deep.include({ type: 'data', offset: 100, pn: 0 });
      if (d.type === 'data') expect(d.payload.toString()).to.equal('from the server');
      expect(server.open(sealedAck(client, 0))).to.deep.include({ type: 'ack', ack: ACK });
    });
  });

  describe('sealing and opening', () => {
    it('round-trips every packet type; the body is encrypted, the header in clear', () => {
      const keys = randomKeys();
      const server = new AeadProtection(keys, 'server');
      const client = new AeadProtection(keys, 'client');
      const payload = Buffer.from('a secret line of the file, long enough to look for'.repeat(4));
      const wire = sealedData(server, 5, 2 ** 40, payload);
      expect(wire.length).to.equal(DATA_HEADER_BYTES + payload.length + TAG_BYTES);
      expect(wire.includes(payload.subarray(0, 16)), 'payload in clear').to.equal(false);
      expect(wire.readUInt32BE(4), 'transfer id in clear').to.equal(9);
      const d = client.open(wire);
      expect(d).to.deep.include({ type: 'data', pn: 5, offset: 2 ** 40, transferId: 9 });
      if (d.type === 'data') expect(d.payload.equals(payload)).to.equal(true);

      const hello = encodeHello(H(0), 77, 1 << 20, { trailer: TAG_BYTES });
      client.seal(hello, hello.length - TAG_BYTES);
      expect(server.open(hello)).to.deep.include({ type: 'hello', startOffset: 77, window: 1 << 20 });
      expect(server.open(sealedAck(client, 1))).to.deep.include({ type: 'ack', pn: 1, ack: ACK });
      const close = encodeClose(H(2), 3, 'stop ✓', { trailer: TAG_BYTES });
      client.seal(close, close.length - TAG_BYTES);
      expect(server.open(close)).to.deep.include({ type: 'close', code: 3, reason: 'stop ✓' });
    });

    it('sealing into new memory gives the same datagram as sealing in place, and leaves the buffer as it was', () => {
      const keys = randomKeys();
      const payload = crypto.randomBytes(3000);
      const inPlace = sealedData(new AeadProtection(keys, 'server'), 4, 10, payload);
      const buf = Buffer.alloc(DATA_HEADER_BYTES + payload.length + TAG_BYTES);
      writeDataHeader(buf, H(4), 10, payload.length);
      payload.copy(buf, DATA_HEADER_BYTES);
      const before = Buffer.from(buf);
      const parts = new AeadProtection(keys, 'server').sealCopy(buf, DATA_HEADER_BYTES + payload.length);
      expect(Buffer.concat(parts).equals(inPlace)).to.equal(true);
      expect(buf.equals(before)).to.equal(true);
    });

    it('refuses to seal a packet number that is not above the last one sealed, or past the limit', () => {
      const server = new AeadProtection(randomKeys(), 'server');
      sealedData(server, 10, 0, Buffer.from('x'));
      expect(() => sealedData(server, 10, 0, Buffer.from('x')), 'the same number').to.throw(RangeError, /never reused/);
      expect(() => sealedData(server, 3, 0, Buffer.from('x')), 'a lower one').to.throw(RangeError, /never reused/);
      sealedData(server, 11, 0, Buffer.from('x'));
      expect(() => sealedData(server, PN_LIMIT, 0, Buffer.from('x'))).to.throw(RangeError, /used up/);
    });

    it('drops forged, bit-flipped, truncated and reflected datagrams, and counts a replay apart; none spoils what follows', () => {
      const keys = randomKeys();
      const server = new AeadProtection(keys, 'server');
      const client = new AeadProtection(keys, 'client');
      const good = sealedData(server, 0, 0, Buffer.from('payload bytes'));
      // forged: a well-formed datagram under a key the attacker made up
      const forged = sealedData(new AeadProtection(randomKeys(), 'server'), 1, 0, Buffer.from('evil'));
      expect(openError(client, forged)).to.be.instanceOf(PacketError).and.not.instanceOf(ReplayError);
      // every single-bit flip, header (associated data), body and tag alike
      for (let i = 0; i < good.length; i++) {
        const flipped = Buffer.from(good);
        flipped[i]! ^= 1 << (i % 8);
        const e = openError(client, flipped);
        expect(e, `byte ${i}`).to.be.instanceOf(PacketError).and.not.instanceOf(ReplayError);
      }
      for (const cut of [1, 4, TAG_BYTES, good.length - HEADER_BYTES, good.length]) {
        expect(openError(client, good.subarray(0, good.length - cut)), `cut ${cut}`).to.be.instanceOf(PacketError);
      }
      // reflected: sealed for the client, sent back to the server
      expect(openError(server, good)).to.be.instanceOf(PacketError).and.not.instanceOf(ReplayError);
      // none of that marked the packet number: the real datagram opens, once
      expect(client.open(Buffer.from(good))).to.deep.include({ type: 'data', pn: 0 });
      expect(openError(client, good)).to.be.instanceOf(ReplayError);
    });

    it('changes the key every PN_PER_KEY packets; the nonce is the IV salt XOR the packet number', () => {
      const keys = randomKeys();
      const k = keys.serverToClient;
      expect(k.key(PN_PER_KEY - 1).equals(k.key(0))).to.equal(true);
      expect(k.key(PN_PER_KEY).equals(k.key(0))).to.equal(false);
      const pn = 2 ** 40 + 0x1234_5678;
      const n = k.nonce(pn);
      const expected = Buffer.from(k.ivSalt);
      const pnBytes = Buffer.alloc(12);
      pnBytes.writeUInt32BE(Math.floor(pn / 2 ** 32), 4);
      pnBytes.writeUInt32BE(pn >>> 0, 8);
      for (let i = 0; i < 12; i++) expected[i]! ^= pnBytes[i]!;
      expect(n.equals(expected)).to.equal(true);
      const server = new AeadProtection(keys, 'server');
      const client = new AeadProtection(keys, 'client');
      expect(client.open(sealedData(server, PN_PER_KEY - 1, 0, Buffer.from('a')))).to.include({ pn: PN_PER_KEY - 1 });
      expect(client.open(sealedData(server, PN_PER_KEY + 1, 0, Buffer.from('b')))).to.include({ pn: PN_PER_KEY + 1 });
    });
  });

  describe('the replay window', () => {
    it('takes each packet number once, in any order within the window, and nothing older', () => {
      const w = new ReplayWindow();
      const take = (pn: number): boolean => { if (!w.fresh(pn)) return false; w.mark(pn); return true; };
      expect([0, 2, 1, 2, 0].map(take)).to.deep.equal([true, true, true, false, false]);
      expect(take(REPLAY_WINDOW + 10)).to.equal(true);
      expect(take(11), 'in the window, not seen').to.equal(true);
      expect(take(10), 'one older than the window holds').to.equal(false);
      expect(take(REPLAY_WINDOW + 9)).to.equal(true);
      expect(take(REPLAY_WINDOW + 9)).to.equal(false);
      expect(take(10 * REPLAY_WINDOW), 'a jump clears the window').to.equal(true);
      expect(take(9 * REPLAY_WINDOW + 1), 'a number freed by the jump').to.equal(true);
      expect(take(9 * REPLAY_WINDOW)).to.equal(false);
      // the bit for pn and for pn + REPLAY_WINDOW is the same one: the newer one is fresh, the old one is not
      const v = new ReplayWindow();
      v.mark(5);
      expect(v.fresh(5 + REPLAY_WINDOW)).to.equal(true);
      v.mark(5 + REPLAY_WINDOW);
      expect(v.fresh(5)).to.equal(false);
      expect(v.fresh(6), 'the oldest in the window, never seen').to.equal(true);
    });
  });

  describe('AEAD endpoints over real UDP with a man in the middle', () => {
    let pair: TlsPair;
    const closers: Array<() => void> = [];
    before(async () => { pair = await tlsPair(); });
    after(async () => { await pair.close(); });
    afterEach(() => { for (const c of closers.splice(0)) c(); });

    it('delivers HELLO, DATA and ACK; what the middle forges, replays, flips, truncates or reflects is dropped and counted', async () => {
      const id = 21;
      const token = crypto.randomBytes(8);
      const serverGot: Packet[] = []; const clientGot: Packet[] = [];
      const serverCounts = { spoofed: 0, malformed: 0 }; const clientCounts = { spoofed: 0, malformed: 0 };
      const sock = await bindTransferSocket(HOST, 0);
      const server = new TransferEndpoint({
        socket: sock, transferId: id, token, counters: serverCounts, peerFrom: 'hello', onPacket: (p) => serverGot.push(p),
        protection: new AeadProtection(deriveTransferKeys(pair.server, id), 'server'),
      });
      const client = new TransferEndpoint({
        socket: createTransferSocket(HOST), transferId: id, token, counters: clientCounts, peerFrom: 'connected', onPacket: (p) => clientGot.push(p),
        protection: new AeadProtection(deriveTransferKeys(pair.client, id), 'client'),
      });
      // the middle: the client talks to it, it talks to the server from its own socket, and it sees every datagram
      const up = dgram.createSocket('udp4'); const down = dgram.createSocket('udp4');
      closers.push(() => server.close(), () => client.close(), () => up.close(), () => down.close());
      await new Promise<void>((r) => down.bind(0, HOST, () => r()));
      await new Promise<void>((r) => up.bind(0, HOST, () => r()));
      const seenUp: Buffer[] = []; const seenDown: Buffer[] = [];
      let clientAddr: dgram.RemoteInfo | null = null;
      down.on('message', (m, rinfo) => { clientAddr = rinfo; seenUp.push(Buffer.from(m)); up.send(m, sock.address().port, HOST); });
      up.on('message', (m) => { seenDown.push(Buffer.from(m)); if (clientAddr) down.send(m, clientAddr.port, clientAddr.address); });
      const toServer = (m: Buffer) => new Promise<void>((r) => up.send(m, sock.address().port, HOST, () => r()));
      const toClient = (m: Buffer) => new Promise<void>((r) => down.send(m, clientAddr!.port, clientAddr!.address, () => r()));

      await new Promise<void>((r) => client.connect(down.address().port, HOST, r));
      expect(client.sendHello(0, 1000)).to.equal(true);
      await waitUntil(() => serverGot.length === 1, 2000, 'HELLO through the middle');
      const secret = Buffer.from('0123456789abcdef-this is the file, never on the wire in clear');
      const buf = server.dataPacket(0, 0, secret.length);
      secret.copy(buf, DATA_PAYLOAD_AT);
      server.sendData(buf, secret.length);
      await waitUntil(() => clientGot.length === 1, 2000, 'DATA through the middle');
      client.sendAck(ACK);
      await waitUntil(() => serverGot.length === 2, 2000, 'ACK through the middle');

      const data = seenDown[0]!; const hello = seenUp[0]!; const ack = seenUp[1]!;
      for (const m of [...seenUp, ...seenDown]) for (let i = 0; i + 16 <= secret.length; i++) {
        expect(m.includes(secret.subarray(i, i + 16)), 'a 16-byte window of the payload on the wire').to.equal(false);
      }
      const flip = (m: Buffer, at: number) => { const c = Buffer.from(m); c[at]! ^= 0x40; return c; };
      const forge = (m: Buffer) => { const c = Buffer.from(m); crypto.randomBytes(c.length - HEADER_BYTES).copy(c, HEADER_BYTES); c.writeUInt32BE(1000, 20); return c; };
      // to the server: a replayed HELLO and ACK, a flipped and a truncated ACK, a forged one, the DATA reflected back
      await toServer(hello); await toServer(ack);
      await toServer(flip(ack, HEADER_BYTES + 2)); await toServer(flip(ack, 20)); await toServer(ack.subarray(0, ack.length - 1));
      await toServer(forge(ack)); await toServer(data);
      // to the client: the DATA replayed, flipped, truncated, forged, and the ACK reflected back
      await toClient(data); await toClient(flip(data, DATA_HEADER_BYTES)); await toClient(data.subarray(0, data.length - 5));
      await toClient(forge(data)); await toClient(ack);
      await waitUntil(() => serverCounts.spoofed + serverCounts.malformed === 7 && clientCounts.spoofed + clientCounts.malformed === 5, 2000, 'every injected datagram counted');
      expect(serverCounts).to.deep.equal({ spoofed: 2, malformed: 5 });
      expect(clientCounts).to.deep.equal({ spoofed: 1, malformed: 4 });
      expect(serverGot.map((p) => p.type)).to.deep.equal(['hello', 'ack']);
      expect(clientGot.map((p) => p.type)).to.deep.equal(['data']);

      // and the transfer goes on: a new DATA and a new ACK still pass
      const more = server.dataPacket(1, secret.length, 3);
      more.write('end', DATA_PAYLOAD_AT);
      server.sendData(more, 3);
      await waitUntil(() => clientGot.length === 2, 2000, 'DATA after the attack');
      client.sendAck(ACK);
      await waitUntil(() => serverGot.length === 3, 2000, 'ACK after the attack');
    });
  });
});
