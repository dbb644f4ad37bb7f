// Everyone online as the bytes of a JSON list, kept up to date as people join instead of encoded again for each
// welcome: with 10,000 online, JSON.stringify of the names costs about a millisecond, which every one of 10,000 logins
// paid. A join appends its name (a few bytes); a leave marks the list stale, and the next reader rebuilds it once.
// The buffers handed out are never changed afterwards (appends make new ones), so a socket's queue may keep them.

/** Small appends are merged into one buffer past this many, so that a welcome is a few writes, not one per name. */
const MERGE_AFTER = 32;

export class NameList {
  private parts: Buffer[] = [];
  private stale = false;

  /** `all`: everyone online, read when the list is rebuilt after a leave. */
  constructor(private readonly all: () => Iterable<string>) {}

  /** Someone joined: their name goes at the end. */
  add(name: string): void {
    if (this.stale) return;
    this.parts.push(Buffer.from(`,${JSON.stringify(name)}`, 'utf8'));
    if (this.parts.length > MERGE_AFTER) this.parts = [Buffer.concat(this.parts)];
  }

  /** Someone left: the list is rebuilt when it is next read. */
  removed(): void {
    this.stale = true;
    this.parts = [];
  }

  /**
   * Everyone online, encoded: the inside of a JSON array with a comma before each name (`,"ann","bob"`), in parts
   * that are never modified. The returned array itself is this list's: use it at once.
   */
  encoded(): readonly Buffer[] {
    if (this.stale) {
      let s = '';
      for (const n of this.all()) s += `,${JSON.stringify(n)}`;
      this.parts = s ? [Buffer.from(s, 'utf8')] : [];
      this.stale = false;
    }
    return this.parts;
  }

  /**
   * One JSON frame whose last field is a list of everyone online, as buffers to write in order: `head` must be a
   * frame object whose last key is that list (given empty), for instance `{ ..., online: [] }`.
   */
  frame(head: object): Buffer[] {
    const json = JSON.stringify(head);
    if (!json.endsWith('[]}')) throw new Error('NameList.frame: the last field of the frame must be an empty list');
    const parts = this.encoded();
    if (!parts.length) return [Buffer.from(`${json}\n`, 'utf8')];
    const out: Buffer[] = [Buffer.from(json.slice(0, -2), 'utf8')];
    parts.forEach((p, i) => out.push(i ? p : p.subarray(1)));
    out.push(CLOSE);
    return out;
  }
}

const CLOSE = Buffer.from(']}\n', 'utf8');
