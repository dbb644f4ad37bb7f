// The benchmark report writer: a section is replaced in place (or added), other sections and a hand-written
// "### Analysis" inside it stay.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeSection } from '../../bench/chat/report.js';

describe('bench/chat/report writeSection', () => {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-report-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('adds a missing section at the end and replaces it the next time, keeping the others and its Analysis', () => {
    const f = path.join(dir, 'B.md');
    fs.writeFileSync(f, '# Benchmarks\n\n## Chat\n\nchat table\n\n## Transfers\n\ntransfer table\n');
    writeSection(f, 'Cluster', '## Cluster\n\nfirst run');
    expect(fs.readFileSync(f, 'utf8')).to.equal('# Benchmarks\n\n## Chat\n\nchat table\n\n## Transfers\n\ntransfer table\n\n## Cluster\n\nfirst run\n');
    fs.appendFileSync(f, '\n### Analysis\n\nwritten by hand\n');
    writeSection(f, 'Cluster', '## Cluster\n\nsecond run');
    const doc = fs.readFileSync(f, 'utf8');
    expect(doc).to.contain('## Cluster\n\nsecond run\n\n### Analysis\n\nwritten by hand');
    expect(doc).not.to.contain('first run');
    expect(doc).to.contain('## Chat\n\nchat table');
    expect(doc).to.contain('## Transfers\n\ntransfer table');
  });

  it('replaces a section in the middle without touching the one after it', () => {
    const f = path.join(dir, 'B.md');
    fs.writeFileSync(f, '# Benchmarks\n\n## Chat\n\nold\n\n## Transfers\n\nkept\n');
    writeSection(f, 'Chat', '## Chat\n\nnew');
    expect(fs.readFileSync(f, 'utf8')).to.equal('# Benchmarks\n\n## Chat\n\nnew\n\n## Transfers\n\nkept\n');
  });
});
