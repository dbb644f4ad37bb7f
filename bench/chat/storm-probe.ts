// Development helper: one login storm against a server already listening (port from argv), from 4 load-generator
// processes, printing how long until the last welcome. `node --import tsx bench/chat/storm-probe.ts PORT COUNT [proto]`
import { LoadGen } from './loadgen.js';
import type { ProtoName } from './protocols.js';

const [port, count, proto] = [Number(process.argv[2]), Number(process.argv[3] ?? 1000), (process.argv[4] ?? 'ours') as ProtoName];
const gen = new LoadGen(4);
const names = Array.from({ length: count }, (_, i) => `p${i.toString(36)}`);
const r = await gen.storm('probe', proto, port, names, 4, Number(process.env.STORM_CONCURRENCY ?? 8), 300_000);
process.stdout.write(`${r.ok} in, ${r.failed.length} failed, last welcome ${r.seconds.toFixed(2)} s\n`);
if (process.env.STORM_HOLD_MS) await new Promise((res) => setTimeout(res, Number(process.env.STORM_HOLD_MS)));
await gen.close('probe');
await gen.exit();
