// Nickname rules: 1-24 characters, letters (any script), digits, and - _ . ; starting with a letter or digit.
// Uniqueness is case-insensitive (and Unicode-normalised), so "Alice" and "alice" are the same person.
import { MAX_NAME_CHARS } from './frame-codec.js';

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N}\-_.]*$/u;

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

export function checkNickname(raw: string): NameCheck {
  const name = raw.normalize('NFC');
  const len = [...name].length;
  if (len === 0) return { ok: false, reason: 'a nickname cannot be empty' };
  if (len > MAX_NAME_CHARS) return { ok: false, reason: `a nickname has at most ${MAX_NAME_CHARS} characters` };
  if (!NAME_RE.test(name)) return { ok: false, reason: 'a nickname holds letters, digits, "-", "_" and ".", and starts with a letter or digit' };
  return { ok: true, name };
}

/** The key under which a nickname is unique. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
