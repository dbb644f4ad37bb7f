// runtime/udp-endpoint.ts over real sockets on loopback: what is authenticated reaches the handler, the rest is
// counted; every datagram in and out goes through the one protection seam.
import { expect } from 'chai';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { encodeAck, encodeHello, type Packet } from '../../machines/transport/packet-codec.js';
import {
  bindTransferSocket, canBind, crcProtection, createTransferSocket, DATA_PAYLOAD_AT, TransferEndpoint, type DatagramProtection,
} from '../../runtime/udp-endpoint.js';
import { waitUntil } from '../helpers/recorder.js';

const HOST = '127.0.0.1';
const ACK = { ranges: [[3, 0]] as Array<[number, number]>, ackDelayMs: 1, maxData: 5000, contiguous: 1000 };

interface Pair {
  server: TransferEndpoint; client: TransferEndpoint; serverGot: Packet[]; clientGot: Packet[];
  serverCounts: { spoofed: number; malformed: number }; clientCounts: { spoofed: number; malformed: number };
  token: Buffer; port: number;
}

describe('transport/udp-endpoint', () => {
  const open: TransferEndpoint[] = [];
  const raw: dgram.Socket[] = [];
  afterEach(() => {
    for (const e of open.splice(0)) e.close();
    for (const s of raw.splice(0)) s.close();
  });

  async function pair(protection?: DatagramProtection): Promise<Pair> {
    const token = crypto.randomBytes(8);
    const serverGot: Packet[] = [];
    const clientGot: Packet[] = [];
    const serverCounts = { spoofed: 0, malformed: 0 };
    const clientCounts = { spoofed: 0, malformed: 0 };
    const sock = await bindTransferSocket(HOST, 0);
    const port = sock.address().port;
    const server = new TransferEndpoint({ socket: sock, transferId: 5, token, counters: serverCounts, peerFrom: 'hello', onPacket: (p) => serverGot.push(p), protection });
    const client = new TransferEndpoint({ socket: createTransferSocket(HOST), transferId: 5, token, counters: clientCounts, peerFrom: 'connected', onPacket: (p) => clientGot.push(p), protection });
    open.push(server, client);
    return { server, client, serverGot, clientGot, serverCounts, clientCounts, token, port };
  }

  async function stranger(): Promise<dgram.Socket> {
    const s = dgram.createSocket('udp4');
    raw.push(s);
    await new Promise<void>((r) => s.bind(0, HOST, () => r()));
    return s;
  }
  const sendFrom = (s: dgram.Socket, buf: Buffer, port: number) => new Promise<void>((r) => s.send(buf, port, HOST, () => r()));

  it('the client cannot send before it is connected; HELLO fixes the peer on the server, then data and ACKs flow', async () => {
    const p = await pair();
    expect(p.client.send(encodeHello(p.client.header(), 0, 1000)), 'not connected yet').to.equal(false);
    expect(p.server.peer, 'no peer before HELLO').to.equal(null);
    expect(p.server.sendData(p.server.dataPacket(0, 0, 0), 0), 'the server has nowhere to send yet').to.equal(false);
    await new Promise<void>((r) => p.client.connect(p.port, HOST, r));
    expect(p.client.send(encodeHello(p.client.header(), 0, 1000))).to.equal(true);
    await waitUntil(() => p.serverGot.length === 1, 2000, 'HELLO delivered');
    expect(p.serverGot[0]).to.include({ type: 'hello', transferId: 5, startOffset: 0, window: 1000 });
    expect(p.server.peer).to.include({ address: HOST });

    const buf = p.server.dataPacket(1, 0, 3);
    buf.write('abc', DATA_PAYLOAD_AT);
    expect(p.server.sendData(buf, 3)).to.equal(true);
    await waitUntil(() => p.clientGot.length === 1, 2000, 'DATA delivered');
    const d = p.clientGot[0]!;
    expect(d.type).to.equal('data');
    if (d.type === 'data') expect(d.payload.toString()).to.equal('abc');

    p.client.send(encodeAck(p.client.header(7), ACK));
    await waitUntil(() => p.serverGot.length === 2, 2000, 'ACK delivered');
    expect(p.serverGot[1]).to.deep.include({ type: 'ack', pn: 7, ack: ACK });
    expect(p.serverCounts).to.deep.equal({ spoofed: 0, malformed: 0 });
  });

  it('counts a wrong token, a wrong transfer id and an ACK from another address as spoofed, bad bytes as malformed', async () => {
    const p = await pair();
    await new Promise<void>((r) => p.client.connect(p.port, HOST, r));
    p.client.send(encodeHello(p.client.header(), 0, 1000));
    await waitUntil(() => p.serverGot.length === 1, 2000, 'HELLO delivered');
    const s = await stranger();
    await sendFrom(s, encodeAck({ transferId: 5, token: crypto.randomBytes(8), pn: 1 }, ACK), p.port);
    await sendFrom(s, encodeAck({ transferId: 6, token: p.token, pn: 1 }, ACK), p.port);
    await sendFrom(s, encodeAck({ transferId: 5, token: p.token, pn: 1 }, ACK), p.port);
    const corrupt = encodeAck({ transferId: 5, token: p.token, pn: 1 }, ACK);
    corrupt[corrupt.length - 1]! ^= 1;
    await sendFrom(s, corrupt, p.port);
    await sendFrom(s, Buffer.alloc(0), p.port);
    await waitUntil(() => p.serverCounts.spoofed + p.serverCounts.malformed === 5, 2000, 'all five counted');
    expect(p.serverCounts).to.deep.equal({ spoofed: 3, malformed: 2 });
    expect(p.serverGot, 'nothing reached the handler').to.have.length(1);
    // a HELLO with the token from a new address moves the peer (NAT rebinding)
    await sendFrom(s, encodeHello({ transferId: 5, token: p.token, pn: 2 }, 0, 1000), p.port);
    await waitUntil(() => p.serverGot.length === 2, 2000, 'the second HELLO delivered');
    expect(p.server.peer).to.deep.equal({ address: HOST, port: s.address().port });
  });

  it('seals every datagram it sends and opens every one it reads through its protection', async () => {
    let sealed = 0;
    let opened = 0;
    const counting: DatagramProtection = {
      trailerBytes: crcProtection.trailerBytes,
      seal: (buf, len) => { sealed++; return crcProtection.seal(buf, len); },
      open: (msg) => { opened++; return crcProtection.open(msg); },
    };
    const p = await pair(counting);
    await new Promise<void>((r) => p.client.connect(p.port, HOST, r));
    p.client.sendHello(0, 1000);
    await waitUntil(() => p.serverGot.length === 1, 2000, 'HELLO delivered');
    p.server.sendData(p.server.dataPacket(0, 0, 0), 0);
    p.client.sendAck(ACK);
    await waitUntil(() => p.clientGot.length === 1 && p.serverGot.length === 2, 2000, 'DATA and ACK delivered');
    expect({ sealed, opened }).to.deep.equal({ sealed: 3, opened: 3 });
  });

  it('canBind tells a free port from a taken one; close runs its callback once the socket is closed, even twice', async () => {
    const s = await bindTransferSocket(HOST, 0);
    const port = s.address().port;
    expect(await canBind(HOST, port)).to.equal(false);
    const e = new TransferEndpoint({ socket: s, transferId: 1, token: crypto.randomBytes(8), counters: { spoofed: 0, malformed: 0 }, peerFrom: 'hello', onPacket: () => {} });
    await new Promise<void>((r) => e.close(r));
    await new Promise<void>((r) => e.close(r));
    expect(await canBind(HOST, port)).to.equal(true);
  });
});
