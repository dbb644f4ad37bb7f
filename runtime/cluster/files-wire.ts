// What cluster nodes say to each other about shared files and the downloads one serves for another's client, and
// its strict decoding: anything without the expected shape (another program on the broker, a newer version, a
// catalogue over its size bound) is dropped, never trusted.
import { isErrorCode } from '../../machines/errors.js';
import { checkSharedName } from '../../machines/file-name.js';
import type { FileEntry, ServerFrame, TransferServerFrame } from '../../machines/frames.js';
import { isIpLiteral } from '../../machines/offer.js';
import { isPublicKey, type SealedKeys } from './key-seal.js';
import { TOKEN } from './subjects.js';

/** Bytes one node's catalogue announcement may take on the wire (its files beyond this are not announced). */
export const CATALOGUE_BYTES = 192 * 1024;

/** One node's shared folder, as announced on start, on change, on request and every TIMING.clusterCatalogueMs. */
export interface CatalogueAnnouncement {
  node: string;
  /** Random for each start of the node; `rev` grows with every announcement of one run (an older one arriving late
   *  is ignored). */
  run: string;
  rev: number;
  /** The node's X25519 public key (base64url): transfer keys for it are sealed to it. */
  key: string;
  /** The IP address clients send this node's transfer datagrams to, when it has a definite one. */
  host?: string;
  files: FileEntry[];
  /** Files left out to keep the announcement under CATALOGUE_BYTES. */
  omitted?: number;
}

/** `node`: only that node answers (one heard of for the first time); absent: every node. */
export interface CatalogueRequest { from: string; node?: string }

/** From a client's node to the node holding the file (request/reply on subjects.transfer(holder)). */
export type TransferRequest =
  /** `keys`: the transfer's keying material sealed to the holder (absent: the client's connection has no TLS). */
  | { op: 'get'; from: string; id: number; user: string; file: string; offset?: number; sha256?: string; ref?: string; keys?: SealedKeys }
  | { op: 'consent'; from: string; id: number; answer: 'yes' | 'no' }
  | { op: 'stop'; from: string; id: number }
  /** The client is gone (left, or its node stopped): no reply expected. */
  | { op: 'cancel'; from: string; id: number; reason: string };

export type TransferReply = { ok: true } | { ok: false; message: string };

/** A transfer-control frame for a client of the receiving node, from the node serving its download. */
export interface Relayed { node: string; id: number; frame: TransferServerFrame | Extract<ServerFrame, { type: 'error' }> }

const enc = new TextEncoder();
const dec = new TextDecoder();
export const encode = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));

type Obj = Record<string, unknown>;
function parse(data: Uint8Array, max = 64 * 1024): Obj | null {
  if (data.length > max) return null;
  try {
    const v: unknown = JSON.parse(dec.decode(data));
    return isObj(v) ? v : null;
  } catch { return null; }
}
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const id = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 0xffff_ffff;
const node = (v: unknown): v is string => typeof v === 'string' && TOKEN.test(v);
const opt = <T>(v: unknown, check: (x: unknown) => x is T): boolean => v === undefined || check(v);
const sharedName = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096 && checkSharedName(v) === null;
const hex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const b64url = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max && /^[A-Za-z0-9_-]+$/.test(v);

export function decodeCatalogue(data: Uint8Array): CatalogueAnnouncement | null {
  const o = parse(data, CATALOGUE_BYTES + 1024);
  if (!o || !node(o.node) || typeof o.run !== 'string' || !/^[0-9a-f]{16}$/.test(o.run) || !count(o.rev) || !isPublicKey(o.key) || !opt(o.host, isIpLiteral) || !opt(o.omitted, count) || !Array.isArray(o.files)) return null;
  const files: FileEntry[] = [];
  for (const f of o.files as unknown[]) {
    if (!isObj(f) || !sharedName(f.name) || !count(f.size)) return null;
    files.push({ name: f.name, size: f.size });
  }
  return { node: o.node, run: o.run, rev: o.rev, key: o.key, files, ...(o.host !== undefined ? { host: o.host as string } : {}), ...(o.omitted ? { omitted: o.omitted as number } : {}) };
}

export function decodeCatalogueRequest(data: Uint8Array): CatalogueRequest | null {
  const o = parse(data);
  if (!o || !node(o.from)) return null;
  return o.node === undefined ? { from: o.from } : node(o.node) ? { from: o.from, node: o.node } : null;
}

function decodeSealed(v: unknown): SealedKeys | null {
  return isObj(v) && isPublicKey(v.epk) && b64url(v.iv, 16) && b64url(v.ct, 256) ? { epk: v.epk, iv: v.iv, ct: v.ct } : null;
}

