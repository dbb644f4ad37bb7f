// A stable colour per nickname: a hash of the case-folded name picks from colours readable on a dark background.
export const NICK_COLORS = [
  'red', 'green', 'yellow', 'magenta', 'cyan', 'light-red', 'light-green', 'light-yellow', 'light-blue',
  'light-magenta', 'light-cyan',
] as const;

export type NickColor = (typeof NICK_COLORS)[number];

/** FNV-1a over the UTF-16 code units of the name, folded as the server folds names (NFKC, lower case). */
export function hashName(name: string): number {
  const key = name.normalize('NFKC').toLowerCase();
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function nickColor(name: string): NickColor {
  return NICK_COLORS[hashName(name) % NICK_COLORS.length]!;
}

/** A nickname in its colour, as blessed tags; `shown` must already be safe (escaped) text. */
export function colorNick(name: string, shown: string): string {
  const c = nickColor(name);
  return `{${c}-fg}${shown}{/${c}-fg}`;
}
