// IAM policy semantics, as far as the guard needs them: may a role (its identity policies, cut by its permissions
// boundary) perform an action on some resource of a set? Decided from the documents alone, and conservatively: where
// the answer depends on what cannot be known here (a condition's request context, a policy variable), an Allow counts
// and a Deny does not, so a grant is never missed. Pure.

/**
 * One piece of a pattern: a literal character, `?` (exactly one character), `*` (any run), a policy variable, or (in
 * the guard's own questions only) `segment`: any run within one field of an ARN, i.e. without a colon.
 */
type Token = { kind: 'char'; char: string } | { kind: 'one' } | { kind: 'any' } | { kind: 'var' } | { kind: 'segment' };
export type Pattern = readonly Token[];

/**
 * An IAM pattern (`*` and `?` are wildcards). In a 2012-10-17 document `${aws:username}` and the like are policy
 * variables (their value is the request's: unknown here) and `${*}`, `${?}`, `${$}` are the literal characters; in
 * 2008-10-17 they are plain text. Actions are compared case-insensitively, as IAM does, resources as written.
 */
export function parsePattern(text: string, options: { variables?: boolean; ignoreCase?: boolean; segments?: boolean } = {}): Pattern {
  const source = options.ignoreCase ? text.toLowerCase() : text;
  const tokens: Token[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (options.variables && c === '$' && source[i + 1] === '{') {
      const end = source.indexOf('}', i + 2);
      if (end > 0) {
        const inner = source.slice(i + 2, end);
        tokens.push(['*', '?', '$'].includes(inner) ? { kind: 'char', char: inner } : { kind: 'var' });
        i = end;
        continue;
      }
    }
    tokens.push(c === '*' ? { kind: options.segments ? 'segment' : 'any' } : c === '?' ? { kind: 'one' } : { kind: 'char', char: c });
  }
  return tokens;
}

/** Whether one character can be read by both tokens (the alphabet is large: wildcards always share one). */
function sharesChar(a: Token, b: Token): boolean {
  if (a.kind === 'char' && b.kind === 'char') return a.char === b.char;
  return !((a.kind === 'segment' && b.kind === 'char' && b.char === ':') || (b.kind === 'segment' && a.kind === 'char' && a.char === ':'));
}

/** A token that may read any number of characters: `*`, a variable, a segment. */
const repeats = (t: Token | undefined) => t?.kind === 'any' || t?.kind === 'var' || t?.kind === 'segment';

/**
 * Whether some string matches every pattern at once (the intersection of their languages is not empty): the
 * patterns' automata run in step, `*` loops, a variable reads like `*` (it may hold anything). Exact for `*`/`?`.
 */
export function intersects(...patterns: Pattern[]): boolean {
  const seen = new Set<string>();
  const queue: number[][] = [patterns.map(() => 0)];
  while (queue.length) {
    const at = queue.pop()!;
    const key = at.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    if (at.every((i, p) => i === patterns[p]!.length)) return true;
    at.forEach((i, p) => { // a `*` (or variable, or segment) may match nothing
      if (repeats(patterns[p]![i])) queue.push(at.map((j, q) => (q === p ? j + 1 : j)));
    });
    const tokens = at.map((i, p) => patterns[p]![i]);
    if (tokens.some((t) => t === undefined)) continue;
    // One character read by all at once (pairwise agreement suffices: all literals equal, and none a colon under a segment).
    if (tokens.every((a) => tokens.every((b) => sharesChar(a!, b!))) && !tokens.every(repeats)) {
      queue.push(at.map((i, p) => (repeats(tokens[p]) ? i : i + 1)));
    }
  }
  return false;
}

/**
 * Whether every string `inner` matches is matched by `outer` (containment). `inner` is read as a word in which its
 * `*`, segments and variables are symbols that only a `*` of `outer` can cover (and `?` only a `?` or `*`); a
 * variable in `outer` covers nothing, since its value is unknown. Sound: true only when containment holds (it may
 * miss some that do, e.g. `?*` in `*?`), so a Deny is credited only where it certainly applies.
 */
