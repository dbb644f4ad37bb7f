// npm does not link a package's own "bin" entries into its own node_modules/.bin, so `npx messenger` in a fresh
// clone would find nothing. This runs after the build (from `prepare`, so `npm install` and `npm ci` both do it)
// and links each bin there, executable. Idempotent; it never touches anything outside node_modules/.bin.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const binDir = path.join(root, 'node_modules', '.bin');
fs.mkdirSync(binDir, { recursive: true });
for (const [name, rel] of Object.entries(pkg.bin ?? {})) {
  const target = path.join(root, rel);
  if (!fs.existsSync(target)) { console.error(`link-bins: ${rel} is missing (did tsc run?)`); process.exitCode = 1; continue; }
  fs.chmodSync(target, 0o755);
  const link = path.join(binDir, name);
  try { fs.rmSync(link, { force: true }); } catch {}
  fs.symlinkSync(path.relative(binDir, target), link);
}
