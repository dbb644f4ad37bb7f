// Nickname rules: 1 to LIMITS.maxNameChars (24) characters, letters (any script), digits, and - _ . ; starting with a letter or digit.
// Uniqueness is case-insensitive (and Unicode-normalised), so "Alice" and "alice" are the same person.
import { LIMITS } from './limits.js';

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N}\-_.]*$/u;

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

export function checkNickname(raw: string): NameCheck {
  const name = raw.normalize('NFC');
  const len = [...name].length;
  if (len === 0) return { ok: false, reason: 'a nickname cannot be empty' };
  if (len > LIMITS.maxNameChars) return { ok: false, reason: `a nickname has at most ${LIMITS.maxNameChars} characters` };
  if (!NAME_RE.test(name)) return { ok: false, reason: 'a nickname holds letters, digits, "-", "_" and ".", and starts with a letter or digit' };
  return { ok: true, name };
}

/** The key under which a nickname is unique. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
