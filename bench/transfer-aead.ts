// The AEAD transfer benchmark (npm run bench:aead, or node --import tsx bench/transfer-aead.ts [--quick] [--runs N]):
// loopback goodput of one download with datagrams sealed by AES-128-GCM (control connection over TLS 1.3) against the
// CRC and token (plain TCP), each end its own process (bench/transfer/aead-peer.ts: the real TransfersHost and
// Downloads, chunk 60000, BBR). Rounds alternate the order of the two; the ratio is the median of per-round ratios
// (this machine is shared). Also: the CPU time of sealing and opening alone, CRC against AES-128-GCM.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_HEADER_BYTES, writeDataHeader } from '../machines/transport/packet-codec.js';
import { AeadProtection, transferKeysFrom } from '../runtime/udp-crypto.js';
import { crcProtection, type DatagramProtection } from '../runtime/udp-endpoint.js';
import { JsonChild, ROOT } from './transfer/procs.js';
import { median } from './transfer/stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, runs: { type: 'string' } }, strict: true });
const quick = Boolean(values.quick);
const SIZE = (quick ? 64 : 256) << 20;
const RUNS = values.runs ? Number(values.runs) : quick ? 3 : 5;
const MB = 1e6;
const base = 31000 + 100 * Math.floor(Math.random() * 80);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-bench-aead-'));
const files = path.join(dir, 'files');
fs.mkdirSync(files);
const log = (s: string) => process.stderr.write(`[bench:aead] ${s}\n`);

function peer(args: string[]): JsonChild {
  return new JsonChild(args.join(' '), spawn(process.execPath, ['--import', 'tsx', 'bench/transfer/aead-peer.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** CPU ms per MB to seal and open 60 KB DATA datagrams in this process, with one protection and the other. */
function sealOpenCpu(): { crc: number; aead: number } {
  const keys = transferKeysFrom(crypto.randomBytes(64));
  const payload = crypto.randomBytes(60000);
  const run = (tx: DatagramProtection, rx: DatagramProtection): number => {
    const n = 3000;
    const u0 = process.cpuUsage();
    for (let pn = 0; pn < n; pn++) {
      const buf = Buffer.allocUnsafe(DATA_HEADER_BYTES + payload.length + tx.trailerBytes);
      writeDataHeader(buf, { transferId: 1, token: Buffer.alloc(8), pn }, 0, payload.length);
      payload.copy(buf, DATA_HEADER_BYTES);
      tx.seal(buf, DATA_HEADER_BYTES + payload.length);
      rx.open(buf);
    }
    const u = process.cpuUsage(u0);
    return (u.user + u.system) / 1000 / ((n * payload.length) / MB);
  };
  run(crcProtection, crcProtection); // warm-up
  const crc = median([0, 1, 2].map(() => run(crcProtection, crcProtection)));
  const aead = median([0, 1, 2].map(() => run(new AeadProtection(keys, 'server'), new AeadProtection(keys, 'client'))));
  return { crc, aead };
}

async function main(): Promise<void> {
  const data = crypto.randomBytes(SIZE);
  fs.writeFileSync(path.join(files, 'big.bin'), data);
  const modes = [
    { name: 'crc', tls: false, port: base, pool: base + 10 },
    { name: 'aead', tls: true, port: base + 1, pool: base + 20 },
  ] as const;
  const servers = new Map<string, JsonChild>();
  for (const m of modes) {
    const s = peer(['--role', 'server', '--port', String(m.port), '--pool', String(m.pool), '--files', files, ...(m.tls ? ['--tls'] : [])]);
    await s.waitFor((x) => typeof x.listening === 'number', 30_000);
    servers.set(m.name, s);
  }
  const rows: Array<Record<string, number>> = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 === 0 ? modes : [...modes].reverse();
      const row: Record<string, number> = {};
      for (const m of order) {
        const dl = fs.mkdtempSync(path.join(dir, 'dl-'));
        const server = servers.get(m.name)!;
        const cpu0 = server.cpu();
        const c = peer(['--role', 'client', '--port', String(m.port), '--dir', dl, '--file', 'big.bin', ...(m.tls ? ['--tls'] : [])]);
        const end = (await c.waitFor((x) => x.type === 'finished' || x.type === 'error', 300_000)).msg;
        if (end.type !== 'finished') throw new Error(`${m.name}: ${JSON.stringify(end)}`);
        row[m.name] = Number(end.goodput) / MB;
        row[`${m.name}ServerCpu`] = ((server.cpu() - cpu0) * 1000) / (SIZE / MB);
        row[`${m.name}ClientCpu`] = (Number(end.cpuSeconds) * 1000) / (SIZE / MB);
        await c.exit;
        fs.rmSync(dl, { recursive: true, force: true });
      }
      row.ratio = row.aead! / row.crc!;
      log(`round ${r + 1}: crc ${row.crc!.toFixed(0)} MB/s, aead ${row.aead!.toFixed(0)} MB/s, ratio ${row.ratio.toFixed(2)}`);
      rows.push(row);
    }
  } finally {
    for (const s of servers.values()) await s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const med = (k: string) => median(rows.map((x) => x[k]!));
  const raw = sealOpenCpu();
  const md = [
    `### Datagram AEAD on loopback, one ${SIZE >> 20} MiB download (median of ${RUNS}${quick ? ', --quick' : ''})`,
    '',
    '| datagrams | goodput MB/s | server CPU ms/MB | client CPU ms/MB |',
    '|---|---|---|---|',
    `| CRC32 + token (plain TCP control) | ${med('crc').toFixed(0)} | ${med('crcServerCpu').toFixed(2)} | ${med('crcClientCpu').toFixed(2)} |`,
    `| AES-128-GCM (TLS 1.3 control) | ${med('aead').toFixed(0)} | ${med('aeadServerCpu').toFixed(2)} | ${med('aeadClientCpu').toFixed(2)} |`,
    '',
    `AEAD / CRC goodput: **${med('ratio').toFixed(2)}x** (per-round ratios ${rows.map((x) => x.ratio!.toFixed(2)).join(', ')}). ` +
      `Sealing and opening alone (60 KB DATA datagrams, one process, CPU time): CRC ${raw.crc.toFixed(2)} ms/MB, AES-128-GCM ${raw.aead.toFixed(2)} ms/MB.`,
  ].join('\n');
  process.stdout.write(`${md}\n`);
}

await main();
