// The binary UDP wire format of the file transport. Pure: Buffers in, Buffers out.
//
// Every packet: a 24-byte common header, a type-specific body, a trailer. Without TLS the trailer is a CRC32 over
// everything before it; under TLS it is the 16-byte AEAD tag (runtime/udp-crypto.ts seals and opens; the codec only
// lays packets out with room for the trailer and decodes what the protection has verified).
//   0 version (=1) | 1 type | 2-3 flags (0) | 4-7 transfer id u32 | 8-15 token | 16-23 packet number u64
// All integers are big-endian. u64 values are written as two u32 halves and must stay below 2^53 so that they
// survive a JavaScript number. A packet number is never reused: a retransmission gets a fresh one, which keeps
// RTT samples and loss detection unambiguous (the quinn/QUIC approach, not TCP's).
//
// decodePacket() is the only entry point for bytes from the network: anything it cannot fully validate is a
// PacketError ('bad-frame'), never another exception.
import { crc32 } from 'node:zlib';
import { MessengerError } from '../errors.js';
// the datagram's version byte is the protocol's version: a hello's `v` covers both halves of the protocol
import { PROTOCOL_VERSION } from '../limits.js';
import type { AckInfo } from './api.js';

export const PacketType = { Hello: 1, Data: 2, Ack: 3, Close: 4 } as const;
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

export const TOKEN_BYTES = 8;
export const HEADER_BYTES = 24;
export const CRC_BYTES = 4;
/** Header plus DATA fields (offset u64, length u32): the payload starts here. */
export const DATA_HEADER_BYTES = HEADER_BYTES + 12;
/** Bytes a DATA packet adds around its payload. */
export const DATA_OVERHEAD_BYTES = DATA_HEADER_BYTES + CRC_BYTES;
export const HELLO_BODY_BYTES = 12;
export const ACK_FIXED_BODY_BYTES = 4 + 8 + 8 + 2;
export const ACK_RANGE_BYTES = 16;
/** ACKs carry at most this many packet-number ranges (the newest), which bounds an ACK to ~2.1 KB. */
export const MAX_ACK_RANGES = 128;
export const MAX_CLOSE_REASON_BYTES = 255;
/** Largest ack delay the u32 microsecond field can carry (~71 minutes). */
const MAX_ACK_DELAY_US = 0xffff_ffff;
const TWO_32 = 0x1_0000_0000;
/** The high half of a u64 must be below this for the value to be < 2^53. */
const SAFE_HIGH_LIMIT = 0x20_0000;

export class PacketError extends MessengerError {
  constructor(message: string) { super('bad-frame', message); this.name = 'PacketError'; }
}

export interface PacketHeader {
  transferId: number;
  /** 8 bytes; compare with Buffer.equals (or crypto.timingSafeEqual). */
  token: Buffer;
  pn: number;
}

export interface HelloPacket extends PacketHeader { type: 'hello'; startOffset: number; window: number }
/** `payload` is a view into the decoded buffer (no copy): consume it before reusing the buffer. */
export interface DataPacket extends PacketHeader { type: 'data'; offset: number; payload: Buffer }
export interface AckPacket extends PacketHeader { type: 'ack'; ack: AckInfo }
export interface ClosePacket extends PacketHeader { type: 'close'; code: number; reason: string }
export type Packet = HelloPacket | DataPacket | AckPacket | ClosePacket;

// ---------------------------------------------------------------------------------------------- primitives

