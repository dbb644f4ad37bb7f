import { expect } from 'chai';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import {
  DATA_HEADER_BYTES, DATA_OVERHEAD_BYTES, HEADER_BYTES, MAX_ACK_RANGES, PacketError,
  decodePacket, encodeAck, encodeClose, encodeData, encodeHello, sealPacket, writeDataHeader,
} from '../../machines/transport/packet-codec.js';
import { MessengerError } from '../../machines/errors.js';

const h = { transferId: 0xdeadbeef, token: Buffer.from('0123456789abcdef', 'hex'), pn: 2 ** 40 + 5 };

function expectPacketError(buf: Buffer, pattern: RegExp): void {
  try { decodePacket(buf); } catch (e) {
    expect(e).to.be.instanceOf(PacketError);
    expect(e).to.be.instanceOf(MessengerError);
    expect((e as PacketError).code).to.equal('bad-frame');
    expect((e as Error).message).to.match(pattern);
    return;
  }
  expect.fail('decodePacket accepted a malformed packet');
}

/** Recomputes the CRC after tampering, so the test reaches the check it means to test. */
function reseal(buf: Buffer): Buffer { sealPacket(buf, buf.length - 4); return buf; }

describe('transport/packet-codec', () => {
  it('lays out the common header as specified', () => {
    const buf = encodeHello(h, 7, 1 << 20);
    expect(buf[0]).to.equal(1);
    expect(buf[1]).to.equal(1);
    expect(buf.readUInt16BE(2)).to.equal(0);
    expect(buf.readUInt32BE(4)).to.equal(0xdeadbeef);
    expect(buf.subarray(8, 16).equals(h.token)).to.equal(true);
    expect(buf.readUInt32BE(16) * 2 ** 32 + buf.readUInt32BE(20)).to.equal(h.pn);
    expect(buf.readUInt32BE(buf.length - 4)).to.equal(crc32(buf.subarray(0, buf.length - 4)));
  });

  it('round-trips HELLO, DATA, ACK and CLOSE', () => {
    expect(decodePacket(encodeHello(h, 123, 456))).to.deep.include({ type: 'hello', startOffset: 123, window: 456, pn: h.pn });
    const data = decodePacket(encodeData(h, 2 ** 50, Buffer.from('hello')));
    expect(data.type).to.equal('data');
    if (data.type === 'data') { expect(data.offset).to.equal(2 ** 50); expect(data.payload.toString()).to.equal('hello'); }
    const ack = { ranges: [[100, 90], [80, 80], [5, 0]] as Array<[number, number]>, ackDelayMs: 1.5, maxData: 10_000_000, contiguous: 4096 };
    const a = decodePacket(encodeAck(h, ack));
    expect(a.type === 'ack' && a.ack).to.deep.equal(ack);
    const c = decodePacket(encodeClose(h, 3, 'bye ✓'));
    expect(c).to.deep.include({ type: 'close', code: 3, reason: 'bye ✓' });
    expect(c.token.equals(h.token)).to.equal(true);
  });

  it('writes a DATA header into a caller buffer for zero-copy payloads', () => {
    const payload = Buffer.from('file bytes read in place');
    const buf = Buffer.alloc(DATA_OVERHEAD_BYTES + payload.length);
    writeDataHeader(buf, h, 99, payload.length);
    payload.copy(buf, DATA_HEADER_BYTES);
    expect(sealPacket(buf, DATA_HEADER_BYTES + payload.length)).to.equal(buf.length);
    expect(buf.equals(encodeData(h, 99, payload))).to.equal(true);
  });

  it('keeps only the newest MAX_ACK_RANGES ranges', () => {
    const ranges: Array<[number, number]> = [];
    for (let i = 300; i > 0; i--) ranges.push([i * 10 + 5, i * 10]);
    const a = decodePacket(encodeAck(h, { ranges, ackDelayMs: 0, maxData: 1, contiguous: 0 }));
    expect(a.type === 'ack' && a.ack.ranges.length).to.equal(MAX_ACK_RANGES);
    expect(a.type === 'ack' && a.ack.ranges[0]).to.deep.equal([3005, 3000]);
  });

  it('cuts a long CLOSE reason on a character boundary', () => {
    const c = decodePacket(encodeClose(h, 1, 'é'.repeat(200)));
    expect(c.type === 'close' && c.reason).to.equal('é'.repeat(127));
  });

  it('refuses short, corrupted, wrong-version, unknown-type and inconsistent packets', () => {
    expectPacketError(Buffer.alloc(10), /too short/);
    const bad = encodeData(h, 0, Buffer.from('abc'));
    bad[HEADER_BYTES + 13] ^= 1;
    expectPacketError(bad, /CRC/);
    const v = encodeHello(h, 0, 0); v[0] = 2; expectPacketError(reseal(v), /version/);
    const t = encodeHello(h, 0, 0); t[1] = 9; expectPacketError(reseal(t), /unknown packet type/);
    const f = encodeHello(h, 0, 0); f[3] = 1; expectPacketError(reseal(f), /flags/);
    const len = encodeData(h, 0, Buffer.from('abc')); len.writeUInt32BE(4, HEADER_BYTES + 8); expectPacketError(reseal(len), /DATA/);
    const big = encodeHello(h, 0, 0); big.writeUInt32BE(0x00400000, 16); expectPacketError(reseal(big), /2\^53/);
    const order = encodeAck(h, { ranges: [[10, 5], [3, 0]], ackDelayMs: 0, maxData: 0, contiguous: 0 });
    order.writeUInt32BE(20, HEADER_BYTES + 22 + 16 + 4); // second range's high becomes 20 > first's low
    expectPacketError(reseal(order), /ranges/);
  });

  it('never throws anything but PacketError on arbitrary bytes (property)', () => {
    const check = (bytes: Uint8Array, seal: boolean): void => {
      const buf = Buffer.from(bytes);
      if (seal && buf.length >= 28) { buf[0] = 1; buf[2] = 0; buf[3] = 0; buf[1] = 1 + (buf[1]! % 4); reseal(buf); }
      try { decodePacket(buf); } catch (e) { if (!(e instanceof PacketError)) throw e; }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), check), { numRuns: 3000 });
  });

  it('round-trips any valid ACK (property)', () => {
    const ackArb = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 }), { minLength: 0, maxLength: 40 }).map((points) => {
      const sorted = [...points].sort((a, b) => b - a);
      const ranges: Array<[number, number]> = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push([sorted[i]!, sorted[i + 1]!]);
      return ranges.filter((r, i) => i === 0 || r[0] < ranges[i - 1]![1]);
    });
    fc.assert(fc.property(ackArb, fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 4_000_000 }), (ranges, maxData, delayUs) => {
      const ack = { ranges, ackDelayMs: delayUs / 1000, maxData, contiguous: Math.floor(maxData / 2) };
      const p = decodePacket(encodeAck({ ...h, pn: maxData }, ack));
      expect(p.type === 'ack' && p.ack).to.deep.equal(ack);
      expect(p.pn).to.equal(maxData);
    }), { numRuns: 300 });
  });
});
