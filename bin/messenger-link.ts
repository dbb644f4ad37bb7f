#!/usr/bin/env node
// placeholder, replaced by the link emulator's CLI
process.stderr.write('messenger-link: not built yet\n');
process.exit(1);
