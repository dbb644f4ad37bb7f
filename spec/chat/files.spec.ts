// The shared-files list: regular files directly inside the shared folder only (no folders, hidden files, links that
// lead outside it), through the catalogue and through the wire.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Catalogue } from '../../runtime/catalogue.js';
import { Scope } from '../helpers/scope.js';
import { writeFiles } from '../helpers/tmp.js';

describe('shared files list', () => {
  const scope = new Scope();
  afterEach(() => scope.dispose());

  function populate(): { shared: string; outside: string } {
    const base = scope.tempDir('messenger-catalogue-');
    const shared = path.join(base, 'shared');
    const outside = path.join(base, 'outside');
    writeFiles(shared, {
      'b.txt': 'bbb', 'a.bin': new Uint8Array(2048), 'empty': '', 'name with spaces.md': 'x',
      '.hidden': 'secret', 'folder/inner.txt': 'not listed', 'folder/deeper/x': 'no',
    });
    writeFiles(outside, { 'secret.txt': 'top secret', 'dir/f': 'f' });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(shared, 'link-out.txt'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(shared, 'link-dir'));
    fs.symlinkSync(path.join(shared, 'b.txt'), path.join(shared, 'link-in.txt'));
    fs.symlinkSync(path.join(shared, 'missing'), path.join(shared, 'dangling'));
    fs.symlinkSync('..', path.join(shared, 'up'));
    return { shared, outside };
  }

  const EXPECTED = [
    { name: 'a.bin', size: 2048 }, { name: 'b.txt', size: 3 }, { name: 'empty', size: 0 },
    { name: 'link-in.txt', size: 3 }, { name: 'name with spaces.md', size: 1 },
  ];

  it('Catalogue.list gives regular files only, sorted by name, with sizes', async () => {
    const { shared } = populate();
    expect(await new Catalogue(shared).list()).to.deep.equal(EXPECTED);
  });

  it('Catalogue.list of a folder that vanished is empty, not an error', async () => {
    const { shared } = populate();
    const cat = new Catalogue(shared);
    fs.rmSync(shared, { recursive: true });
    expect(await cat.list()).to.deep.equal([]);
  });

  it('Catalogue.open refuses what the list leaves out', async () => {
    const { shared } = populate();
    const cat = new Catalogue(shared);
    for (const [name, code] of [
      ['.hidden', 'bad-file-name'], ['../outside/secret.txt', 'bad-file-name'], ['folder/inner.txt', 'bad-file-name'],
      ['folder', 'no-such-file'], ['link-out.txt', 'no-such-file'], ['link-dir', 'no-such-file'], ['dangling', 'no-such-file'],
      ['nope', 'no-such-file'], ['up', 'no-such-file'],
    ] as const) {
      let err: unknown;
      try { (await cat.open(name)).close(); } catch (e) { err = e; }
      expect((err as { code?: string } | undefined)?.code, name).to.equal(code);
    }
    const f = await cat.open('b.txt');
    expect(f.size).to.equal(3);
    f.close();
  });

  it('the files frame over the wire lists the same, and /files in the client runtime shows it', async () => {
    const { shared } = populate();
    const srv = await scope.server({ filesDir: shared });
    const c = await scope.online(srv.port, 'lister');
    c.command('/files');
    expect((await c.waitForType('files')).files).to.deep.equal(EXPECTED);
    const r = await scope.raw(srv.port);
    await r.hello('raw');
    r.send({ type: 'files' });
    expect((await r.waitForType('files')).files).to.deep.equal(EXPECTED);
  });

  it('an empty shared folder gives an empty list', async () => {
    const srv = await scope.server();
    const c = await scope.online(srv.port, 'lister');
    c.command('/ls');
    expect((await c.waitForType('files')).files).to.deep.equal([]);
  });
});
