// blessed reads terminal input one chunk (one read) at a time and assumes a mouse report comes alone: its mouse
// parser (Program#_bindMouse) reads one report at the start of a chunk and ignores the rest, and its key parser
// (keys.js emitKeys) ignores a whole chunk that holds a mouse report anywhere. A terminal delivers a click as two
// reports (press, release); when the client is busy (drawing, hashing) for a moment, both, or a report and the keys
// typed around it, arrive in one read, and the click or the keys were lost. So the input stream's 'data' events
// are split here, before blessed sees them: each mouse report alone, the bytes between reports as they came.
import type { EventEmitter } from 'node:events';

const ESC = 0x1b;
const LBRACKET = 0x5b;

/** Length of the mouse report starting at `i` (SGR `ESC [ < b ; x ; y M|m`, urxvt `ESC [ b ; x ; y M`, X10 `ESC [ M b x y`), or 0. */
function mouseReportAt(buf: Uint8Array, i: number): number {
  if (buf[i] !== ESC || buf[i + 1] !== LBRACKET) return 0;
  const c = buf[i + 2];
  if (c === 0x4d /* M */) return i + 6 <= buf.length ? 6 : 0; // X10: three raw bytes follow
  let j = i + 2;
  const sgr = c === 0x3c; /* < */
  if (sgr) j++;
  let fields = 0;
  for (;;) {
    const start = j;
    while (j < buf.length && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
    if (j === start) return 0;
    fields++;
    if (fields < 3) { if (buf[j] !== 0x3b /* ; */) return 0; j++; continue; }
    break;
  }
  const end = buf[j];
  if (end === 0x4d /* M */ || (sgr && end === 0x6d /* m */)) return j + 1 - i;
  return 0;
}

/** Splits one chunk of terminal input into pieces: every mouse report on its own, the bytes between them kept whole. */
export function splitInput(chunk: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== ESC) continue;
    const n = mouseReportAt(chunk, i);
    if (n === 0) continue;
    if (i > from) pieces.push(chunk.subarray(from, i));
    pieces.push(chunk.subarray(i, i + n));
    i += n - 1;
    from = i + 1;
  }
  if (from === 0) return [chunk];
  if (from < chunk.length) pieces.push(chunk.subarray(from));
  return pieces;
}

/** Makes `input` emit each piece of a chunk (see splitInput) as a 'data' event of its own, to every listener. */
export function splitMouseReports(input: EventEmitter): void {
  const emit = input.emit.bind(input);
  input.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    const chunk = args[0];
    if (event !== 'data' || !Buffer.isBuffer(chunk)) return emit(event, ...args);
    const pieces = splitInput(chunk);
    if (pieces.length === 1) return emit(event, ...args);
    let handled = false;
    for (const p of pieces) handled = emit('data', p) || handled;
    return handled;
  };
}
