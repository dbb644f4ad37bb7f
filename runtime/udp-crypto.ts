// Datagram encryption for transfers under TLS: AES-128-GCM keyed from the TLS session, one key schedule per transfer
// and per direction, the packet number as nonce, the 24-byte header as associated data, a 16-byte tag as trailer
// (docs/DESIGN.md, "Datagram keys"; docs/PROTOCOL.md, "UDP transport").
//
//   secrets  = TLS exporter(label EXPORTER_LABEL, context = transfer id u32 BE, 64 bytes)
//              [0, 32) server -> client, [32, 64) client -> server
//   key(e)   = HKDF-SHA256(secret, info "messenger key" || e u32 BE, 16)   e = epoch = floor(pn / PN_PER_KEY)
//   ivSalt   = HKDF-SHA256(secret, info "messenger iv", 12)
//   nonce    = ivSalt XOR (pn as 96-bit big-endian)
//
// A direction's packet numbers only ever grow (seal refuses anything else), so a nonce is never used twice under one
// key; every PN_PER_KEY packets the key changes (both ends compute it from the packet number, no signal needed),
// which keeps each key far below AES-GCM's confidentiality limit. The receiving side keeps a replay window (a bitmap
// of the last REPLAY_WINDOW packet numbers): a datagram already seen, or older than the window, is dropped.
import crypto from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { DatagramSeal } from '../machines/frames.js';
import { decodeOpened, HEADER_BYTES, PacketError, peekPn, type Packet } from '../machines/transport/packet-codec.js';
import { ReplayError, type DatagramProtection } from './datagram-protection.js';

export { ReplayError } from './datagram-protection.js';

/** Our TLS exporter label (RFC 8446 section 7.5; the EXPORTER- prefix marks labels outside the IANA registry). */
export const EXPORTER_LABEL = 'EXPORTER-messenger-transfer';
export const AEAD_ALGORITHM = 'aes-128-gcm';
/** What the offer frame's `seal` field says for datagrams sealed here. */
export const AEAD_SEAL_NAME: DatagramSeal = 'aes-128-gcm';
export const TAG_BYTES = 16;
const KEY_BYTES = 16;
const IV_BYTES = 12;
const SECRET_BYTES = 32;
/** Packets sealed under one key: 2^22, half RFC 9001's AES-GCM confidentiality limit of 2^23 packets per key. */
export const PN_PER_KEY = 2 ** 22;
/** Packet numbers end below 2^53 (the codec's u64 limit): seal refuses past it (at a million packets a second, 285 years). */
export const PN_LIMIT = Number.MAX_SAFE_INTEGER;
/** How many recent packet numbers the replay window remembers. */
export const REPLAY_WINDOW = 4096;

export type Direction = 'server-to-client' | 'client-to-server';

/** One direction's key schedule: the secret, its IV salt and the key of the epoch last used. */
export class DirectionKeys {
  readonly ivSalt: Buffer;
  private epoch = -1;
  private epochKey: Buffer = Buffer.alloc(0);