export function decodeTransferRequest(data: Uint8Array): TransferRequest | null {
  const o = parse(data);
  if (!o || !node(o.from) || !id(o.id)) return null;
  const { from } = o;
  switch (o.op) {
    case 'get': {
      if (!str(o.user, 256) || !str(o.file, 4096) || !opt(o.offset, count) || !opt(o.sha256, hex64) || !opt(o.ref, (v): v is string => str(v, 64))) return null;
      const keys = o.keys === undefined ? undefined : decodeSealed(o.keys);
      if (keys === null) return null;
      const r: TransferRequest = { op: 'get', from, id: o.id, user: o.user, file: o.file };
      if (o.offset !== undefined) r.offset = o.offset as number;
      if (o.sha256 !== undefined) r.sha256 = o.sha256 as string;
      if (o.ref !== undefined) r.ref = o.ref as string;
      if (keys) r.keys = keys;
      return r;
    }
    case 'consent': return o.answer === 'yes' || o.answer === 'no' ? { op: 'consent', from, id: o.id, answer: o.answer } : null;
    case 'stop': return { op: 'stop', from, id: o.id };
    case 'cancel': return typeof o.reason === 'string' ? { op: 'cancel', from, id: o.id, reason: o.reason.slice(0, 200) } : null;
    default: return null;
  }
}

export function decodeTransferReply(data: Uint8Array): TransferReply | null {
  const o = parse(data);
  if (!o) return null;
  if (o.ok === true) return { ok: true };
  if (o.ok === false && typeof o.message === 'string') return { ok: false, message: o.message.slice(0, 500) };
  return null;
}

/** A relayed frame, checked field by field as the client would (and its id must be the relay's). */
export function decodeRelayed(data: Uint8Array): Relayed | null {
  const o = parse(data);
  if (!o || !node(o.node) || !id(o.id) || !isObj(o.frame)) return null;
  const f = o.frame;
  const frame = checkFrame(f);
  if (!frame || ('id' in frame && frame.id !== undefined && frame.id !== o.id)) return null;
  return { node: o.node, id: o.id, frame };
}

function checkFrame(f: Obj): Relayed['frame'] | null {
  const ref = (v: unknown): v is string => str(v, 64);
  switch (f.type) {
    case 'offer': {
      if (!id(f.id) || !sharedName(f.file) || !count(f.size) || !hex64(f.sha256) || !count(f.port) || f.port > 65535 || typeof f.token !== 'string' || !/^[0-9a-f]{16}$/.test(f.token)
        || !count(f.offset) || !count(f.chunk) || !count(f.halfway) || typeof f.resumed !== 'boolean' || !opt(f.ref, ref)
        || !(f.seal === undefined || f.seal === 'crc32' || f.seal === 'aes-128-gcm')) return null;
      const o: TransferServerFrame = { type: 'offer', id: f.id, file: f.file, size: f.size, sha256: f.sha256, port: f.port, token: f.token, offset: f.offset, chunk: f.chunk, halfway: f.halfway, resumed: f.resumed };
      if (f.ref !== undefined) o.ref = f.ref as string;
      if (f.seal !== undefined) o.seal = f.seal as 'crc32' | 'aes-128-gcm';
      return o;
    }
    case 'ask': return id(f.id) && sharedName(f.file) && count(f.received) && count(f.size) ? { type: 'ask', id: f.id, file: f.file, received: f.received, size: f.size } : null;
    case 'complete': {
      if (!id(f.id) || !sharedName(f.file) || !count(f.size) || !hex64(f.sha256) || !opt(f.lastByte, count) || (f.lastByte as number) > 255) return null;
      return { type: 'complete', id: f.id, file: f.file, size: f.size, sha256: f.sha256, ...(f.lastByte !== undefined ? { lastByte: f.lastByte as number } : {}) };
    }
    case 'stopped': return id(f.id) && sharedName(f.file) && count(f.received) && typeof f.reason === 'string' ? { type: 'stopped', id: f.id, file: f.file, received: f.received, reason: f.reason.slice(0, 500) } : null;
    case 'error': {
      if (!isErrorCode(f.code) || typeof f.message !== 'string' || !opt(f.re, (v): v is string => str(v, 32)) || !opt(f.id, id) || !opt(f.file, (v): v is string => str(v, 4096)) || !opt(f.ref, ref)) return null;
      const e: Extract<ServerFrame, { type: 'error' }> = { type: 'error', code: f.code, message: f.message.slice(0, 1000) };
      if (f.re !== undefined) e.re = f.re as string;
      if (f.id !== undefined) e.id = f.id as number;
      if (f.file !== undefined) e.file = f.file as string;
      if (f.ref !== undefined) e.ref = f.ref as string;
      return e;
    }
    default: return null;
  }
}
