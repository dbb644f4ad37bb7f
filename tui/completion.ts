// Tab completion for the input line: the last partial word is completed from nicknames, file names or command
// verbs, depending on where it stands. Pure. Tab only completes when the input ends in a partial word; otherwise
// it moves the focus (see tui/input.ts).

export const VERBS = ['/all', '/msg', '/who', '/files', '/get', '/yes', '/no', '/stop', '/quit', '/help'] as const;

export interface Candidates { names: readonly string[]; files: readonly string[] }

export interface Completion {
  /** The input after completion (unchanged when nothing matched). */
  text: string;
  /** Every candidate that matched the partial word. */
  matches: string[];
}

/** The partial word Tab would complete: the text after the last space, or '' when there is none. */
export function partialWord(input: string): string {
  const m = /(\S+)$/.exec(input);
  return m ? m[1]! : '';
}

function commonPrefix(words: string[]): string {
  if (!words.length) return '';
  let p = words[0]!;
  for (const w of words.slice(1)) {
    let i = 0;
    while (i < p.length && i < w.length && p[i]!.toLowerCase() === w[i]!.toLowerCase()) i++;
    p = p.slice(0, i);
  }
  return p;
}

function pool(input: string, word: string, c: Candidates): readonly string[] {
  const before = input.slice(0, input.length - word.length);
  if (!before.trim() && word.startsWith('/')) return VERBS;
  const verb = /^\/(\S+)\s+/.exec(before)?.[1]?.toLowerCase();
  const argIndex = before.trim().split(/\s+/).length - 1; // 0: first word after the verb
  if (verb === 'get' || verb === 'download') return c.files;
  if (verb === 'msg' || verb === 'tell' || verb === 'w') return argIndex === 0 ? c.names : c.names.concat(c.files);
  if (verb && ['who', 'files', 'quit', 'help', 'yes', 'no', 'stop'].includes(verb)) return [];
  return c.names.concat(c.files);
}

/** Completes the partial word at the end of `input` (case-insensitive prefix match). */
export function complete(input: string, c: Candidates): Completion {
  const word = partialWord(input);
  if (!word) return { text: input, matches: [] };
  const lw = word.toLowerCase();
  const matches = [...new Set(pool(input, word, c).filter((x) => x.toLowerCase().startsWith(lw)))];
  const head = input.slice(0, input.length - word.length);
  if (matches.length === 1) return { text: `${head}${matches[0]} `, matches };
  if (matches.length > 1) {
    const p = commonPrefix(matches);
    return { text: p.length > word.length ? head + p : input, matches };
  }
  return { text: input, matches };
}
