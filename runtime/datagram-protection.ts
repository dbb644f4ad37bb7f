// The seam where a transfer datagram is sealed before it leaves and opened when it arrives, apart from both the
// endpoint that uses it (udp-endpoint.ts) and the protections behind it (the CRC there, the AEAD in udp-crypto.ts).
import { PacketError, type Packet } from '../machines/transport/packet-codec.js';

/** The one seam where a datagram is sealed before it leaves and opened (checked, decoded) when it arrives. */
export interface DatagramProtection {
  /** Bytes the trailer takes at the end of every datagram (4 for the CRC, 16 for the AEAD tag). */
  readonly trailerBytes: number;
  /** Seals buf[0, len) in place (the trailer goes at len); returns the datagram's length; throws when it must not seal. */
  seal(buf: Buffer, len: number): number;
  /**
   * Optional, for a protection that cannot seal in place (a cipher writes new memory): seals buf[0, len) into new
   * buffers, the datagram's parts in order, leaving buf free to reuse at once (DATA packets then share one buffer).
   */
  sealCopy?(buf: Buffer, len: number): Buffer[];
  /** Opens a datagram from the network; throws on anything it cannot verify and decode (ReplayError for a replay). */
  open(msg: Buffer): Packet;
}

/** A datagram that authenticated but was seen before, or is older than the replay window. */
export class ReplayError extends PacketError {
  constructor(pn: number) { super(`packet number ${pn} replayed or older than the replay window`); this.name = 'ReplayError'; }
}
