// No import cycle anywhere in the shipped code (machines/ runtime/ tui/ bin/), checked with the compiler's own
// import scanner; and the checker itself is shown to find a cycle, so a pass means something.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findCycles, tsFilesUnder } from '../scripts/import-cycles.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('import cycles', () => {
  it('machines/, runtime/, tui/ and bin/ have none', () => {
    const files = tsFilesUnder(ROOT, ['machines', 'runtime', 'tui', 'bin']);
    expect(files.length).to.be.greaterThan(50);
    const cycles = findCycles(files).map((c) => c.map((f) => path.relative(ROOT, f)));
    expect(cycles).to.deep.equal([]);
  });

  it('finds a cycle through a type-only import and ignores a file that imports none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycles-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b = 1 as C;\n");
      fs.writeFileSync(path.join(dir, 'c.ts'), "import { a } from './a.js';\nexport type C = number; void a;\n");
      fs.writeFileSync(path.join(dir, 'd.ts'), "import { a } from './a.js';\nexport const d = a;\n");
      const cycles = findCycles(tsFilesUnder(dir, ['.'])).map((c) => c.map((f) => path.basename(f)));
      expect(cycles).to.deep.equal([['a.ts', 'b.ts', 'c.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
