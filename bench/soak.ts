// npm run soak [-- --cycles N --workers N --download-every K --udp-ports A-B]: connect, chat, download, disconnect
// cycles against one server; prints memory (heap retained per session, after full GC), handles and ports before and
// after; exits 1 on a leak (more than MAX_RETAINED_BYTES_PER_SESSION per session) or a failure.
import { parseArgs } from 'node:util';
import { formatSoak, MAX_RETAINED_BYTES_PER_SESSION, runSoak } from './fuzz/soak.js';

const { values } = parseArgs({ options: {
  cycles: { type: 'string', default: '3000' }, workers: { type: 'string', default: '20' }, 'download-every': { type: 'string', default: '10' },
  'udp-ports': { type: 'string', default: '58950-58957' },
} });
const [a, b] = String(values['udp-ports']).split('-').map(Number) as [number, number];
const r = await runSoak({ cycles: Number(values.cycles), workers: Number(values.workers), downloadEvery: Number(values['download-every']), udpPorts: [a, b], log: (l) => console.log(l) });
console.log(formatSoak(r));
const ok = r.failures.length === 0 && r.connectionsAfter === 0 && r.onlineAfter === 0 && r.portsFreeAfter === r.portsTotal && r.transfersActiveAfter === 0
  && r.retainedPerSession < MAX_RETAINED_BYTES_PER_SESSION
  && (r.handlesAfter.TCPSocketWrap ?? 0) <= (r.handlesBefore.TCPSocketWrap ?? 0) && (r.handlesAfter.UDPWrap ?? 0) <= (r.handlesBefore.UDPWrap ?? 0);
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
