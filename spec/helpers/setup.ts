// Loaded before every spec (.mocharc.json "require"): the whole run gets a MESSENGER_HOME of its own, so that no
// client in a test (nor a child process it starts) reads or writes the user's ~/.config/messenger.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-test-home-'));
process.env.MESSENGER_HOME = home;

export const mochaHooks = {
  afterAll(): void { fs.rmSync(home, { recursive: true, force: true }); },
};
