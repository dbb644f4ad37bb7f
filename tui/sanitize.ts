// Remote text (nicknames, messages, file names) is untrusted: before it reaches the screen it is stripped of
// control characters and terminal escape sequences, wide emoji get a safe narrow form, and blessed tags are escaped
// so that "{red-fg}" shows literally instead of colouring anything.

/** ESC sequences: CSI (ESC [ ... final), OSC/DCS/PM/APC/SOS (ESC ] ... BEL or ST), and two-byte ESC x. */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)|\x1b[\s\S]?|\x9b[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 controls and DEL, plus bidi overrides and isolates (they can reorder what the reader sees). */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Removes escape sequences and control characters; tabs and line breaks become single spaces. */
export function stripControls(text: string): string {
  return text.replace(ESCAPES, '').replace(/\r\n|[\r\n\t]/g, ' ').replace(CONTROLS, '');
}

/** blessed parses {tag} markup in content: escape both braces (blessed's own escape uses the same tags). */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

// Emoji: blessed (and neo-blessed) draw emoji one column too wide, which shifts the rest of the line and leaves
// debris on redraw (upstream issue chjj/blessed#422, still open). CJK and other East Asian wide characters are
// measured correctly with fullUnicode, so only emoji get a mitigation: a grapheme shown as an emoji (emoji
// presentation, a U+FE0F selector, a ZWJ sequence, a keycap or a flag) becomes a short narrow text form: a
// familiar emoticon for a few common ones, the two letters of a flag, otherwise its code point as [U+1F984].
const EMOTICONS: Record<string, string> = {
  '\u{1F600}': ':D', '\u{1F603}': ':D', '\u{1F604}': ':D', '\u{1F601}': ':D', '\u{1F642}': ':)', '\u{1F60A}': ':)',
  '\u{1F609}': ';)', '\u{1F602}': 'XD', '\u{1F923}': 'XD', '\u{1F622}': ":'(", '\u{1F62D}': ":'(", '\u{1F641}': ':(',
  '\u2639': ':(', '\u{1F62E}': ':O', '\u{1F61B}': ':P', '\u{1F60E}': 'B)', '\u{1F44D}': '(+1)', '\u{1F44E}': '(-1)',
  '\u2764': '<3', '\u{1F389}': '\\o/', '\u{1F44B}': '(wave)', '\u{1F525}': '(fire)',
};
const EMOJI_HINT = /\p{Emoji_Presentation}|\uFE0F|\u200D|\u20E3|[\u{1F1E6}-\u{1F1FF}]/u;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function narrowForm(grapheme: string): string {
  const cps = [...grapheme].map((c) => c.codePointAt(0)!);
  const flag = cps.filter((cp) => cp >= 0x1f1e6 && cp <= 0x1f1ff);
  if (flag.length === 2 && cps.length === 2) return `[${flag.map((cp) => String.fromCharCode(65 + cp - 0x1f1e6)).join('')}]`;
  const base = cps.filter((cp) => cp !== 0xfe0f && cp !== 0xfe0e && !(cp >= 0x1f3fb && cp <= 0x1f3ff));
  if (base.length === 1 && EMOTICONS[String.fromCodePoint(base[0]!)]) return EMOTICONS[String.fromCodePoint(base[0]!)]!;
  if (cps[1] === 0x20e3 || cps[2] === 0x20e3) return `[${String.fromCodePoint(cps[0]!)}]`; // keycap 1️⃣ -> [1]
  return `[U+${(base[0] ?? cps[0]!).toString(16).toUpperCase()}]`;
}

/** Replaces each emoji grapheme with a narrow text form (see above); other text is untouched. */
export function narrowEmoji(text: string): string {
  if (!EMOJI_HINT.test(text)) return text;
  let out = '';
  for (const { segment } of segmenter.segment(text)) out += EMOJI_HINT.test(segment) ? narrowForm(segment) : segment;
  return out;
}

/** Everything remote text needs before it goes into tagged blessed content. */
export function safe(text: string): string {
  return escapeTags(narrowEmoji(stripControls(String(text))));
}

/** The same for content drawn without tag parsing (list items in untagged widgets, the input line). */
export function plain(text: string): string {
  return narrowEmoji(stripControls(String(text)));
}
