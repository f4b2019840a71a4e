// What a person reads before saying yes: every question put to the user passes here, so that a character they
// cannot see (a bidi override, a zero-width space, a control character) is written out instead of acting on the
// text around it. One function escapes every question and every diff in one, and exec's argv.

/**
 * Characters a reader cannot see or that reorder what they see: controls, format characters (bidi overrides
 * and isolates U+202A-202E/2066-2069, zero-width U+200B-200D, U+FEFF), separators other than the space, private
 * use, unassigned code points, and the blank letters (Hangul fillers, braille blank). A line feed is matched too,
 * and kept where the text is made of lines.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u115F\u1160\u3164\uFFA0\u2800]|(?! )\p{Zs}/gu;

/**
 * The most a question may hold, in UTF-8 bytes of its JSON string: the client carries it back with the user's answer
 * (the requestState of a multi-round-trip call), and a yes to a question that was cut short would be a yes to
 * something the user did not see. A larger change is refused, to be made in parts.
 */
export const MAX_QUESTION_BYTES = 16_000;

/** The text with every unseen character written as \u{XXXX}; line feeds stay line feeds unless `lines` is false. */
export function escapeUnseen(text: string, lines = true): string {
  return text.replace(UNSEEN, (c) => (lines && c === '\n' ? c : `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`));
}

/** One string as a person must read it to decide: quoted, with every unseen character written out. */
export function visible(text: string, maxChars = 200): string {
  const shown = text.length > maxChars ? text.slice(0, maxChars) : text;
  const quoted = escapeUnseen(JSON.stringify(shown), false);
  return text.length > maxChars ? `${quoted}…(${text.length - maxChars} more characters)` : quoted;
}

/** An argv for a confirmation question: each argument visible(), at most `maxArgs` of them. */
export function visibleArgv(argv: readonly string[], maxArgs = 16): string {
  const shown = argv.slice(0, maxArgs).map((arg) => visible(arg));
  return `[${shown.join(',')}${argv.length > maxArgs ? `,…and ${argv.length - maxArgs} more arguments` : ''}]`;
}

/** Whether a question, escaped, is too large to carry to the user whole. */
export function questionTooLarge(question: string): boolean {
  return Buffer.byteLength(JSON.stringify(question)) > MAX_QUESTION_BYTES;
}
