// A real browser for end-to-end tests: Debian's chromium (installed by .ci/run), driven by playwright-core, with a
// fresh profile folder that is removed when the browser is closed. Never `npx playwright install`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { makeTempDir, removeDir } from './tmp.js';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** The `chromium` on the PATH (`which chromium`), or a clear error saying how to get it. */
export function chromiumPath(): string {
  let p = '';
  try { p = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim(); } catch { /* not found */ }
  if (!p || !fs.existsSync(p)) throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does it)');
  return p;
}

export interface Browser { context: BrowserContext; close(): Promise<void> }

/** Starts chromium with a fresh --user-data-dir; `close` ends it (bounded) and removes the profile. */
export async function launchChromium(opts: { javaScriptEnabled?: boolean } = {}): Promise<Browser> {
  const profile = makeTempDir('messenger-chromium-');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS, timeout: 30_000,
      viewport: { width: 1400, height: 1000 }, javaScriptEnabled: opts.javaScriptEnabled ?? true,
    });
  } catch (e) {
    removeDir(profile);
    throw e;
  }
  let closed = false;
  return {
    context,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      removeDir(profile);
    },
  };
}
