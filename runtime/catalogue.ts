// The shared-files catalogue: regular files directly inside the shared folder, never folders, hidden files, or
// links that lead outside it. Opening a file re-checks everything at open time (a name can change between listing
// and download): the real path must stay inside the root and the opened descriptor must be a regular file.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { MessengerError } from '../machines/errors.js';
import type { FileEntry } from '../machines/frames.js';
import { checkSharedName } from '../machines/file-name.js';

export interface OpenedFile {
  name: string;
  fd: number;
  size: number;
  /** Identity of this version of the file: changes when the file is replaced or modified. */
  version: string;
  close(): void;
}

export class Catalogue {
  readonly root: string;
  private realRoot: string;
  private readonly hashes = new Map<string, Promise<string>>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.realRoot = fs.realpathSync(this.root);
  }

  async list(): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    let names: string[];
    try { names = await fsp.readdir(this.root); } catch { return out; }
    for (const name of names.sort()) {
      if (checkSharedName(name) !== null) continue;
      const real = await this.resolveInside(name).catch(() => null);
      if (!real) continue;
      const st = await fsp.stat(real).catch(() => null);
      if (st?.isFile()) out.push({ name, size: st.size });
    }
    return out;
  }

  private async resolveInside(name: string): Promise<string | null> {
    const real = await fsp.realpath(path.join(this.root, name));
    const rel = path.relative(this.realRoot, real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return real;
  }

  /** Opens a shared file for reading, or throws a MessengerError (bad-file-name, no-such-file, io-error). */
  async open(name: string): Promise<OpenedFile> {
    const why = checkSharedName(name);
    if (why) throw new MessengerError('bad-file-name', why);
    let real: string | null;
    try { real = await this.resolveInside(name); } catch { throw new MessengerError('no-such-file', `no shared file "${name}"`); }
    if (!real) throw new MessengerError('no-such-file', `no shared file "${name}"`);
    let fd: number;
    try { fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK); }
    catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') throw new MessengerError('no-such-file', `no shared file "${name}"`);
      throw new MessengerError('io-error', `cannot read "${name}": ${code ?? 'error'}`);
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile()) { fs.closeSync(fd); throw new MessengerError('no-such-file', `"${name}" is not a regular file`); }
    let open = true;
    return {
      name, fd, size: st.size, version: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, // ctime: a rewrite that restores mtime still counts
      close: () => { if (open) { open = false; fs.closeSync(fd); } },
    };
  }

  /**
   * Hashes every shared file whose version is not cached yet, one after the other, in the background (the server
   * starts it once it listens): a file's first download then need not wait for its hash. Stops when `stop()` says so.
   * A file that changes later is hashed again at its next request (its version differs).
   */
  async hashAll(stop: () => boolean): Promise<number> {
    let hashed = 0;
    for (const entry of await this.list()) {
      if (stop()) break;
      let file: OpenedFile | null = null;
      try {
        file = await this.open(entry.name);
        if (!this.hashes.has(file.version)) { await this.sha256(file); hashed++; }
      } catch { /* gone or unreadable meanwhile: its request will say so */ } finally { file?.close(); }
    }
    return hashed;
  }

  /** SHA-256 of an opened file, cached per version; read in large chunks off the event loop's critical path. */
  sha256(file: OpenedFile): Promise<string> {
    let h = this.hashes.get(file.version);
    if (!h) {
      h = hashFd(file.fd, file.size);
      this.hashes.set(file.version, h);
      h.catch(() => this.hashes.delete(file.version));
      if (this.hashes.size > 1000) this.hashes.delete(this.hashes.keys().next().value!);
    }
    return h;
  }
}

async function hashFd(fd: number, size: number): Promise<string> {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  while (pos < size) {
    const n = await new Promise<number>((res, rej) => fs.read(fd, buf, 0, Math.min(buf.length, size - pos), pos, (e, k) => (e ? rej(e) : res(k))));
    if (n === 0) throw new MessengerError('io-error', 'the file shrank while it was read');
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  return hash.digest('hex');
}
