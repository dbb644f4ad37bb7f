// Unit tests of the full-screen client's pure helpers.
import { expect } from 'chai';
import { colorNick, hashName, nickColor, NICK_COLORS } from '../../tui/colors.js';
import { complete, partialWord } from '../../tui/completion.js';
import { ConsentQueue } from '../../tui/consent-queue.js';
import { clock, ellipsize, formatBytes, formatDuration, formatRate, percent, progressBar, timeLeft } from '../../tui/format.js';
import { InputHistory } from '../../tui/history.js';
import { escapeTags, narrowEmoji, plain, safe, stripControls } from '../../tui/sanitize.js';
import { elideMiddle, shortStateLabel, stateLabel, transferLine } from '../../tui/transfer-line.js';
import { TransfersModel, type Transfer } from '../../tui/transfers-model.js';

describe('tui/sanitize', () => {
  it('strips CSI, OSC and other escape sequences and control characters', () => {
    expect(stripControls('a\x1b[31mred\x1b[0m b')).to.equal('ared b');
    expect(stripControls('x\x1b]0;title\x07y\x1b]8;;http://e\x1b\\z')).to.equal('xyz');
    expect(stripControls('\x1b[2J\x1b[Hclear')).to.equal('clear');
    expect(stripControls('bell\x07 nul\x00 del\x7f c1\x9b31m end')).to.equal('bell nul del c1 end');
    expect(stripControls('dangling\x1b')).to.equal('dangling');
    expect(stripControls('x\x1bcy')).to.equal('xy');
  });
  it('turns line breaks and tabs into spaces and drops bidi overrides', () => {
    expect(stripControls('one\r\ntwo\nthree\tfour')).to.equal('one two three four');
    expect(stripControls('abc\u202Eevil\u202C')).to.equal('abcevil');
  });
  it('escapes blessed tags so they show literally', () => {
    expect(escapeTags('{red-fg}x{/red-fg}')).to.equal('{open}red-fg{close}x{open}/red-fg{close}');
    expect(safe('{bold}hi{/bold}\x1b[1m')).to.equal('{open}bold{close}hi{open}/bold{close}');
  });
  it('keeps ordinary Unicode (accents, CJK, symbols) as it is', () => {
    for (const s of ['café', '中文テキスト', 'naïve – “quotes” ©®™', 'Ünïcödé ☺']) expect(plain(s)).to.equal(s);
  });
  it('gives emoji a narrow text form (blessed issue #422)', () => {
    expect(narrowEmoji('hi \u{1F600}')).to.equal('hi :D');
    expect(narrowEmoji('\u{1F44D}\u{1F3FD}')).to.equal('(+1)'); // skin tone dropped
    expect(narrowEmoji('\u2764\uFE0F')).to.equal('<3');
    expect(narrowEmoji('\u{1F1EB}\u{1F1F7}')).to.equal('[FR]');
    expect(narrowEmoji('1\uFE0F\u20E3')).to.equal('[1]');
    expect(narrowEmoji('\u{1F984}')).to.equal('[U+1F984]');
    expect(narrowEmoji('\u{1F468}\u200D\u{1F469}\u200D\u{1F467}')).to.equal('[U+1F468]');
    expect(narrowEmoji('\u2764 text heart stays')).to.equal('\u2764 text heart stays');
  });
});

describe('tui/colors', () => {
  it('gives a name the same colour every time, whatever its case', () => {
    expect(nickColor('Alice')).to.equal(nickColor('alice'));
    expect(hashName('bob')).to.equal(hashName('bob'));
    expect(NICK_COLORS).to.include(nickColor('zoë'));
  });
  it('spreads names over the palette', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => nickColor(`user${i}`)));
    expect(used.size).to.be.greaterThan(NICK_COLORS.length - 2);
  });
  it('wraps a name in its colour tags', () => {
    expect(colorNick('bob', 'bob')).to.equal(`{${nickColor('bob')}-fg}bob{/${nickColor('bob')}-fg}`);
  });
});

