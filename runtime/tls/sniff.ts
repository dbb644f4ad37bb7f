// What a new connection speaks, read from its first byte: a TLS handshake record starts with 0x16; a messenger
// client's plain NDJSON starts with `{` (a person typing into nc may start with anything). The byte is put back,
// so the TLS layer (or the line splitter) reads the stream from its start.
import type { Socket } from 'node:net';
import type { Clock } from '../clock.js';

const TLS_HANDSHAKE = 0x16;
/** Errors are reported by 'close'. Module-level: a closure here would keep this call's whole scope (its timer and
 *  listeners, ~0.4 KB) alive for as long as the connection lasts. */
const ignoreError = (): void => {};

/** Calls `then(true)` for a TLS client hello, `then(false)` for anything else, and destroys a socket that says
 *  nothing within `ms` (or ends first). The first bytes are back in the socket's buffer when `then` runs. */
export function sniffTls(socket: Socket, clock: Clock, ms: number, then: (tls: boolean) => void): void {
  const timer = clock.setTimeout(() => socket.destroy(), ms);
  const onData = (first: Buffer) => {
    clock.clearTimeout(timer);
    socket.off('close', onClose);
    socket.pause();
    socket.unshift(first);
    then(first[0] === TLS_HANDSHAKE);
  };
  const onClose = () => { clock.clearTimeout(timer); socket.off('data', onData); };
  socket.on('error', ignoreError);
  socket.once('data', onData);
  socket.once('close', onClose);
}