function writeU64(buf: Buffer, value: number, at: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 field out of range: ${value}`);
  buf.writeUInt32BE(Math.floor(value / TWO_32), at);
  buf.writeUInt32BE(value % TWO_32, at + 4);
}

function readU64(buf: Buffer, at: number, field: string): number {
  const hi = buf.readUInt32BE(at);
  if (hi >= SAFE_HIGH_LIMIT) throw new PacketError(`${field} is not below 2^53`);
  return hi * TWO_32 + buf.readUInt32BE(at + 4);
}

function writeHeader(buf: Buffer, type: PacketTypeCode, h: PacketHeader): void {
  if (h.token.length !== TOKEN_BYTES) throw new RangeError(`token must be ${TOKEN_BYTES} bytes`);
  buf[0] = PROTOCOL_VERSION;
  buf[1] = type;
  buf.writeUInt16BE(0, 2);
  buf.writeUInt32BE(h.transferId >>> 0, 4);
  h.token.copy(buf, 8);
  writeU64(buf, h.pn, 16);
}

/** Writes the CRC32 of buf[0, len) at len; returns the packet length including the trailer. */
export function sealPacket(buf: Buffer, len: number): number {
  buf.writeUInt32BE(crc32(buf.subarray(0, len)), len);
  return len + CRC_BYTES;
}

function allocPacket(type: PacketTypeCode, h: PacketHeader, bodyBytes: number, trailer: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + bodyBytes + trailer);
  writeHeader(buf, type, h);
  return buf;
}

/**
 * The encoders' last argument: without it the packet is sealed with the CRC32 trailer; with it (`{ trailer: n }`) it
 * is left unsealed with n bytes of room at its end, for the endpoint's protection to seal (the AEAD tag, or the CRC).
 */
export interface Unsealed { trailer: number }

function finish(buf: Buffer, len: number, unsealed: Unsealed | undefined): Buffer {
  if (!unsealed) sealPacket(buf, len);
  return buf;
}

// ------------------------------------------------------------------------------------------------ encoders

/**
 * Writes a DATA header for a `payloadLen`-byte payload into `buf`; the caller then puts the payload at
 * DATA_HEADER_BYTES (for instance by reading the file straight into it) and calls sealPacket(buf, DATA_HEADER_BYTES + payloadLen).
 */
export function writeDataHeader(buf: Buffer, h: PacketHeader, offset: number, payloadLen: number): void {
  if (buf.length < DATA_OVERHEAD_BYTES + payloadLen) throw new RangeError('buffer too small for the DATA packet');
  writeHeader(buf, PacketType.Data, h);
  writeU64(buf, offset, HEADER_BYTES);
  buf.writeUInt32BE(payloadLen, HEADER_BYTES + 8);
}

export function encodeData(h: PacketHeader, offset: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(DATA_OVERHEAD_BYTES + payload.length);
  writeDataHeader(buf, h, offset, payload.length);
  buf.set(payload, DATA_HEADER_BYTES);
  sealPacket(buf, DATA_HEADER_BYTES + payload.length);
  return buf;
}

export function encodeHello(h: PacketHeader, startOffset: number, window: number, unsealed?: Unsealed): Buffer {
  const buf = allocPacket(PacketType.Hello, h, HELLO_BODY_BYTES, unsealed?.trailer ?? CRC_BYTES);
  writeU64(buf, startOffset, HEADER_BYTES);
  buf.writeUInt32BE(Math.min(window, 0xffff_ffff) >>> 0, HEADER_BYTES + 8);
  return finish(buf, HEADER_BYTES + HELLO_BODY_BYTES, unsealed);
}

/** Encodes an ACK. Ranges must be inclusive and descending; only the first (newest) MAX_ACK_RANGES are kept. */
export function encodeAck(h: PacketHeader, ack: AckInfo, unsealed?: Unsealed): Buffer {
  const ranges = ack.ranges.slice(0, MAX_ACK_RANGES);
  const body = ACK_FIXED_BODY_BYTES + ranges.length * ACK_RANGE_BYTES;
  const buf = allocPacket(PacketType.Ack, h, body, unsealed?.trailer ?? CRC_BYTES);
  let at = HEADER_BYTES;
  const delayUs = Math.min(MAX_ACK_DELAY_US, Math.max(0, Math.round(ack.ackDelayMs * 1000)));
  buf.writeUInt32BE(delayUs, at); at += 4;
  writeU64(buf, ack.maxData, at); at += 8;
  writeU64(buf, ack.contiguous, at); at += 8;
  buf.writeUInt16BE(ranges.length, at); at += 2;
  for (const [high, low] of ranges) {
    writeU64(buf, high, at); writeU64(buf, low, at + 8); at += ACK_RANGE_BYTES;
  }
  return finish(buf, at, unsealed);
}

/** Encodes a CLOSE; the reason is cut (on a character boundary) to MAX_CLOSE_REASON_BYTES of UTF-8. */
export function encodeClose(h: PacketHeader, code: number, reason: string, unsealed?: Unsealed): Buffer {
  const text = truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
  const buf = allocPacket(PacketType.Close, h, 3 + text.length, unsealed?.trailer ?? CRC_BYTES);
  buf.writeUInt16BE(code & 0xffff, HEADER_BYTES);
  buf[HEADER_BYTES + 2] = text.length;
  text.copy(buf, HEADER_BYTES + 3);
  return finish(buf, HEADER_BYTES + 3 + text.length, unsealed);
}

function truncateUtf8(s: string, maxBytes: number): Buffer {
  let b = Buffer.from(s, 'utf8');
  if (b.length <= maxBytes) return b;
  let end = maxBytes;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // never cut inside a multi-byte sequence
  b = b.subarray(0, end);
  return b;
}

// ------------------------------------------------------------------------------------------------- decoder

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Validates and decodes one datagram sealed with the CRC32 trailer. Throws PacketError on anything malformed. */
export function decodePacket(buf: Buffer): Packet {
  if (buf.length < HEADER_BYTES + CRC_BYTES) throw new PacketError(`packet too short (${buf.length} bytes)`);
  const bodyEnd = buf.length - CRC_BYTES;
  if (crc32(buf.subarray(0, bodyEnd)) !== buf.readUInt32BE(bodyEnd)) throw new PacketError('bad CRC');
  return decodeOpened(buf, bodyEnd);
}

/** The packet number of a datagram's header (before it is verified: the AEAD nonce needs it); throws PacketError. */
export function peekPn(buf: Buffer): number {
  if (buf.length < HEADER_BYTES) throw new PacketError(`packet too short (${buf.length} bytes)`);
  return readU64(buf, 16, 'packet number');
}

/**
 * Validates and decodes buf[0, bodyEnd): header and body of a datagram whose trailer the protection has already
 * verified (and whose body it has decrypted in place). Throws PacketError on anything malformed.
 */
export function decodeOpened(buf: Buffer, bodyEnd: number): Packet {
  if (bodyEnd < HEADER_BYTES) throw new PacketError(`packet too short (${bodyEnd} bytes before its trailer)`);
  if (buf[0] !== PROTOCOL_VERSION) throw new PacketError(`unsupported version ${buf[0]}`);
  if (buf.readUInt16BE(2) !== 0) throw new PacketError('unknown flags');
  const h: PacketHeader = {
    transferId: buf.readUInt32BE(4),
    token: Buffer.from(buf.subarray(8, 8 + TOKEN_BYTES)), // a copy: the header outlives the receive buffer
    pn: readU64(buf, 16, 'packet number'),
  };
  const body = buf.subarray(HEADER_BYTES, bodyEnd);
  switch (buf[1]) {
    case PacketType.Hello: return decodeHello(h, body);
    case PacketType.Data: return decodeData(h, body);
    case PacketType.Ack: return decodeAck(h, body);
    case PacketType.Close: return decodeClose(h, body);
    default: throw new PacketError(`unknown packet type ${buf[1]}`);
  }
}

function expectLength(body: Buffer, len: number, what: string): void {
  if (body.length !== len) throw new PacketError(`${what}: body is ${body.length} bytes, expected ${len}`);
}

function decodeHello(h: PacketHeader, body: Buffer): HelloPacket {
  expectLength(body, HELLO_BODY_BYTES, 'HELLO');
  return { type: 'hello', ...h, startOffset: readU64(body, 0, 'startOffset'), window: body.readUInt32BE(8) };
}

function decodeData(h: PacketHeader, body: Buffer): DataPacket {
  if (body.length < 12) throw new PacketError('DATA: body too short');
  const offset = readU64(body, 0, 'offset');
  const len = body.readUInt32BE(8);
  expectLength(body, 12 + len, 'DATA');
  if (!Number.isSafeInteger(offset + len)) throw new PacketError('DATA: offset + length is not below 2^53');
  return { type: 'data', ...h, offset, payload: body.subarray(12) };
}

function decodeAck(h: PacketHeader, body: Buffer): AckPacket {
  if (body.length < ACK_FIXED_BODY_BYTES) throw new PacketError('ACK: body too short');
  const ackDelayMs = body.readUInt32BE(0) / 1000;
  const maxData = readU64(body, 4, 'maxData');
  const contiguous = readU64(body, 12, 'contiguous');
  const count = body.readUInt16BE(20);
  if (count > MAX_ACK_RANGES) throw new PacketError(`ACK: ${count} ranges (at most ${MAX_ACK_RANGES})`);
  expectLength(body, ACK_FIXED_BODY_BYTES + count * ACK_RANGE_BYTES, 'ACK');
  const ranges: Array<[number, number]> = [];
  let floor = Infinity; // each range must lie strictly below the previous one
  for (let i = 0, at = ACK_FIXED_BODY_BYTES; i < count; i++, at += ACK_RANGE_BYTES) {
    const high = readU64(body, at, 'ACK range');
    const low = readU64(body, at + 8, 'ACK range');
    if (low > high || high >= floor) throw new PacketError('ACK: ranges not descending and disjoint');
    ranges.push([high, low]);
    floor = low;
  }
  return { type: 'ack', ...h, ack: { ranges, ackDelayMs, maxData, contiguous } };
}

function decodeClose(h: PacketHeader, body: Buffer): ClosePacket {
  if (body.length < 3) throw new PacketError('CLOSE: body too short');
  const len = body[2]!;
  expectLength(body, 3 + len, 'CLOSE');
  let reason: string;
  try { reason = utf8.decode(body.subarray(3)); } catch { throw new PacketError('CLOSE: reason is not UTF-8'); }
  return { type: 'close', ...h, code: body.readUInt16BE(0), reason };
}
