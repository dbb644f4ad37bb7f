// scratch: node --import tsx bench/kernel-try.ts OURS TCP RATE SECONDS CC
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { createBed } from './netns/bed.js';
import { kernelMix } from './transfer/kernel.js';
const [ours, tcp, rate, secs, cc] = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ktry-'));
const bed = createBed({ rate: rate ?? '100mbit' });
try {
  const r = await kernelMix(bed, { ours: Number(ours), tcp: Number(tcp), seconds: Number(secs ?? 8), cc, dir, log: console.error });
  console.log(JSON.stringify({ overlap: r.overlap, rates: r.rates.map((x) => +(x / 1e6).toFixed(2)), shares: r.shares.map((x) => +x.toFixed(2)), jainOverall: r.jainOverall.toFixed(3), jainMedian: r.jainMedian.toFixed(3), windows: r.windows, linkUse: r.linkUse.toFixed(3), drops: r.drops, ended: r.ended.map((e) => e && { cwnd: e.cwnd, srttMs: e.srttMs, minRttMs: e.minRttMs, retx: e.retransmits, lost: e.lost, cc: e.cc }) }));
} finally { bed.destroy(); fs.rmSync(dir, { recursive: true, force: true }); }
process.exit(0);
