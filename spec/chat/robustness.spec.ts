// Hostile and broken input on raw sockets: the server answers or closes as docs/PROTOCOL.md says, stays up, and a
// bystander notices nothing.
import { expect } from 'chai';
import { ERROR_CODES } from '../../machines/errors.js';
import type { TestClient } from '../helpers/client.js';
import type { RawClient } from '../helpers/raw.js';
import { Scope } from '../helpers/scope.js';
import type { TestServer } from '../helpers/server.js';

describe('robustness: malformed input on the wire', () => {
  const scope = new Scope();
  let srv: TestServer;
  let bystander: TestClient;
  let mark: number;

  beforeEach(async () => {
    srv = await scope.server({ session: { helloTimeoutMs: 300 } });
    bystander = await scope.online(srv.port, 'bystander');
    mark = bystander.mark();
  });

  afterEach(async () => {
    try {
      // the bystander saw nothing of it, and the server still serves it and newcomers
      bystander.command('/who');
      await bystander.waitForType('online', () => true, { since: mark });
      const probe = await scope.online(srv.port, 'probe');
      await bystander.waitForType('joined', (e) => e.name === 'probe', { since: mark });
      expect(probe.rt.isOnline).to.equal(true);
      const seen = bystander.after(mark).map((e) => e.type);
      expect(seen.filter((t) => t !== 'online' && t !== 'joined' && t !== 'left'), 'bystander events').to.deep.equal([]);
    } finally {
      await scope.dispose();
    }
  });

  /** A raw client that has said hello as `name`. */
  async function named(name = 'mallory'): Promise<RawClient> {
    const r = await scope.raw(srv.port, name);
    await r.hello(name);
    await bystander.waitForType('joined', (e) => e.name === name, { since: mark });
    mark = bystander.mark();
    return r;
  }

  async function expectError(r: RawClient, bytes: string | Uint8Array, code: string): Promise<Record<string, unknown>> {
    const since = r.mark();
    await r.write(bytes);
    const e = await r.waitError({ since });
    expect(e.code, `answer to ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 60))}`).to.equal(code);
    expect(e.message).to.be.a('string').and.not.equal('');
    return e;
  }

  /** The connection is still usable: a ping is answered with a pong carrying the same t. */
  async function stillServed(r: RawClient): Promise<void> {
    const since = r.mark();
    r.send({ type: 'ping', t: 4242 });
    const p = await r.waitForType('pong', () => true, { since });
    expect(p.t).to.equal(4242);
    expect(r.closed).to.equal(false);
  }

  it('answers malformed JSON with bad-json and keeps the connection', async () => {
    const r = await named();
    await expectError(r, '{"type":"say","text":\n', 'bad-json');
    await expectError(r, 'not json at all\n', 'bad-json');
    await expectError(r, '{}}\n', 'bad-json');
    await stillServed(r);
  });

  it('answers JSON that is not an object with bad-frame', async () => {
    const r = await named();
    for (const line of ['[]', '42', '"say"', 'null', 'true', '{"text":"no type"}', '{"type":7}']) await expectError(r, line + '\n', 'bad-frame');
    await stillServed(r);
  });

  it('answers unknown frame types with unknown-type', async () => {
    const r = await named();
    for (const t of ['shout', 'welcome', '__proto__', 'constructor', 'toString', 'HELLO', '']) {
      await expectError(r, JSON.stringify({ type: t }) + '\n', 'unknown-type');
    }
    await stillServed(r);
  });

  it('answers missing or wrongly typed fields with bad-frame', async () => {
    const r = await named();
    const bad = [
      { type: 'say' }, { type: 'say', text: 5 }, { type: 'say', text: null }, { type: 'say', text: ['x'] },
      { type: 'tell', text: 'x' }, { type: 'tell', to: 'bystander' }, { type: 'tell', to: 1, text: 'x' },
      { type: 'hello', v: '1', name: 'x' }, { type: 'hello', v: 1 }, { type: 'hello', v: -1, name: 'x' }, { type: 'hello', v: 1.5, name: 'x' },
      { type: 'get' }, { type: 'get', file: 'a', offset: -1 }, { type: 'get', file: 'a', sha256: 'xyz' },
      { type: 'consent', id: 1, answer: 'maybe' }, { type: 'consent', answer: 'yes' }, { type: 'stop', id: 'one' },
      { type: 'ping', t: 'now' },
    ];
    for (const f of bad) await expectError(r, JSON.stringify(f) + '\n', 'bad-frame');
    await stillServed(r);
  });

  it('answers a text longer than 4000 characters with text-too-long and delivers nothing', async () => {
    const r = await named();
    await expectError(r, JSON.stringify({ type: 'say', text: 'x'.repeat(4001) }) + '\n', 'text-too-long');
    await expectError(r, JSON.stringify({ type: 'tell', to: 'bystander', text: 'y'.repeat(4001) }) + '\n', 'text-too-long');
    // exactly 4000 is fine
    const since = r.mark();
    r.send({ type: 'say', text: 'z'.repeat(4000) });
    await r.waitForType('message', (m) => (m.text as string).length === 4000, { since });
    await bystander.waitForType('message', (m) => m.text.length === 4000, { since: mark });
    mark = bystander.mark();
  });

  it('answers a line over 65536 bytes with line-too-long once, and reads the next line normally', async () => {
    const r = await named();
    const since = r.mark();
    // one overlong line sent in pieces, then a good one
    const big = JSON.stringify({ type: 'say', text: 'a'.repeat(70000) });
    await r.write(big.slice(0, 30000));
    await r.write(big.slice(30000) + '\n');
    r.send({ type: 'ping', t: 1 });
    await r.waitForType('pong', () => true, { since });
    const errors = r.ofType('error', since);
    expect(errors.map((e) => e.code)).to.deep.equal(['line-too-long']);
    expect(r.ofType('message', since)).to.have.length(0);
  });

  it('accepts a line of exactly 65536 bytes (the limit) and refuses 65537 bytes', async () => {
    const r = await named();
    const exact = JSON.stringify({ type: 'ping', t: 7, pad: '' });
    const padded = exact.replace('"pad":""', `"pad":"${'p'.repeat(65536 - exact.length)}"`);
    expect(Buffer.byteLength(padded)).to.equal(65536);
    let since = r.mark();
    await r.write(padded + '\n');
    expect((await r.waitForType('pong', () => true, { since })).t).to.equal(7);
    since = r.mark();
    await r.write(padded.replace('"pad":"', '"pad":"p') + '\n');
    expect((await r.waitError({ since })).code).to.equal('line-too-long');
  });

  it('survives an endless line (a partial line that never ends, 4 MiB): one line-too-long, then usable again', async () => {
    const r = await named();
    const since = r.mark();
    const piece = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 64; i++) await r.write(piece); // 4 MiB without a newline
    const e = await r.waitError({ since });
    expect(e.code).to.equal('line-too-long');
    expect(r.ofType('error', since)).to.have.length(1);
    expect(r.closed).to.equal(false);
    // the line ends at last; the next one is read normally
    await r.write('\n');
    await stillServed(r);
  });

  it('answers binary garbage with bad-encoding or bad-json and stays up', async () => {
    const r = await named();
    const since = r.mark();
    await r.write(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a])); // invalid UTF-8
    expect((await r.waitError({ since })).code).to.equal('bad-encoding');
    // random bytes with newlines scattered: every answer is a known error code, never a crash
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed & 0xff; };
    const junk = Buffer.from(Array.from({ length: 20000 }, () => rnd()));
    await r.write(junk);
    await r.write('\n');
    await stillServed(r);
    for (const err of r.ofType('error', since)) expect(ERROR_CODES as readonly string[]).to.include(err.code);
    expect(r.ofType('error', since).length).to.be.greaterThan(1);
  });

  it('ignores blank lines and strips a CR before the newline (nc -C, telnet)', async () => {
    const r = await named();
    const since = r.mark();
    await r.write('\n\r\n\n{"type":"ping","t":9}\r\n');
    expect((await r.waitForType('pong', () => true, { since })).t).to.equal(9);
    expect(r.ofType('error', since)).to.have.length(0);
  });

  it('requires hello first: other frames before it get handshake-required', async () => {
    const r = await scope.raw(srv.port);
    const e = await expectError(r, '{"type":"say","text":"sneaky"}\n', 'handshake-required');
    expect(e.re).to.equal('say');
    await expectError(r, '{"type":"who"}\n', 'handshake-required');
    await r.hello('late');
  });

  it('refuses another protocol version with bad-version', async () => {
    const r = await scope.raw(srv.port);
    const e = await expectError(r, '{"type":"hello","v":2,"name":"future"}\n', 'bad-version');
    expect(e.re).to.equal('hello');
    expect(srv.server.hub.isTaken('future')).to.equal(false);
  });

  it('refuses a second hello with already-online', async () => {
    const r = await named('twice');
    const e = await expectError(r, '{"type":"hello","v":1,"name":"other"}\n', 'already-online');
    expect(e.re).to.equal('hello');
    expect(srv.server.hub.isTaken('other')).to.equal(false);
  });

  it('answers a too-long nickname field (over 256 characters) with bad-frame and a 25-256 one with invalid-name', async () => {
    const r = await scope.raw(srv.port);
    await expectError(r, JSON.stringify({ type: 'hello', v: 1, name: 'n'.repeat(257) }) + '\n', 'bad-frame');
    await expectError(r, JSON.stringify({ type: 'hello', v: 1, name: 'n'.repeat(25) }) + '\n', 'invalid-name');
  });

  it('closes a connection that never says hello after the hello deadline (bye hello-timeout)', async () => {
    const r = await scope.raw(srv.port);
    const bye = await r.waitForType('bye', () => true, 3000);
    expect(bye.reason).to.equal('hello-timeout');
    expect(await r.waitEnd(3000)).to.equal('closed');
  });

  it('closes a connection that only sends garbage and never says hello, at the hello deadline', async () => {
    const r = await scope.raw(srv.port);
    await r.write('garbage\n');
    await r.waitError();
    await r.write('{"type":"who"'); // half a line, never finished
    expect((await r.waitForType('bye', () => true, 3000)).reason).to.equal('hello-timeout');
    await r.waitEnd(3000);
  });

  it('announces a client that vanishes without bye (socket destroyed) as left with reason gone', async () => {
    const r = await named('vanisher');
    r.destroy();
    const left = await bystander.waitForType('left', (e) => e.name === 'vanisher', { since: mark });
    expect(left.reason).to.equal('gone');
    mark = bystander.mark();
  });

  it('says bye (quit) to a client that says bye, then closes', async () => {
    const r = await named('polite');
    r.send({ type: 'bye' });
    expect((await r.waitForType('bye')).reason).to.equal('quit');
    await r.waitEnd();
    expect((await bystander.waitForType('left', (e) => e.name === 'polite', { since: mark })).reason).to.equal('quit');
    mark = bystander.mark();
  });
});
