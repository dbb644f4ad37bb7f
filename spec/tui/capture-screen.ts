// Writes tui/SCREEN.txt: a text capture of a real session of the full-screen client (100x30) for the README.
// Run: node --import tsx spec/tui/capture-screen.ts
import fs from 'node:fs';
import path from 'node:path';
import { KEY, peer, ROOT, sleep, startServer, Tui } from './harness.js';

const srv = await startServer({
  'notes.txt': 'meeting notes\n', 'slides.pdf': Buffer.alloc(2_400_000, 7), 'song.ogg': Buffer.alloc(6_000_000, 9),
  'photo.jpg': Buffer.alloc(180_000, 3),
});
const bob = await peer(srv.server.port, 'bob');
bob.client.command('morning all, slides are up on the server');
await bob.waitEvent((e) => e.type === 'message' && e.text.startsWith('morning all')); // in the history alice is sent
const t = new Tui(['--name', 'alice', '--port', String(srv.server.port), '--no-reconnect'], 100, 30);
try {
  await t.waitFor('Files (4)', 15000);
  const carol = await peer(srv.server.port, 'carol');
  await t.waitFor('carol joined');
  t.type(`thanks bob, grabbing them now${KEY.enter}`);
  await t.waitFor('alice: thanks');
  carol.client.command('/msg alice lunch at noon?');
  await t.waitFor('carol -> you');
  t.type(`/msg carol yes, see you there${KEY.enter}`);
  await t.waitFor('you -> carol');
  await t.key(KEY.f6);
  await t.key(KEY.down);
  await t.key(KEY.down);
  await t.key(KEY.enter); // slides.pdf (the files are sorted by name)
  await t.waitFor('Continue download?', 30000);
  await t.key(KEY.f8);
  await t.waitFor(/done, last byte/, 30000);
  await t.key(KEY.f6);
  for (let i = 0; i < 3; i++) await t.key(KEY.down);
  await t.key(KEY.enter); // song.ogg
  await t.waitFor('Continue download?', 30000);
  bob.client.command('the {red-fg}budget{/red-fg} figures are in slide 12');
  await t.waitFor('slide 12');
  await sleep(300);
  const text = t.lines().map((l) => l.replace(/\d\d:\d\d:\d\d/g, '10:42:07').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:50000').replace(/tui-dl-\w{6}/g, 'tui-dl-UYetiJ')).join('\n');
  fs.writeFileSync(path.join(ROOT, 'tui/SCREEN.txt'), `${text}\n`);
  process.stdout.write(`${text}\n`);
  await carol.stop();
} finally {
  await t.stop();
  await bob.stop();
  await srv.stop();
}
process.exit(0);
