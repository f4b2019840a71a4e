// Inputs built to break the server, shared by the tests that send them.

/**
 * The billion-laughs manifest of the security review: `levels` levels of nine aliases each. Under 520 bytes; expanded,
 * 7 levels are ~300 MB of JSON and 8 levels more than a string can hold.
 */
export function aliasBomb(levels: number): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'data:', '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}
