// Per-transfer datagram keys handed from one cluster node to another without crossing NATS in clear
// (docs/SECURITY.md, "Cluster: transfer keys between nodes").
//
// A client's transfer keys come from its TLS session, which only the node it is connected to has. When another
// node holds the file, that node sends the datagrams, so it needs the keys: the client's node seals them to the
// holder's X25519 public key (made at the holder's start, kept in memory only, announced with its catalogue):
//
//   eph        = a fresh X25519 key pair for this one seal
//   shared     = X25519(eph.private, holder.public)
//   key        = HKDF-SHA256(ikm shared, salt eph.public || holder.public, info "messenger cluster transfer keys", 32)
//   sealed     = AES-256-GCM(key, random 12-byte iv, keying material, aad "messenger-transfer|prefix|origin|holder|id")
//
// The associated data binds the sealed keys to one transfer id between one pair of nodes of one cluster: a sealed
// blob replayed for another transfer, or to another node, does not open.
import crypto from 'node:crypto';

const INFO = Buffer.from('messenger cluster transfer keys');
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** An X25519 public key as it travels: 32 bytes, base64url (43 characters). */
const PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/;

export interface SealedKeys {
  /** The ephemeral public key (base64url). */
  epk: string;
  /** AES-GCM's iv (base64url). */
  iv: string;
  /** Ciphertext and tag (base64url). */
  ct: string;
}

/** What the sealed keys are bound to. */
export interface SealContext { prefix: string; origin: string; holder: string; id: number }

const aad = (c: SealContext) => Buffer.from(`messenger-transfer|${c.prefix}|${c.origin}|${c.holder}|${c.id}`, 'utf8');

function rawPublic(k: crypto.KeyObject): Buffer {
  const jwk = k.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an X25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

function importPublic(b64url: string): crypto.KeyObject {
  if (!PUBLIC_KEY.test(b64url)) throw new Error('an X25519 public key is 32 bytes in base64url');
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url }, format: 'jwk' });
}

export function isPublicKey(v: unknown): v is string { return typeof v === 'string' && PUBLIC_KEY.test(v); }

function wrapKey(shared: Buffer, epk: Buffer, holderPub: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', shared, Buffer.concat([epk, holderPub]), INFO, 32));
}

/** A node's key pair for receiving sealed transfer keys: made at start, never written anywhere. */
export class NodeKeys {
  private readonly priv: crypto.KeyObject;
  /** The public key, base64url, as announced. */
  readonly publicKey: string;
  private readonly pubRaw: Buffer;

  constructor() {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('x25519');
    this.priv = privateKey;
    this.pubRaw = rawPublic(publicKey);
    this.publicKey = this.pubRaw.toString('base64url');
  }

  /** Opens keys sealed to this node; throws when they were not sealed to it, for this context, or were altered. */
  open(s: SealedKeys, c: SealContext): Buffer {
    const epk = importPublic(s.epk);
    const shared = crypto.diffieHellman({ privateKey: this.priv, publicKey: epk });
    const key = wrapKey(shared, Buffer.from(s.epk, 'base64url'), this.pubRaw);
    const body = Buffer.from(s.ct, 'base64url');
    const iv = Buffer.from(s.iv, 'base64url');
    if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) throw new Error('sealed keys of the wrong size');
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    d.setAAD(aad(c));
    d.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = d.update(body.subarray(0, body.length - TAG_BYTES));
    try { d.final(); } catch { throw new Error('sealed keys failed authentication'); }
    return plain;
  }
}

/** Seals `material` to the holder's public key (base64url), bound to `c`. */
export function sealKeys(material: Buffer, holderPublicKey: string, c: SealContext): SealedKeys {
  const holder = importPublic(holderPublicKey);
  const eph = crypto.generateKeyPairSync('x25519');
  const epk = rawPublic(eph.publicKey);
  const shared = crypto.diffieHellman({ privateKey: eph.privateKey, publicKey: holder });
  const key = wrapKey(shared, epk, Buffer.from(holderPublicKey, 'base64url'));
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(c));
  const ct = Buffer.concat([cipher.update(material), cipher.final(), cipher.getAuthTag()]);
  return { epk: epk.toString('base64url'), iv: iv.toString('base64url'), ct: ct.toString('base64url') };
}
