#!/usr/bin/env node
// messenger-link: a user-space link emulator between download clients and the server's UDP port pool (this kernel
// has no netem). Pair it with the server's --udp-advertise-ports so clients are told to send through it.
import { parseArgs } from 'node:util';
import {
  LinkEmulator, SpecError, buildMappings, describeImpairments, formatStats, parseImpairments, parsePortRange,
  parseSeconds, parseSeed, parseTarget,
} from '../runtime/link/index.js';
import type { ImpairmentSpec } from '../runtime/link/index.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_SEED = 1;
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;
const MS_PER_SECOND = 1000;

const USAGE = `Usage: messenger-link --listen-ports A-B --target HOST:C-D [options]

Forwards UDP datagrams from listen port A+i to HOST:C+i and the replies back, impairing each direction.
"up" is client -> server, "down" is server -> client. With no impairments it is a clean pass-through.

Options:
  --listen-ports A-B   ports to listen on (one per target port)
  --target HOST:C-D    where to forward, one to one ([::1]:C-D for IPv6)
  --host HOST          address the listen ports bind to (default ${DEFAULT_HOST})
  --up SPEC            impairments client -> server
  --down SPEC          impairments server -> client
  --both SPEC          impairments both ways (--up / --down fields override it)
  --seed N             PRNG seed: the same seed gives the same decisions (default ${DEFAULT_SEED})
  --stats-every S      print a stats line every S seconds
  --help               this text

SPEC is a comma-separated list of:
  loss=2%              independent random loss
  ge=P/R[/LB[/LG]]     Gilbert-Elliott bursty loss: P good->bad, R bad->good, loss in bad (1) and good (0)
  delay=15ms           one-way delay          jitter=3ms      uniform +-, never reorders by itself
  rate=10mbit          bottleneck rate (kbit, mbit, gbit; kbps, mbps mean BYTES/s as in tc)
  queue=25 | 64kb      drop-tail queue of the bottleneck, in datagrams or bytes (default 64 datagrams)
  dup=1%               duplication            corrupt=1%      flip one random byte
  reorder=2%           hold a datagram back by reorder-delay (default 10ms) so later ones overtake it
  blackout=2000+500    drop everything from 2000 ms after start for 500 ms (repeat, or 2s+1s;5s+1s)

Example:
  messenger-server --udp-ports 55000-55015 --udp-advertise-ports 56000-56015 &
  messenger-link --listen-ports 56000-56015 --target 127.0.0.1:55000-55015 \\
      --down loss=2%,delay=15ms,jitter=3ms,rate=10mbit,queue=25 --up delay=15ms --seed 7 --stats-every 5
`;

function fail(message: string, code: number): never {
  process.stderr.write(`messenger-link: ${message}\n`);
  process.exit(code);
}

function main(): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        'listen-ports': { type: 'string' }, target: { type: 'string' }, host: { type: 'string' },
        up: { type: 'string' }, down: { type: 'string' }, both: { type: 'string' }, seed: { type: 'string' },
        'stats-every': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true, allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`messenger-link: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(EXIT_USAGE);
  }
  if (values.help) { process.stdout.write(USAGE); return; }

  const str = (k: string): string | undefined => values[k] as string | undefined;
  let emulator: LinkEmulator;
  let statsEveryS: number | undefined;
  let startLine: string;
  let bindHost: string;
  try {
    const listenText = str('listen-ports');
    const targetText = str('target');
    if (!listenText || !targetText) throw new SpecError('--listen-ports and --target are required (see --help)');
    const host = str('host') ?? DEFAULT_HOST;
    const target = parseTarget(targetText);
    const mappings = buildMappings(parsePortRange(listenText, '--listen-ports'), target.host, target.ports);
    const both = parseImpairments(str('both') ?? '');
    const up: ImpairmentSpec = { ...both, ...parseImpairments(str('up') ?? '') };
    const down: ImpairmentSpec = { ...both, ...parseImpairments(str('down') ?? '') };
    const seed = str('seed') !== undefined ? parseSeed(str('seed')!) : DEFAULT_SEED;
    statsEveryS = str('stats-every') !== undefined ? parseSeconds(str('stats-every')!, '--stats-every') : undefined;
    emulator = new LinkEmulator({ host, mappings, up, down, seed });
    startLine = `-> ${targetText} up=[${describeImpairments(up)}] down=[${describeImpairments(down)}] seed=${seed}`;
    bindHost = host;
  } catch (e) {
    if (e instanceof SpecError || e instanceof RangeError) fail(`${e.message}`, EXIT_USAGE);
    throw e;
  }

  let ticker: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(EXIT_FAILURE); // a second signal: give up waiting
    stopping = true;
    if (ticker) clearInterval(ticker);
    process.stdout.write(`messenger-link: ${signal}: ${formatStats(emulator.stats())}\n`);
    emulator.close().then(() => process.exit(0), () => process.exit(EXIT_FAILURE));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  emulator.start().then(() => {
    // the bound ports, not the requested ones: --listen-ports 0 picks a free port
    const ports = emulator.ports;
    const listening = ports.length > 1 ? `${ports[0]}-${ports[ports.length - 1]}` : `${ports[0]}`;
    process.stdout.write(`messenger-link: listening on ${bindHost}:${listening} ${startLine}\n`);
    if (statsEveryS !== undefined) {
      ticker = setInterval(() => process.stdout.write(`messenger-link: ${formatStats(emulator.stats())}\n`), statsEveryS * MS_PER_SECOND);
    }
  }, (e: NodeJS.ErrnoException) => fail(`cannot start: ${e.message}`, EXIT_FAILURE));
}

main();
