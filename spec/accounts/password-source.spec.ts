import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { CliError } from '../../runtime/cli-args.js';
import { readPassword } from '../../runtime/password-source.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

describe('password source (--password-file, MESSENGER_PASSWORD)', () => {
  let dir: string;
  beforeEach(() => { dir = makeTempDir('messenger-pw-'); });
  afterEach(() => removeDir(dir));

  it('reads the first line of the file, without its line ending; the file wins over the environment', () => {
    const f = path.join(dir, 'pw');
    fs.writeFileSync(f, 'two words\r\nignored\n');
    expect(readPassword(f, { MESSENGER_PASSWORD: 'env' })).to.equal('two words');
  });

  it('takes MESSENGER_PASSWORD without a file, and null with neither', () => {
    expect(readPassword(undefined, { MESSENGER_PASSWORD: 'env pw' })).to.equal('env pw');
    expect(readPassword(undefined, {})).to.equal(null);
  });

  it('a missing file, an empty first line or an empty variable is a clear error', () => {
    expect(() => readPassword(path.join(dir, 'none'), {})).to.throw(CliError, /cannot read/);
    fs.writeFileSync(path.join(dir, 'empty'), '\nsecond\n');
    expect(() => readPassword(path.join(dir, 'empty'), {})).to.throw(CliError, /no password/);
    expect(() => readPassword(undefined, { MESSENGER_PASSWORD: '' })).to.throw(CliError, /empty/);
  });
});
