// runtime/finished-text.ts: the sentence every view tells a finished download in, the original wording first.
import { expect } from 'chai';
import { finishedText, type FinishedEvent } from '../../runtime/finished-text.js';

const ev = (more: Partial<FinishedEvent> = {}): FinishedEvent => ({
  type: 'finished', id: 1, file: 'f.bin', size: 1_048_576, sha256: 'ab'.repeat(32), path: 'downloads/f.bin',
  user: 'bob', seconds: 0.04, goodput: 26_214_400, lastByte: 78, ...more,
});

describe('finished text', () => {
  it("starts with the original sentence, naming the user and the last byte's value", () => {
    expect(finishedText(ev())).to.equal(
      `User bob downloaded 100% out of file. Last byte is: 78. f.bin: 1048576 bytes, SHA-256 ${'ab'.repeat(32)} verified, 0.04 s, 26.2 MB/s -> downloads/f.bin`,
    );
  });

  it('says so when an empty file has no last byte', () => {
    const { lastByte: _none, ...empty } = ev({ size: 0, goodput: 0 });
    expect(finishedText(empty)).to.match(/^User bob downloaded 100% out of file\. Last byte is: none \(empty file\)\. f\.bin: 0 bytes/);
  });
});