  constructor(private readonly secret: Buffer) {
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a direction secret is ${SECRET_BYTES} bytes`);
    this.ivSalt = hkdf(secret, Buffer.from('messenger iv'), IV_BYTES);
  }

  /** The key for packet number pn (a new key every PN_PER_KEY packets). */
  key(pn: number): Buffer {
    const e = Math.floor(pn / PN_PER_KEY);
    if (e !== this.epoch) {
      const info = Buffer.alloc(13 + 4);
      info.write('messenger key', 0, 'latin1');
      info.writeUInt32BE(e, 13);
      this.epochKey = hkdf(this.secret, info, KEY_BYTES);
      this.epoch = e;
    }
    return this.epochKey;
  }

  /** ivSalt XOR pn, the pn as a 96-bit big-endian number (it is below 2^53, so it touches the last 7 bytes). */
  nonce(pn: number): Buffer {
    const n = Buffer.from(this.ivSalt);
    const hi = Math.floor(pn / 0x1_0000_0000);
    const lo = pn >>> 0;
    n.writeUInt32BE((n.readUInt32BE(4) ^ hi) >>> 0, 4);
    n.writeUInt32BE((n.readUInt32BE(8) ^ lo) >>> 0, 8);
    return n;
  }
}

function hkdf(secret: Buffer, info: Buffer, len: number): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), info, len));
}

/** Both directions' keys of one transfer. */
export interface TransferKeys { serverToClient: DirectionKeys; clientToServer: DirectionKeys }

/** Splits the exporter's 64 bytes into the two directions' key schedules. */
export function transferKeysFrom(material: Buffer): TransferKeys {
  if (material.length !== 2 * SECRET_BYTES) throw new RangeError(`keying material is ${2 * SECRET_BYTES} bytes`);
  return {
    serverToClient: new DirectionKeys(material.subarray(0, SECRET_BYTES)),
    clientToServer: new DirectionKeys(material.subarray(SECRET_BYTES)),
  };
}

/** The exporter's context for a transfer: its id as u32 big-endian. */
export function exporterContext(transferId: number): Buffer {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(transferId >>> 0, 0);
  return c;
}

/** A transfer's keying material, exported from an established TLS 1.3 session (the same on both ends of it). */
export function transferMaterial(tls: TLSSocket, transferId: number): Buffer {
  return tls.exportKeyingMaterial(2 * SECRET_BYTES, EXPORTER_LABEL, exporterContext(transferId));
}

/** Derives a transfer's keys from an established TLS 1.3 session (the same on both ends of it). */
export function deriveTransferKeys(tls: TLSSocket, transferId: number): TransferKeys {
  return transferKeysFrom(transferMaterial(tls, transferId));
}

/** A bitmap of the last REPLAY_WINDOW packet numbers received (RFC 6347 section 4.1.2.6, RFC 4303 section 3.4.3). */
export class ReplayWindow {
  private readonly bits = new Uint32Array(REPLAY_WINDOW / 32);
  /** The highest packet number accepted, -1 before the first. */
  private top = -1;

  /** Whether pn may be new: not seen, and not older than the window. */
  fresh(pn: number): boolean {
    if (pn > this.top) return true;
    if (this.top - pn >= REPLAY_WINDOW) return false;
    return (this.bits[(pn % REPLAY_WINDOW) >>> 5]! & (1 << (pn & 31))) === 0;
  }

  /** Records pn as received (after it authenticated). */
  mark(pn: number): void {
    if (pn > this.top) {
      if (pn - this.top >= REPLAY_WINDOW) this.bits.fill(0);
      else for (let q = this.top + 1; q < pn; q++) this.clear(q);
      this.clear(pn);
      this.top = pn;
    }
    this.bits[(pn % REPLAY_WINDOW) >>> 5]! |= 1 << (pn & 31);
  }

  private clear(pn: number): void { this.bits[(pn % REPLAY_WINDOW) >>> 5]! &= ~(1 << (pn & 31)); }
}

/**
 * The AEAD protection of one end of a transfer: seals with its own direction's keys, opens with the other's, so a
 * datagram reflected back to its sender does not authenticate.
 */
export class AeadProtection implements DatagramProtection {
  readonly trailerBytes = TAG_BYTES;
  readonly seal: (buf: Buffer, len: number) => number;
  readonly sealCopy: (buf: Buffer, len: number) => Buffer[];
  readonly open: (msg: Buffer) => Packet;
  private readonly sendKeys: DirectionKeys;
  private readonly recvKeys: DirectionKeys;
  private readonly replay = new ReplayWindow();
  /** The last packet number sealed, -1 before the first: each one must be larger. */
  private lastSealed = -1;

  constructor(keys: TransferKeys, side: 'server' | 'client') {
    this.sendKeys = side === 'server' ? keys.serverToClient : keys.clientToServer;
    this.recvKeys = side === 'server' ? keys.clientToServer : keys.serverToClient;
    this.seal = (buf, len) => this.sealIt(buf, len);
    this.sealCopy = (buf, len) => this.sealNew(buf, len);
    this.open = (msg) => this.openIt(msg);
  }

  /** A cipher for the packet in buf, its header authenticated; checks the nonce rule and takes the number. */
  private cipherFor(buf: Buffer): crypto.CipherGCM {
    const pn = peekPn(buf);
    if (pn <= this.lastSealed) throw new RangeError(`packet number ${pn} is not above the last one sealed (${this.lastSealed}): a nonce is never reused`);
    if (pn >= PN_LIMIT) throw new RangeError('the packet number space of this transfer is used up');
    this.lastSealed = pn;
    const c = crypto.createCipheriv(AEAD_ALGORITHM, this.sendKeys.key(pn), this.sendKeys.nonce(pn), { authTagLength: TAG_BYTES });
    c.setAAD(buf.subarray(0, HEADER_BYTES));
    return c;
  }

  /** Encrypts buf[HEADER_BYTES, len) in place, the header authenticated with it; the tag goes at len. */
  private sealIt(buf: Buffer, len: number): number {
    if (buf.length < len + TAG_BYTES) throw new RangeError('no room for the tag');
    const c = this.cipherFor(buf);
    const n = c.update(buf.subarray(HEADER_BYTES, len)).copy(buf, HEADER_BYTES);
    c.final().copy(buf, HEADER_BYTES + n); // GCM is a stream mode: final() is empty
    c.getAuthTag().copy(buf, len);
    return len + TAG_BYTES;
  }

  /** The same datagram as sealIt's, as [header, ciphertext, tag] in new memory; buf is left as it was. */
  private sealNew(buf: Buffer, len: number): Buffer[] {
    const c = this.cipherFor(buf);
    const header = Buffer.from(buf.subarray(0, HEADER_BYTES));
    const body = c.update(buf.subarray(HEADER_BYTES, len));
    c.final();
    return [header, body, c.getAuthTag()];
  }

  /** Verifies and decrypts a datagram in place, then decodes it; throws PacketError (ReplayError for a replay). */
  private openIt(msg: Buffer): Packet {
    if (msg.length < HEADER_BYTES + TAG_BYTES) throw new PacketError(`packet too short (${msg.length} bytes)`);
    const pn = peekPn(msg);
    const end = msg.length - TAG_BYTES;
    const d = crypto.createDecipheriv(AEAD_ALGORITHM, this.recvKeys.key(pn), this.recvKeys.nonce(pn), { authTagLength: TAG_BYTES });
    d.setAAD(msg.subarray(0, HEADER_BYTES));
    d.setAuthTag(msg.subarray(end));
    const plain = d.update(msg.subarray(HEADER_BYTES, end));
    try { d.final(); } catch { throw new PacketError('datagram failed authentication'); }
    // the replay check comes after authentication, so that a forgery is counted as one even with a used number
    if (!this.replay.fresh(pn)) throw new ReplayError(pn);
    plain.copy(msg, HEADER_BYTES);
    const p = decodeOpened(msg, end);
    this.replay.mark(pn);
    return p;
  }
}

/** The protection for one end of a transfer keyed from its TLS session. */
export function aeadProtection(tls: TLSSocket, transferId: number, side: 'server' | 'client'): AeadProtection {
  return new AeadProtection(deriveTransferKeys(tls, transferId), side);
}