describe('tui/format', () => {
  it('formats sizes and rates', () => {
    expect(formatBytes(0)).to.equal('0 B');
    expect(formatBytes(1023)).to.equal('1023 B');
    expect(formatBytes(1536)).to.equal('1.5 KiB');
    expect(formatBytes(150_000)).to.equal('146 KiB');
    expect(formatBytes(5 * 1024 ** 3)).to.equal('5.0 GiB');
    expect(formatRate(2 * 1024 * 1024)).to.equal('2.0 MiB/s');
    expect(formatRate(0)).to.equal('-');
  });
  it('formats durations and time left', () => {
    expect(formatDuration(0)).to.equal('0:00');
    expect(formatDuration(61.2)).to.equal('1:02');
    expect(formatDuration(3725)).to.equal('1:02:05');
    expect(formatDuration(Infinity)).to.equal('-');
    expect(timeLeft(50, 100, 10)).to.equal(5);
    expect(timeLeft(50, 100, 0)).to.equal(Infinity);
    expect(timeLeft(100, 100, 0)).to.equal(0);
  });
  it('draws progress bars and percentages', () => {
    expect(progressBar(0, 100, 10)).to.equal('..........');
    expect(progressBar(50, 100, 10)).to.equal('#####.....');
    expect(progressBar(100, 100, 10)).to.equal('##########');
    expect(progressBar(0, 0, 4)).to.equal('####');
    expect(percent(1, 3)).to.equal(33);
    expect(percent(0, 0)).to.equal(100);
  });
  it('formats clock times and shortens text', () => {
    expect(clock(new Date(2024, 0, 1, 9, 5, 7).getTime())).to.equal('09:05:07');
    expect(ellipsize('abcdef', 4)).to.equal('abc…');
    expect(ellipsize('abc', 4)).to.equal('abc');
  });
});

describe('tui/completion', () => {
  const c = { names: ['alice', 'Albert', 'bob'], files: ['notes.txt', 'big.bin', 'bigger.iso'] };
  it('finds the partial word', () => {
    expect(partialWord('hello al')).to.equal('al');
    expect(partialWord('hello ')).to.equal('');
    expect(partialWord('')).to.equal('');
  });
  it('completes a unique nickname, case-insensitively, with a trailing space', () => {
    expect(complete('hi bo', c)).to.deep.equal({ text: 'hi bob ', matches: ['bob'] });
    expect(complete('/msg BO', c).text).to.equal('/msg bob ');
  });
  it('extends to the common prefix when several match and lists them', () => {
    const r = complete('/get bi', c);
    expect(r.text).to.equal('/get big');
    expect(r.matches).to.deep.equal(['big.bin', 'bigger.iso']);
    expect(complete('al', c).matches).to.deep.equal(['alice', 'Albert']);
  });
  it('completes only files after /get, only names as the /msg recipient, and command verbs', () => {
    expect(complete('/get b', c).matches).to.deep.equal(['big.bin', 'bigger.iso']);
    expect(complete('/msg n', c).matches).to.deep.equal([]);
    expect(complete('/he', c).text).to.equal('/help ');
    expect(complete('/who a', c).matches).to.deep.equal([]);
  });
  it('leaves the input alone when nothing matches', () => {
    expect(complete('zzz', c)).to.deep.equal({ text: 'zzz', matches: [] });
    expect(complete('hello ', c)).to.deep.equal({ text: 'hello ', matches: [] });
  });
});

describe('tui/history', () => {
  it('browses older and newer lines and comes back to the draft', () => {
    const h = new InputHistory();
    h.push('one'); h.push('two'); h.push('two'); h.push('  ');
    expect(h.size).to.equal(2);
    expect(h.up('draft')).to.equal('two');
    expect(h.up('two')).to.equal('one');
    expect(h.up('one')).to.equal(null);
    expect(h.down()).to.equal('two');
    expect(h.down()).to.equal('draft');
    expect(h.down()).to.equal(null);
  });
  it('is bounded', () => {
    const h = new InputHistory(3);
    for (const l of ['a', 'b', 'c', 'd']) h.push(l);
    expect(h.size).to.equal(3);
    expect([h.up(''), h.up(''), h.up(''), h.up('')]).to.deep.equal(['d', 'c', 'b', null]);
  });
});

describe('tui/consent-queue', () => {
  it('shows the oldest question first and counts the others', () => {
    const q = new ConsentQueue();
    q.push({ id: 1, file: 'a', received: 5, size: 10 });
    q.push({ id: 2, file: 'b', received: 5, size: 10 });
    expect(q.current?.id).to.equal(1);
    expect(q.waiting).to.equal(1);
    expect(q.remove(1)).to.equal(true);
    expect(q.current?.id).to.equal(2);
    expect(q.remove(7)).to.equal(false);
    q.push({ id: 2, file: 'b', received: 6, size: 10 });
    expect(q.length).to.equal(1);
    expect(q.current?.received).to.equal(6);
  });
});

