// The committed state charts (docs/charts) must match the machines: regenerated in memory and compared byte for byte.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { allChartTexts, CHARTS_DIR, readme } from '../scripts/charts/generate.js';
import { MACHINES } from '../scripts/charts/machines.js';
import { walkMachine } from '../scripts/charts/walk.js';

const read = (name: string): string | null => {
  const p = path.join(CHARTS_DIR, name);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
};

describe('state charts (docs/charts)', () => {
  for (const c of allChartTexts()) {
    it(`${c.name}.mmd matches machines/${c.name}.machine.ts`, () => {
      expect(read(`${c.name}.mmd`) === c.mmd, `docs/charts/${c.name}.mmd is out of date: run npm run charts`).to.equal(true);
    });
    it(`${c.name}.dot matches machines/${c.name}.machine.ts`, () => {
      expect(read(`${c.name}.dot`) === c.dot, `docs/charts/${c.name}.dot is out of date: run npm run charts`).to.equal(true);
    });
    it(`${c.name}.svg exists`, () => {
      expect(read(`${c.name}.svg`), `docs/charts/${c.name}.svg is missing: run npm run charts`).to.match(/<svg/);
    });
  }

  it('README.md lists every chart', () => {
    expect(read('README.md') === readme(), 'docs/charts/README.md is out of date: run npm run charts').to.equal(true);
  });

  it('is deterministic: the same machine gives the same bytes', () => {
    const a = allChartTexts();
    const b = allChartTexts();
    expect(a).to.deep.equal(b);
  });

  it('renders guard combinators, delays, always and final states readably', () => {
    const byName = Object.fromEntries(allChartTexts().map((c) => [c.name, c]));
    expect(byName.session!.mmd).to.contain('frame [!withinRate]');
    expect(byName.session!.mmd).to.contain('frame [isTell && recipientOnline]');
    expect(byName.session!.mmd).to.contain('handshake --> closing : tick [isHelloLate]');
    expect(byName.receiver!.mmd).to.contain('after connectTimeout');
    expect(byName.client!.mmd).to.contain('closing --> closed : after closeGrace');
    expect(byName.sender!.mmd).to.contain('windowFull --> sending_windowOpen : always [!windowIsFull]'.replace('windowFull', 'sending_windowFull'));
    expect(byName.receiver!.mmd).to.contain('finished --> [*]');
    for (const m of MACHINES) {
      const chart = walkMachine(m.machine);
      const keys = chart.transitions.map((t) => t.key);
      expect(new Set(keys).size, `${m.name}: transition keys are unique`).to.equal(keys.length);
    }
  });
});
