// npm run bench: the transfer benchmark, then the chat benchmark (if present). Flags (--quick, ...) go to both.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let failed = 0;
for (const name of ['transfer.ts', 'chat.ts']) {
  const file = path.join(here, name);
  if (!fs.existsSync(file)) { process.stdout.write(`bench: ${name} does not exist yet: skipped\n`); continue; }
  process.stdout.write(`\n== bench/${name} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: path.dirname(here) });
  if (r.status !== 0) { process.stdout.write(`bench: ${name} failed (${r.status ?? r.signal})\n`); failed++; }
}
process.exit(failed ? 1 : 0);