describe('tui/transfers-model', () => {
  it('follows a download from start to done with its last byte', () => {
    const m = new TransfersModel();
    m.apply({ type: 'download', id: 1, file: 'f.bin', size: 1000, offset: 0, path: '/d/f.bin', resumed: false }, 0);
    expect(m.get(1)?.state).to.equal('starting');
    expect(m.running).to.equal(1);
    m.apply({ type: 'progress', id: 1, file: 'f.bin', received: 250, size: 1000, rate: 0 }, 1000);
    expect(m.get(1)).to.include({ state: 'running', received: 250, rate: 250 });
    m.apply({ type: 'consent', id: 1, file: 'f.bin', received: 500, size: 1000 }, 2000);
    expect(m.get(1)?.state).to.equal('consent');
    expect(stateLabel(m.get(1)!)).to.match(/waiting for your answer/);
    m.answered(1, true);
    expect(m.get(1)?.state).to.equal('running');
    m.apply({ type: 'progress', id: 1, file: 'f.bin', received: 900, size: 1000, rate: 400 }, 3000);
    expect(m.get(1)?.rate).to.equal(400);
    m.apply({
      type: 'finished', id: 1, file: 'f.bin', size: 1000, sha256: 'ab', lastByte: 65, path: '/d/f.bin', seconds: 2, goodput: 500, user: 'ann',
    }, 4000);
    expect(m.get(1)).to.include({ state: 'done', received: 1000, lastByte: 65 });
    expect(m.running).to.equal(0);
    expect(stateLabel(m.get(1)!)).to.equal('done, last byte 65');
  });
  it('marks stopped, failed and paused downloads', () => {
    const m = new TransfersModel();
    m.apply({ type: 'download', id: 1, file: 'a', size: 10, offset: 0, path: 'p', resumed: false }, 0);
    m.apply({ type: 'download', id: 2, file: 'b', size: 10, offset: 4, path: 'p', resumed: true }, 0);
    m.apply({ type: 'download', id: 3, file: 'c', size: 10, offset: 0, path: 'p', resumed: false }, 0);
    expect(m.get(2)?.received).to.equal(4);
    m.apply({ type: 'stopped', id: 1, file: 'a', received: 5, path: 'p', reason: 'answered no' }, 1);
    m.apply({ type: 'error', id: 2, code: 'transfer-failed', message: 'gone' }, 1);
    m.apply({ type: 'error', code: 'busy', message: 'no port' }, 1); // no id: not a row
    m.apply({ type: 'reconnecting', attempt: 1, inMs: 250, reason: 'lost', host: '127.0.0.1:50000' }, 1);
    expect(stateLabel(m.get(1)!)).to.equal('stopped (answered no), partial kept');
    expect(stateLabel(m.get(2)!)).to.equal('failed: transfer-failed: gone');
    expect(stateLabel(m.get(3)!)).to.equal('paused (connection lost)');
    expect(m.list()).to.have.length(3);
  });
  it('forgets old ended rows beyond its bound, never active ones', () => {
    const m = new TransfersModel(3);
    for (let i = 1; i <= 5; i++) {
      m.apply({ type: 'download', id: i, file: `f${i}`, size: 1, offset: 0, path: 'p', resumed: false }, 0);
      if (i < 3) m.apply({ type: 'stopped', id: i, file: `f${i}`, received: 0, path: 'p', reason: 'no' }, 0);
    }
    expect(m.list().map((t) => t.id)).to.deep.equal([3, 4, 5]);
  });
  it('renders a row with bar, percent, rate, time left and state', () => {
    const m = new TransfersModel();
    m.apply({ type: 'download', id: 4, file: 'movie.mkv', size: 4 * 1024 * 1024, offset: 0, path: 'p', resumed: false }, 0);
    m.apply({ type: 'progress', id: 4, file: 'movie.mkv', received: 1024 * 1024, size: 4 * 1024 * 1024, rate: 1024 * 1024 }, 1000);
    const line = transferLine(m.get(4)!, 'movie.mkv', 80);
    expect(line).to.match(/^#4 movie\.mkv \[#+\.+\]  25%  1\.0 MiB\/4\.0 MiB  1\.0 MiB\/s  0:03 left  running$/);
    expect(line.length).to.be.at.most(80);
  });
  it('shows the runtime\'s goodput on a finished download, never a rate of its own', () => {
    const m = new TransfersModel();
    const fin = (id: number, goodput: number) => m.apply({
      type: 'finished', id, file: 'f.bin', size: 4_000_000, sha256: 'ab', path: '/d/f.bin', seconds: 8, goodput, user: 'ann',
    }, 60_000);
    m.apply({ type: 'download', id: 1, file: 'f.bin', size: 4_000_000, offset: 0, path: 'p', resumed: false }, 0);
    m.apply({ type: 'progress', id: 1, file: 'f.bin', received: 1_000_000, size: 4_000_000, rate: 9_999_999 }, 1000);
    fin(1, 2_000_000); // 8 s of wall time with the halfway wait; the runtime says 2 MB/s of goodput
    expect(m.get(1)!.rate).to.equal(2_000_000);
    expect(transferLine(m.get(1)!, 'f.bin', 98)).to.include('1.9 MiB/s');
    m.apply({ type: 'download', id: 2, file: 'f.bin', size: 4_000_000, offset: 0, path: 'p', resumed: false }, 0);
    m.apply({ type: 'progress', id: 2, file: 'f.bin', received: 1_000_000, size: 4_000_000, rate: 9_999_999 }, 1000);
    fin(2, 0); // no goodput reported: no rate rather than a stale or wall-clock one
    expect(m.get(2)!.rate).to.equal(0);
    expect(transferLine(m.get(2)!, 'f.bin', 98)).to.not.match(/\/s/);
  });
  it('always fits the row to its width and never cuts the state, whatever the id width', () => {
    const kinds: Partial<Transfer>[] = [
      { state: 'stopped', note: 'answered no' }, { state: 'running', rate: 1234567 }, { state: 'consent' },
      { state: 'done', lastByte: 65, rate: 40e6, received: 4_000_000 }, { state: 'paused', note: 'connection lost' },
      { state: 'starting', note: 'resuming at 1000' }, { state: 'failed', note: 'transfer-failed: gone' },
    ];
    for (const id of [1, 42, 1128, 123456]) {
      for (const k of kinds) {
        const t = { id, file: 'b.bin', size: 4_000_000, received: 2_000_000, rate: 0, note: '', updatedAt: 0, ...k } as Transfer;
        for (const file of ['b.bin', 'quarterly-report-of-the-finance-department-2024.pdf']) {
          for (let width = 20; width <= 140; width++) {
            const line = transferLine(t, file, width);
            const full = stateLabel(t);
            const short = shortStateLabel(t);
            expect([...line].length, line).to.be.at.most(width);
            expect(line.startsWith(`#${id} `), line).to.equal(true);
            if (width >= `#${id} `.length + short.length) expect(line.endsWith(full) || line.endsWith(short), `${width}: ${line}`).to.equal(true);
            if (width >= 98) expect(line.endsWith(full), `${width}: ${line}`).to.equal(true);
          }
        }
      }
    }
    // the reported row: a 4-digit id at 98 columns keeps its whole state
    const t = { id: 1128, file: 'b.bin', size: 4_000_000, received: 1_900_000, rate: 0, state: 'stopped', note: 'declined', updatedAt: 0 } as Transfer;
    expect(transferLine(t, 'b.bin', 98)).to.match(/^#1128 b\.bin \[#+\.+\]  47%  1\.8 MiB\/3\.8 MiB  stopped \(declined\), partial kept$/);
    // the bar and the sizes give way first, then the name is elided in the middle
    expect(transferLine(t, 'b.bin', 80)).to.equal('#1128 b.bin [####......]  47%  1.8 MiB/3.8 MiB  stopped (declined), partial kept');
    expect(transferLine(t, 'b.bin', 70)).to.equal('#1128 b.bin  47%  1.8 MiB/3.8 MiB  stopped (declined), partial kept');
    expect(transferLine(t, 'quarterly-report-2024.pdf', 70)).to.equal('#1128 quarterl…024.pdf  47%  3.8 MiB  stopped (declined), partial kept');
    expect(transferLine(t, 'quarterly-report-2024.pdf', 56)).to.equal('#1128 quart…4.pdf  47%  stopped (declined), partial kept');
    expect(elideMiddle('quarterly-report.pdf', 9)).to.equal('quar….pdf');
    expect(elideMiddle('short.pdf', 9)).to.equal('short.pdf');
  });
});
