// `npm run model-coverage`: runs the model specs (spec/model/*.spec.ts) and prints the runtime coverage of every
// machine as one JSON object on stdout: { "session": { "states": [taken, total], "transitions": [taken, total] }, ... }.
// Mocha's own output goes to stderr. Exits with mocha's status (the coverage gate fails it below 100%).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-coverage-')), 'coverage.json');
const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const run = spawnSync(process.execPath, [mocha, 'spec/model/**/*.spec.ts'], {
  cwd: root, env: { ...process.env, MODEL_COVERAGE_JSON: out }, stdio: ['ignore', process.stderr, process.stderr],
});
if (!fs.existsSync(out)) {
  process.stderr.write(`model-coverage: the model specs wrote no coverage (mocha exited ${run.status ?? run.signal})\n`);
  process.exit(1);
}
process.stdout.write(fs.readFileSync(out, 'utf8'));
fs.rmSync(path.dirname(out), { recursive: true, force: true });
process.exit(run.status ?? 1);
