// runtime/name-list.ts: everyone online kept as JSON bytes for the welcome.
import { expect } from 'chai';
import { NameList } from '../../runtime/name-list.js';

describe('name list', () => {
  const parse = (bufs: Buffer[]) => JSON.parse(Buffer.concat(bufs).toString('utf8')) as Record<string, unknown>;

  it('frames a welcome whose last field lists everyone, with names JSON-escaped', () => {
    const names = ['ann', 'bo"b', 'zoë'];
    const list = new NameList(() => names);
    for (const n of names) list.add(n);
    const out = list.frame({ type: 'welcome', name: 'ann', online: [] });
    expect(Buffer.concat(out).toString().endsWith('\n')).to.equal(true);
    expect(parse(out)).to.deep.equal({ type: 'welcome', name: 'ann', online: names });
  });

  it('an empty list frames as an empty list; a head without the list last is refused', () => {
    const list = new NameList(() => []);
    expect(parse(list.frame({ type: 'welcome', online: [] }))).to.deep.equal({ type: 'welcome', online: [] });
    expect(() => list.frame({ online: [], type: 'welcome' })).to.throw(/last field/);
  });

  it('many joins are merged into a few buffers, and buffers handed out never change', () => {
    const names: string[] = [];
    const list = new NameList(() => names);
    names.push('first'); list.add('first');
    const early = list.frame({ online: [] });
    const earlyText = Buffer.concat(early).toString();
    for (let i = 0; i < 1000; i++) { names.push(`u${i}`); list.add(`u${i}`); }
    expect(Buffer.concat(early).toString(), 'a socket queue may still hold them').to.equal(earlyText);
    expect(list.encoded().length).to.be.at.most(40);
    expect((parse(list.frame({ online: [] })).online as string[])).to.deep.equal(names);
  });

  it('after a leave the list is rebuilt from who is online, once, when next read', () => {
    let reads = 0;
    const names = new Set(['a', 'b', 'c']);
    const list = new NameList(() => { reads++; return names; });
    for (const n of names) list.add(n);
    names.delete('b'); list.removed();
    names.add('d'); list.add('d'); // stale: the rebuild covers it
    expect(reads).to.equal(0);
    expect(parse(list.frame({ online: [] })).online).to.deep.equal(['a', 'c', 'd']);
    expect(parse(list.frame({ online: [] })).online).to.deep.equal(['a', 'c', 'd']);
    expect(reads).to.equal(1);
  });
});
