// Ports for tests. TCP: listen on 0 and read the port back. UDP: every test that needs a fixed UDP range (a
// transfers pool, a link emulator's listening ports, a child server's --udp-ports) takes it from nextUdpPorts, the
// one allocator. Ranges come from 20000-32767, set aside for tests: below the kernel's ephemeral range
// (32768-60999 here), so no socket bound to port 0 lands in it, and away from the server's defaults (50000,
// 55000-55015). Each process starts at an offset that depends on its pid, hands out ranges in turn, and probe-binds
// every port of a candidate range before handing it out, skipping past any port in use; so two test runs on one
// machine do not collide, and a range given out is free at that moment.
import dgram from 'node:dgram';
import net from 'node:net';

export const TEST_UDP_FIRST = 20000;
export const TEST_UDP_LAST = 32767;
const SPAN = TEST_UDP_LAST - TEST_UDP_FIRST + 1;
let cursor = (process.pid * 257) % SPAN;

/** Binds UDP `port` on `host` and closes it again: true when the bind succeeded. */
export function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** `count` consecutive UDP ports (an inclusive range) from the test range, each one probed free just now. */
export async function nextUdpPorts(count = 2, host = '127.0.0.1'): Promise<[number, number]> {
  if (count < 1 || count > 256) throw new RangeError(`nextUdpPorts: ${count} ports asked for (1-256)`);
  for (let tried = 0; tried < SPAN; ) {
    if (cursor + count > SPAN) cursor = 0;
    const first = TEST_UDP_FIRST + cursor;
    let busy = -1;
    for (let p = first; p < first + count; p++) if (!(await udpPortFree(p, host))) { busy = p; break; }
    const advance = busy < 0 ? count : busy - first + 1;
    cursor += advance;
    tried += advance;
    if (busy < 0) return [first, first + count - 1];
  }
  throw new Error(`nextUdpPorts: no ${count} consecutive free UDP ports in ${TEST_UDP_FIRST}-${TEST_UDP_LAST}`);
}

/** A TCP port that was free a moment ago (for child processes, which cannot report a port 0 choice otherwise). */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
