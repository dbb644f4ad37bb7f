// One transfer's UDP endpoint, the same module at both ends: socket set-up (buffer sizes, bind or connect), the
// sealing and opening of datagrams, and their authentication (transfer id, token, peer address). What passes all
// three reaches the transfer's handler; the rest is counted (malformed, spoofed) and dropped.
//
// Sealing and opening happen in one place, `DatagramProtection`: today the packet codec's CRC32 trailer; datagram
// encryption keyed from the TLS session replaces it there.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import {
  CRC_BYTES, DATA_HEADER_BYTES, DATA_OVERHEAD_BYTES, decodePacket, sealPacket, writeDataHeader, type Packet, type PacketHeader,
} from '../machines/transport/packet-codec.js';

/** Receive and send buffers for transfer sockets: the default 208 KiB holds only a dozen large datagrams. */
export const SOCKET_BUFFER_BYTES = 4 << 20;

/** The one seam where a datagram is sealed before it leaves and opened (checked, decoded) when it arrives. */
export interface DatagramProtection {
  /** Seals buf[0, len) in place (the trailer goes at len); returns the datagram's length. */
  seal(buf: Buffer, len: number): number;
  /** Opens a datagram from the network; throws on anything it cannot verify and decode. */
  open(msg: Buffer): Packet;
}

/** Integrity only: the codec's CRC32 trailer. */
export const crcProtection: DatagramProtection = { seal: sealPacket, open: decodePacket };

/** Counts of dropped datagrams: `malformed` failed to open, `spoofed` opened but is not from this transfer's peer. */
export interface DatagramCounters { spoofed: number; malformed: number }

export interface Peer { address: string; port: number }

export function udpFamily(host: string): 'udp4' | 'udp6' { return host.includes(':') ? 'udp6' : 'udp4'; }

/** A transfer socket with large buffers. */
export function createTransferSocket(host: string): dgram.Socket {
  return dgram.createSocket({ type: udpFamily(host), recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
}

/** Binds a transfer socket to host:port; rejects with the bind error (its socket closed). */
export function bindTransferSocket(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = createTransferSocket(host);
    s.once('error', (e) => { s.close(); reject(e); });
    s.bind(port, host, () => { s.removeAllListeners('error'); resolve(s); });
  });
}

/** Whether host:port can be bound now (a probe: the socket is closed again). */
export async function canBind(host: string, port: number): Promise<boolean> {
  try {
    const s = await bindTransferSocket(host, port);
    await new Promise<void>((r) => s.close(() => r()));
    return true;
  } catch { return false; }
}

export interface EndpointOptions {
  socket: dgram.Socket;
  transferId: number;
  token: Buffer;
  counters: DatagramCounters;
  /**
   * Where the peer's address comes from. `hello`: the first authenticated HELLO fixes it, a later one may move it
   * (NAT rebinding), and any other datagram must come from it (the server). `connected`: the socket is connected
   * to the peer, so the kernel drops datagrams from anywhere else (the client).
   */
  peerFrom: 'hello' | 'connected';
  /** An authenticated packet from the peer. */
  onPacket(p: Packet): void;
  protection?: DatagramProtection;
}

export class TransferEndpoint {
  readonly socket: dgram.Socket;
  private readonly opts: EndpointOptions;
  private readonly protection: DatagramProtection;
  private peerAddr: Peer | null = null;
  private closed = false;

  constructor(opts: EndpointOptions) {
    this.opts = opts;
    this.socket = opts.socket;
    this.protection = opts.protection ?? crcProtection;
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  /** The peer datagrams go to: fixed by HELLO, or the connected address; null before. */
  get peer(): Peer | null { return this.peerAddr; }

  /** Connects the socket to the peer (the client side); `then` runs once connected. */
  connect(port: number, address: string, then: () => void): void {
    this.socket.connect(port, address, () => { this.peerAddr = { address, port }; then(); });
  }

  header(pn = 0): PacketHeader { return { transferId: this.opts.transferId, token: this.opts.token, pn }; }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let p: Packet;
    try { p = this.protection.open(msg); } catch { this.opts.counters.malformed++; return; }
    if (p.transferId !== this.opts.transferId || !crypto.timingSafeEqual(p.token, this.opts.token)) { this.opts.counters.spoofed++; return; }
    if (this.opts.peerFrom === 'hello') {
      if (p.type === 'hello') this.peerAddr = { address: rinfo.address, port: rinfo.port };
      else if (!this.peerAddr || rinfo.address !== this.peerAddr.address || rinfo.port !== this.peerAddr.port) { this.opts.counters.spoofed++; return; }
    }
    this.opts.onPacket(p);
  }

  /** Sends a control packet made by the codec (HELLO, ACK, CLOSE), sealed here; false when it cannot go yet. */
  send(packet: Buffer): boolean {
    this.protection.seal(packet, packet.length - CRC_BYTES);
    return this.sendRaw(packet);
  }

  /** A DATA packet with its header written: put `len` payload bytes at `DATA_PAYLOAD_AT`, then `sendData`. */
  dataPacket(pn: number, offset: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(DATA_OVERHEAD_BYTES + len);
    writeDataHeader(buf, this.header(pn), offset, len);
    return buf;
  }

  /** Seals and sends a DATA packet from `dataPacket` holding `len` payload bytes. */
  sendData(buf: Buffer, len: number): boolean {
    this.protection.seal(buf, DATA_HEADER_BYTES + len);
    return this.sendRaw(buf);
  }

  private sendRaw(buf: Buffer): boolean {
    if (this.closed) return false;
    const peer = this.peerAddr;
    if (!peer) return false;
    try {
      if (this.opts.peerFrom === 'connected') this.socket.send(buf);
      else this.socket.send(buf, peer.port, peer.address);
      return true;
    } catch { return false; } // not connected yet, or closed
  }

  /** Closes the socket; `then` runs once it is closed (at once when it already was). */
  close(then?: () => void): void {
    if (this.closed) { then?.(); return; }
    this.closed = true;
    try { this.socket.close(then); } catch { then?.(); }
  }
}

/** Where a DATA packet's payload starts in the buffer `dataPacket` returns. */
export const DATA_PAYLOAD_AT = DATA_HEADER_BYTES;