export function contains(outer: Pattern, inner: Pattern): boolean {
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = i * (inner.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const o = outer[i];
    const w = inner[j];
    let result: boolean;
    if (!o) result = j === inner.length;
    else if (o.kind === 'any') result = match(i + 1, j) || (w !== undefined && match(i, j + 1));
    else if (!w || o.kind === 'var' || o.kind === 'segment') result = false;
    else if (o.kind === 'one') result = (w.kind === 'char' || w.kind === 'one') && match(i + 1, j + 1);
    else result = w.kind === 'char' && w.char === o.char && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

// --- documents ------------------------------------------------------------------------------------------

/** Where a statement comes from, for people: `inline policy describe-cluster`, `permissions boundary arn:…`. */
export interface PolicySource {
  kind: 'inline' | 'managed' | 'boundary' | 'trust';
  name: string;
}

export interface Statement {
  source: PolicySource;
  /** The Sid, or `#n` (1-based) when it has none. */
  label: string;
  effect: 'Allow' | 'Deny';
  /** `Action` (not: false) or `NotAction` (not: true), and the same for resources. */
  actions: { not: boolean; patterns: Pattern[] };
  resources: { not: boolean; patterns: Pattern[]; text: string[] };
  /** The condition keys (`aws:SourceIp`), empty when unconditional. */
  conditionKeys: string[];
}

export class PolicyDocumentError extends Error {
  constructor(source: PolicySource, problem: string) {
    super(`${describeSource(source)} cannot be read as an IAM policy: ${problem}`);
    this.name = 'PolicyDocumentError';
  }
}

const SOURCE_NAMES: Record<PolicySource['kind'], string> = { inline: 'inline policy', managed: 'managed policy', boundary: 'permissions boundary', trust: 'trust policy of' };

export function describeSource(source: PolicySource): string {
  return `${SOURCE_NAMES[source.kind]} ${source.name}`;
}

/** A policy field that IAM takes as one value or a list of them, as a list. */
export const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A policy document (JSON text as IAM returns it, already URL-decoded) as statements. Throws on what IAM would not hold. */
export function parsePolicy(source: PolicySource, text: string): Statement[] {
  let document: { Version?: unknown; Statement?: unknown };
  try {
    document = JSON.parse(text) as typeof document;
  } catch (error) {
    throw new PolicyDocumentError(source, (error as Error).message);
  }
  if (typeof document !== 'object' || document === null) throw new PolicyDocumentError(source, 'not a JSON object');
  const variables = document.Version === '2012-10-17';
  return list(document.Statement).map((raw, index) => parseStatement(source, raw, index, variables));
}

function strings(source: PolicySource, raw: Record<string, unknown>, key: string): string[] {
  const values = list(raw[key]);
  if (values.some((v) => typeof v !== 'string')) throw new PolicyDocumentError(source, `${key} must be a string or a list of strings`);
  return values as string[];
}

function parseStatement(source: PolicySource, raw: unknown, index: number, variables: boolean): Statement {
  if (typeof raw !== 'object' || raw === null) throw new PolicyDocumentError(source, `statement ${index + 1} is not an object`);
  const st = raw as Record<string, unknown>;
  if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') throw new PolicyDocumentError(source, `statement ${index + 1} has no Effect Allow or Deny`);
  const notAction = st['NotAction'] !== undefined;
  const notResource = st['NotResource'] !== undefined;
  const actions = strings(source, st, notAction ? 'NotAction' : 'Action');
  const resources = strings(source, st, notResource ? 'NotResource' : 'Resource');
  const condition = st['Condition'];
  const conditionKeys = typeof condition === 'object' && condition !== null
    ? [...new Set(Object.values(condition).flatMap((keys) => (typeof keys === 'object' && keys !== null ? Object.keys(keys) : [])))]
    : [];
  return {
    source,
    label: typeof st['Sid'] === 'string' && st['Sid'] ? st['Sid'] : `#${index + 1}`,
    effect: st['Effect'],
    actions: { not: notAction, patterns: actions.map((a) => parsePattern(a, { ignoreCase: true })) },
    resources: { not: notResource, patterns: resources.map((r) => parsePattern(r, { variables })), text: resources },
    conditionKeys,
  };
}

// --- evaluation -----------------------------------------------------------------------------------------

/** What is asked: one action (no wildcard) on some resource of a set, written as a pattern whose `*` is any value of its ARN field. */
export interface AccessQuestion {
  action: string;
  resource: string;
}

/** The role's side of IAM: its identity policies' statements, and its permissions boundary's when it has one. */
export interface RolePolicies {
  identity: readonly Statement[];
  boundary?: readonly Statement[];
}

/** An Allow that grants the question, and whether it holds only under a condition. */
export interface Grant {
  statement: Statement;
  /** The boundary's statement that lets it through, when there is a boundary. */
  boundary?: Statement;
  conditionKeys: string[];
}

function actionIn(st: Statement, action: Pattern): boolean {
  const named = st.actions.patterns.some((p) => contains(p, action));
  return st.actions.not ? !named : named;
}

/** The resources of the question an Allow may grant: its own patterns that meet them (all of them under NotResource). */
function allowedResources(st: Statement, resource: Pattern): Pattern[] | undefined {
  if (st.resources.not) return st.resources.patterns.some((p) => contains(p, resource)) ? undefined : [resource];
  const meeting = st.resources.patterns.filter((p) => intersects(p, resource));
  return meeting.length ? meeting : undefined;
}

/** Whether an unconditional Deny covers every resource in `resources` for the action. A conditional Deny may not apply. */
function denies(st: Statement, action: Pattern, resources: Pattern): boolean {
  if (st.effect !== 'Deny' || st.conditionKeys.length || !actionIn(st, action)) return false;
  return st.resources.not
    ? !st.resources.patterns.some((p) => intersects(p, resources))
    : st.resources.patterns.some((p) => contains(p, resources));
}

/**
 * The Allows that grant the action on some resource of the question, past every Deny (in the policies or the
 * boundary) and inside the boundary. Empty: not granted. IAM's rule: an explicit Deny wins; without a boundary an
 * identity Allow suffices; with one, the boundary must allow the same resource too (the intersection).
 */
export function grantsOf(role: RolePolicies, question: AccessQuestion): Grant[] {
  const action = parsePattern(question.action, { ignoreCase: true });
  const resource = parsePattern(question.resource, { segments: true });
  const denials = [...role.identity, ...(role.boundary ?? [])].filter((d) => d.effect === 'Deny');
  /** The resources an Allow grants of the question's, less those a Deny covers. */
  const open = (st: Statement) => (st.effect === 'Allow' && actionIn(st, action) ? allowedResources(st, resource) ?? [] : [])
    .filter((p) => !denials.some((d) => denies(d, action, p)));
  if (denials.some((d) => denies(d, action, resource))) return [];
  const grants: Grant[] = [];
  for (const statement of role.identity) {
    const mine = open(statement);
    if (!mine.length) continue;
    const boundary = role.boundary?.find((b) => open(b).some((theirs) => mine.some((p) => intersects(p, theirs, resource))));
    if (role.boundary && !boundary) continue;
    grants.push({ statement, ...(boundary ? { boundary } : {}), conditionKeys: [...new Set([...statement.conditionKeys, ...boundary?.conditionKeys ?? []])] });
  }
  return grants;
}
