// machines/limits.ts: the protocol version and the chat limits, defined once. The session's defaults, the welcome it
// sends and docs/PROTOCOL.md all say what LIMITS says, and a server enforces exactly the limits it advertises.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, LIMITS, PROTOCOL_VERSION } from '../../machines/limits.js';
import { DEFAULT_SESSION_CONFIG } from '../../machines/session.machine.js';
import { TIMING } from '../../machines/timing.js';
import { Scope } from '../helpers/scope.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROTOCOL = fs.readFileSync(path.join(ROOT, 'docs/PROTOCOL.md'), 'utf8');

/** The first number of the "default" cell of each row of the table under "## Limits". */
function limitsTable(): Map<string, number> {
  const start = PROTOCOL.indexOf('\n## Limits\n');
  const section = PROTOCOL.slice(start, PROTOCOL.indexOf('\n## ', start + 1));
  const rows = new Map<string, number>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const n = /\d+/.exec(cells[2] ?? '');
    if (cells.length >= 4 && n) rows.set(cells[1]!, Number(n[0]));
  }
  return rows;
}

describe('machines/limits', () => {
  it('the session advertises and uses DEFAULT_LIMITS, made of LIMITS and the idle timeout of TIMING', () => {
    expect(DEFAULT_SESSION_CONFIG.limits).to.deep.equal(DEFAULT_LIMITS);
    expect(DEFAULT_SESSION_CONFIG.floodAfter).to.equal(LIMITS.floodAfter);
    expect(DEFAULT_LIMITS).to.deep.equal({ maxLine: LIMITS.maxLine, maxText: LIMITS.maxText, ratePerSec: LIMITS.ratePerSec, burst: LIMITS.burst, idleMs: TIMING.idleMs });
  });

  it('docs/PROTOCOL.md\'s table of limits gives the numbers of LIMITS', () => {
    const table = limitsTable();
    const expected: Record<string, number> = {
      'line length': LIMITS.maxLine, '`text` length': LIMITS.maxText, nickname: LIMITS.maxNameChars, rate: LIMITS.ratePerSec,
      burst: LIMITS.burst, flood: LIMITS.floodAfter, 'downloads at once': LIMITS.transfersPerClient, history: LIMITS.history,
      'history page': LIMITS.historyPageMax,
    };
    for (const [row, value] of Object.entries(expected)) expect(table.get(row), row).to.equal(value);
  });

  it('every welcome example in docs/PROTOCOL.md shows DEFAULT_LIMITS and PROTOCOL_VERSION', () => {
    const welcomes = PROTOCOL.split('\n').filter((l) => l.startsWith('{"type":"welcome"')).map((l) => JSON.parse(l) as { v: number; limits: unknown });
    expect(welcomes.length).to.be.greaterThan(0);
    for (const w of welcomes) expect([w.v, w.limits]).to.deep.equal([PROTOCOL_VERSION, DEFAULT_LIMITS]);
    expect(PROTOCOL).to.contain(`(at most ${LIMITS.clientQueuedLines}, then a local`);
  });

  describe('a server enforces the limits it advertises', () => {
    const scope = new Scope();
    afterEach(() => scope.dispose());

    it('with maxText 10 and maxLine 200: welcome says so, 10 characters pass, 11 are text-too-long, 201 bytes line-too-long', async () => {
      const srv = await scope.server({ session: { limits: { maxText: 10, maxLine: 200 } } });
      const r = await scope.raw(srv.port, 'small');
      const welcome = await r.hello('small');
      expect(welcome.limits).to.deep.include({ maxText: 10, maxLine: 200 });
      r.send({ type: 'say', text: 'x'.repeat(11) });
      expect((await r.waitForType('error')).code).to.equal('text-too-long');
      r.send({ type: 'say', text: 'y'.repeat(10) });
      expect((await r.waitForType('message')).text).to.equal('y'.repeat(10));
      const since = r.mark();
      r.send({ type: 'ping', pad: 'z'.repeat(200) });
      expect((await r.waitForType('error', () => true, { since })).code).to.equal('line-too-long');
    });

    it('with maxText above the default: a message longer than the default goes through', async () => {
      const srv = await scope.server({ session: { limits: { maxText: LIMITS.maxText * 2 } } });
      const r = await scope.raw(srv.port, 'big');
      await r.hello('big');
      const text = 'w'.repeat(LIMITS.maxText + 1);
      r.send({ type: 'say', text });
      expect((await r.waitForType('message')).text).to.equal(text);
    });
  });
});
