// ClientRuntime (runtime/client-runtime.ts) lifecycle edges not covered elsewhere. Its connection is proven path by
// path against the client machine in spec/model/client.model.spec.ts.
import os from 'node:os';
import { expect } from 'chai';
import type { ClientEvent } from '../../machines/client-events.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';

describe('ClientRuntime', () => {
  it('quit() before start() settles with "quit", reports one disconnected event, and a later start() does not connect', async () => {
    const rt = new ClientRuntime({ host: '127.0.0.1', port: 1, name: 'ann', downloadsDir: os.tmpdir(), yes: false, reconnect: false });
    const events: ClientEvent[] = [];
    rt.on('event', (e) => events.push(e));
    expect(await rt.quit()).to.equal('quit');
    expect(rt.state).to.equal('closed');
    rt.start();
    expect(rt.state).to.equal('closed');
    expect(events.map((e) => e.type)).to.deep.equal(['disconnected']);
  });
});
