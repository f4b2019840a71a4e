// `--tools`: the operator's narrowing of the tool set below what the role allows (defence in depth when one
// Role serves several purposes). Names or globs (`pods_*`), matched against the catalogue's names. Pure.
import { ConfigError } from '../config.ts';

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * The catalogue names the patterns select, in catalogue order; undefined patterns select everything. A pattern
 * that selects nothing is a mistake (a typo would silently narrow to nothing), so it is refused.
 */
export function selectTools(patterns: readonly string[] | undefined, names: readonly string[]): Set<string> {
  if (!patterns) return new Set(names);
  const unmatched: string[] = [];
  const selected = new Set<string>();
  for (const pattern of patterns) {
    const re = globToRegExp(pattern);
    const hits = names.filter((n) => re.test(n));
    if (hits.length === 0) unmatched.push(pattern);
    for (const hit of hits) selected.add(hit);
  }
  if (unmatched.length) {
    throw new ConfigError([`tools: ${unmatched.map((p) => `"${p}"`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no tool (--tools or EKS_MCP_TOOLS); known: ${names.join(', ')}`]);
  }
  return new Set(names.filter((n) => selected.has(n)));
}
