// Where downloads live on the client's disk: a partial file `.partial/NAME.part` beside its metadata
// `.partial/NAME.part.json` (what a resume needs: the server's size and hash, and how many bytes are held from the
// start), and the finished file under its base name, or NAME.1, NAME.2, ... when that is taken: never over an
// existing file. Partials live in a folder of their own so that they never truncate a user's file that happens
// to be called NAME.part.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export interface PartialMeta { file: string; size: number; sha256: string; received: number }

export const PARTIAL_DIR = '.partial';
export function partialDir(dir: string): string { return path.join(dir, PARTIAL_DIR); }
export function partPath(dir: string, base: string): string { return path.join(dir, PARTIAL_DIR, `${base}.part`); }
function metaPath(dir: string, base: string): string { return path.join(dir, PARTIAL_DIR, `${base}.part.json`); }

export function readPartial(dir: string, base: string): PartialMeta | null {
  try {
    const m = JSON.parse(fs.readFileSync(metaPath(dir, base), 'utf8')) as PartialMeta;
    const st = fs.statSync(partPath(dir, base));
    if (typeof m.received !== 'number' || typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) return null;
    // never trust the metadata past what is on disk
    return { ...m, received: Math.min(m.received, st.size) };
  } catch { return null; }
}

export function writePartial(dir: string, base: string, meta: PartialMeta): void {
  const tmp = `${metaPath(dir, base)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(meta));
  fs.renameSync(tmp, metaPath(dir, base));
}

export function dropPartialMeta(dir: string, base: string): void {
  fs.rmSync(metaPath(dir, base), { force: true });
}

/** Moves the finished partial into place under a name nothing holds yet; returns the final path. */
export function placeFinished(dir: string, base: string): string {
  const src = partPath(dir, base);
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : `${base}.${i}`;
    const dst = path.join(dir, name);
    try {
      // link + unlink: fails instead of overwriting when dst exists (rename would replace it silently)
      fs.linkSync(src, dst);
      fs.unlinkSync(src);
      return dst;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).on('data', (d) => hash.update(d)).on('end', resolve).on('error', reject);
  });
  return hash.digest('hex');
}
