// npm run fuzz [-- --seconds N --seed S --fuzzers N --good N --udp-ports A-B]: hostile lines against a live server
// while well-behaved clients chat and download; prints the counts and exits 1 on any crash, stall, unexpected
// answer or loss.
import { parseArgs } from 'node:util';
import { formatResult, runFuzz } from './fuzz/engine.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: String(Date.now() % 100000) },
    fuzzers: { type: 'string', default: '24' }, good: { type: 'string', default: '4' }, 'udp-ports': { type: 'string', default: '58900-58915' },
  },
});
const [a, b] = String(values['udp-ports']).split('-').map(Number) as [number, number];
const r = await runFuzz({
  seconds: Number(values.seconds), seed: Number(values.seed), fuzzers: Number(values.fuzzers), good: Number(values.good),
  udpPorts: [a, b], log: (l) => console.log(l),
});
console.log(formatResult(r));
const g = r.good;
const ok = r.crashes === 0 && r.stalls === 0 && r.unexpected.length === 0 && r.serverAlive && g.messagesLost === 0 && g.privateLost === 0 && g.badDownloads === 0 && g.downloads > 0;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
