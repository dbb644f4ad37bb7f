// runtime/cluster/cli.ts: --cluster, --node and --cluster-prefix checked before anything connects.
import { expect } from 'chai';
import { DEFAULT_PREFIX, parseClusterArgs } from '../../runtime/cluster/cli.js';

describe('cluster command-line arguments', () => {
  it('takes several broker URLs, a node name and a prefix', () => {
    expect(parseClusterArgs('nats://127.0.0.1:4222, nats://10.0.0.2:4222', 'n1', 'P1')).to.deep.equal({ servers: ['nats://127.0.0.1:4222', 'nats://10.0.0.2:4222'], node: 'n1', prefix: 'P1' });
    expect(parseClusterArgs('127.0.0.1:4222', 'n1', undefined)).to.deep.equal({ servers: ['nats://127.0.0.1:4222'], node: 'n1', prefix: DEFAULT_PREFIX });
    expect(parseClusterArgs('nats://h:1', undefined, undefined).node).to.match(/^[A-Za-z0-9_-]+-\d+$/);
  });

  it('says what is wrong with each', () => {
    expect(() => parseClusterArgs('', 'n1', undefined)).to.throw(/nats:\/\/HOST:PORT/);
    expect(() => parseClusterArgs('http://x:1', 'n1', undefined)).to.throw(/nats:\/\/HOST:PORT/);
    expect(() => parseClusterArgs('nats://h:1', 'no.dots', undefined)).to.throw(/--node/);
    expect(() => parseClusterArgs('nats://h:1', 'n1', 'a b')).to.throw(/--cluster-prefix/);
  });
});
