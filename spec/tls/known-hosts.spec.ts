import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { KnownHosts, messengerHome } from '../../runtime/tls/known-hosts.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const FP1 = 'AB:'.repeat(31) + 'AB';
const FP2 = '0f'.repeat(32);

describe('tls/known-hosts: the fingerprints a client remembers per host:port', () => {
  let dir: string;
  beforeEach(() => { dir = makeTempDir('known-hosts-'); });
  afterEach(() => removeDir(dir));

  it('MESSENGER_HOME when set, else ~/.config/messenger under HOME', () => {
    expect(messengerHome({ MESSENGER_HOME: '/x/y' })).to.equal('/x/y');
    expect(messengerHome({ HOME: '/home/u' })).to.equal('/home/u/.config/messenger');
  });

  it('makes the folder 0700 (with missing parents, as when ~/.config does not exist) and the file 0600', () => {
    const home = path.join(dir, 'nohome', '.config', 'messenger');
    const kh = KnownHosts.in(home);
    expect(kh.get('h:1')).to.equal(null);
    kh.set('h:1', FP1);
    expect(fs.statSync(home).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(kh.file).mode & 0o777).to.equal(0o600);
    expect(kh.get('h:1')).to.equal(FP1);
    expect(fs.readdirSync(home)).to.deep.equal(['known_hosts']); // no temporary file left behind
  });

  it('keeps one line per host:port: a new fingerprint replaces the old, other hosts and comments stay', () => {
    const kh = KnownHosts.in(dir);
    fs.writeFileSync(kh.file, `# mine\nother:2 ${FP1}\nnot a line\n`);
    kh.set('h:1', FP1);
    kh.set('h:1', FP2);
    expect(kh.get('h:1')).to.equal(FP2.toUpperCase().match(/../g)!.join(':'));
    expect(kh.get('other:2')).to.equal(FP1);
    expect(kh.get('h:2')).to.equal(null);
    const text = fs.readFileSync(kh.file, 'utf8');
    expect(text).to.contain('# mine').and.contain('not a line');
    expect(text.split('\n').filter((l) => l.startsWith('h:1 '))).to.have.length(1);
  });

  it('refuses to remember something that is not a fingerprint', () => {
    expect(() => KnownHosts.in(dir).set('h:1', 'nope')).to.throw(/fingerprint/);
  });
});
