// Ports for tests. TCP: listen on 0 and read the port back. UDP pools for the transfers host: pairs from
// 57000-57999 (the range set aside for the chat and download tests), handed out in turn from an offset that depends
// on the process id, so that two test runs on one machine rarely pick the same pair.
import net from 'node:net';

const UDP_BASE = 57000;
const UDP_SPAN = 1000;
let udpNext = (process.pid * 7) % UDP_SPAN;

/** The next `count` consecutive UDP ports (as an inclusive range) from 57000-57999. */
export function nextUdpPorts(count = 2): [number, number] {
  if (udpNext + count > UDP_SPAN) udpNext = 0;
  const a = UDP_BASE + udpNext;
  udpNext += count;
  return [a, a + count - 1];
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
