// One transfer's UDP endpoint, the same module at both ends: socket set-up (buffer sizes, bind or connect), the
// sealing and opening of datagrams, and their authentication (transfer id, token, peer address). What passes all
// three reaches the transfer's handler; the rest is counted (malformed, spoofed) and dropped.
//
// Sealing and opening happen in one place, `DatagramProtection`: the packet codec's CRC32 trailer without TLS
// (`crcProtection`), AES-128-GCM keyed from the TLS session under TLS (runtime/udp-crypto.ts). Packets are laid out
// unsealed, with room for the protection's trailer, and sealed once, here.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import type { AckInfo } from '../machines/transport/api.js';
import {
  CRC_BYTES, DATA_HEADER_BYTES, decodePacket, encodeAck, encodeClose, encodeHello, sealPacket, writeDataHeader, type Packet, type PacketHeader,
} from '../machines/transport/packet-codec.js';
import { ReplayError, type DatagramProtection } from './datagram-protection.js';

export type { DatagramProtection } from './datagram-protection.js';

/** Receive and send buffers for transfer sockets: the default 208 KiB holds only a dozen large datagrams. */
export const SOCKET_BUFFER_BYTES = 4 << 20;

/** Integrity only: the codec's CRC32 trailer (with `--no-tls`; the 8-byte token authenticates). */
export const crcProtection: DatagramProtection = { trailerBytes: CRC_BYTES, seal: sealPacket, open: decodePacket };

/**
 * Counts of dropped datagrams: `malformed` failed to open (bad bytes, or under AEAD a failed authentication: forged,
 * bit-flipped, truncated, reflected), `spoofed` opened but is not from this transfer's peer, or is a replay.
 */
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
  /** The packet number of the next control packet (HELLO, ACK, CLOSE) this end sends: each datagram has its own. */
  private controlPn = 0;
  /** The one DATA buffer, reused, when the protection seals into new memory (`sealCopy`). */
  private scratch: Buffer | null = null;

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

  /** Bytes the protection adds after a packet's body. */
  get trailerBytes(): number { return this.protection.trailerBytes; }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let p: Packet;
    try { p = this.protection.open(msg); } catch (e) {
      if (e instanceof ReplayError) this.opts.counters.spoofed++; else this.opts.counters.malformed++;
      return;
    }
    if (p.transferId !== this.opts.transferId || !crypto.timingSafeEqual(p.token, this.opts.token)) { this.opts.counters.spoofed++; return; }
    if (this.opts.peerFrom === 'hello') {
      if (p.type === 'hello') this.peerAddr = { address: rinfo.address, port: rinfo.port };
      else if (!this.peerAddr || rinfo.address !== this.peerAddr.address || rinfo.port !== this.peerAddr.port) { this.opts.counters.spoofed++; return; }
    }
    this.opts.onPacket(p);
  }

  /** A HELLO, sealed and sent with the next control packet number; false when it cannot go. */
  sendHello(startOffset: number, window: number): boolean {
    return this.send(encodeHello(this.header(this.controlPn++), startOffset, window, { trailer: this.trailerBytes }));
  }

  /** An ACK, sealed and sent with the next control packet number; false when it cannot go. */
  sendAck(ack: AckInfo): boolean {
    return this.send(encodeAck(this.header(this.controlPn++), ack, { trailer: this.trailerBytes }));
  }

  /** A CLOSE, sealed and sent with the next control packet number; false when it cannot go. */
  sendClose(code: number, reason: string): boolean {
    return this.send(encodeClose(this.header(this.controlPn++), code, reason, { trailer: this.trailerBytes }));
  }

  /**
   * Seals and sends a packet laid out by the codec with `trailerBytes` of room at its end (`{ trailer }`, or for the
   * CRC the codec's sealed default); false when it cannot go yet, or the protection refuses to seal it.
   */
  send(packet: Buffer): boolean {
    return this.sealAndSend(packet, packet.length - this.trailerBytes);
  }

  /**
   * A DATA packet with its header written: put `len` payload bytes at `DATA_PAYLOAD_AT`, then `sendData`. Valid until
   * the next call (with a sealing cipher the buffer is reused: it is read, sealed into new memory and sent at once).
   */
  dataPacket(pn: number, offset: number, len: number): Buffer {
    const size = DATA_HEADER_BYTES + len + this.trailerBytes;
    let buf: Buffer;
    if (this.protection.sealCopy) {
      if (!this.scratch || this.scratch.length < size) this.scratch = Buffer.allocUnsafe(size);
      buf = this.scratch.subarray(0, size);
    } else buf = Buffer.allocUnsafe(size);
    writeDataHeader(buf, this.header(pn), offset, len);
    return buf;
  }

  /** Seals and sends a DATA packet from `dataPacket` holding `len` payload bytes. */
  sendData(buf: Buffer, len: number): boolean {
    const sealCopy = this.protection.sealCopy;
    if (!sealCopy) return this.sealAndSend(buf, DATA_HEADER_BYTES + len);
    if (this.closed || !this.peerAddr) return false;
    let parts: Buffer[];
    try { parts = sealCopy.call(this.protection, buf, DATA_HEADER_BYTES + len); } catch { return false; }
    return this.sendRaw(parts);
  }

  private sealAndSend(buf: Buffer, len: number): boolean {
    if (this.closed || !this.peerAddr) return false;
    // a refused seal (a packet number not above the last one, or the number space used up) never reaches the wire
    try { this.protection.seal(buf, len); } catch { return false; }
    return this.sendRaw(buf);
  }

  private sendRaw(buf: Buffer | Buffer[]): boolean {
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
