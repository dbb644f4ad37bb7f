// runtime/store/open-store.ts: the one way the server and `messenger-server account` pick their store (SQLite in the
// data folder, or the clustered JetStream store on the real NATS given cluster servers), and `--cluster` parsing.
import { expect } from 'chai';
import { JetStreamStore } from '../../runtime/store/jetstream/jetstream-store.js';
import { openStore, parseClusterPrefix, parseClusterServers } from '../../runtime/store/open-store.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { deletePrefix, SHARED_NATS, uniquePrefix } from '../helpers/nats-broker.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

describe('openStore', function () {
  this.timeout(30000);

  it('opens the SQLite store without cluster servers, the JetStream one with them', async () => {
    const dir = makeTempDir('messenger-open-store-');
    const prefix = uniquePrefix('s');
    try {
      const local = await openStore({ dataDir: dir });
      expect(local).to.be.instanceOf(SqliteStore);
      await local.close();
      const clustered = await openStore({ dataDir: dir, cluster: [SHARED_NATS], prefix, retention: { maxCount: 10 } });
      try {
        expect(clustered).to.be.instanceOf(JetStreamStore);
        expect((clustered as JetStreamStore).prefix).to.equal(prefix);
        expect(await clustered.check()).to.deep.equal({ ok: true });
      } finally { await clustered.close(); }
    } finally {
      removeDir(dir);
      await deletePrefix(SHARED_NATS, prefix);
    }
  });

  it('parses --cluster: nats://HOST:PORT, HOST:PORT or HOST, several with commas; refuses the rest', () => {
    expect(parseClusterServers('nats://127.0.0.1:4222,localhost:5000,nats-1')).to.deep.equal(['nats://127.0.0.1:4222', 'nats://localhost:5000', 'nats://nats-1:4222']);
    expect(parseClusterServers('[::1]:4223')).to.deep.equal(['nats://[::1]:4223']);
    for (const bad of ['', 'a,,b', 'http://x:1', 'x:99999', 'x y']) expect(() => parseClusterServers(bad), bad).to.throw(/--cluster/);
  });

  it('checks --cluster-prefix', () => {
    expect(parseClusterPrefix('team_1-a')).to.equal('team_1-a');
    for (const bad of ['', 'a.b', 'a b', 'x'.repeat(33), 'a>']) expect(() => parseClusterPrefix(bad), bad).to.throw(/--cluster-prefix/);
  });
});
