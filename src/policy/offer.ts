// What this connection offers an agent: which catalogue tools exist for it, the namespaces each tool's
// `namespace` argument may take, and why any other tool name is refused. Decided here and only here; the MCP
// adapter renders the answer (tools/list, the refusal text) and the commands print it.
import { z } from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { NamespaceReview, PermissionSet } from '../rbac/discovery.ts';
import type { ServedKinds } from '../kube/api-resources.ts';
import { someKindGrantedBeyond } from '../rbac/rules.ts';
import { READ_VERBS, type Permission } from '../rbac/permission.ts';
import { describeNeeds, permissionsOf, type AnyKindNeeds } from '../rbac/needs.ts';
import type { ArgumentChoices, Tool, ToolArguments } from '../tool.ts';
import type { Finding } from '../rbac/broad-grants.ts';
import type { PromptDeclaration } from '../prompt.ts';
import { KEPT_WHEN_WITHDRAWN, withdrawnMessage } from './broad-role.ts';

/** How a tool appears to the agent given the permissions: its namespace choices, or not at all. */
export interface Advertisement {
  tool: Tool;
  /** The `namespace` argument's choices; undefined when the tool takes none. */
  namespaces?: string[];
  namespaceOptional?: boolean;
  /** The `kind` argument's choices, for tools that serve several kinds. */
  kinds?: string[];
}

export function isReadOnlyTool(tool: Tool): boolean {
  return tool.annotations.readOnlyHint && permissionsOf(tool.needs).every((p) => READ_VERBS.has(p.verb) || p.resource.startsWith('self'));
}

/** Every permission discovery must decide for the catalogue: what tools need, and the generic tools' probes. */
export function cataloguePermissions(catalogue: readonly Tool[]): Permission[] {
  return catalogue.flatMap((t) => [...permissionsOf(t.needs), ...(t.needs.form === 'any-kind' ? t.needs.probes : [])]);
}

/**
 * group|resource pairs that a specific tool serves with this verb, or with any read verb for a read (events_list
 * serves events, whether the grant is get or list): the generic tools are for the rest.
 */
function coveredKinds(catalogue: readonly Tool[], verb: string): Set<string> {
  const alike = READ_VERBS.has(verb) ? READ_VERBS : new Set([verb]);
  return new Set(catalogue.flatMap((t) => (t.needs.form === 'any-kind' ? [] : t.needs.permissions)).filter((p) => alike.has(p.verb) && !p.subresource).map((p) => `${p.group}|${p.resource}`));
}

/** The generic tools, each with its verb and the kinds it is not offered for (none for a tool of any kind). */
function genericTools(catalogue: readonly Tool[]): Array<{ tool: Tool; needs: AnyKindNeeds; covered: Set<string> }> {
  return catalogue.flatMap((tool) => (tool.needs.form === 'any-kind'
    ? [{ tool, needs: tool.needs, covered: tool.needs.reach === 'every' ? new Set<string>() : coveredKinds(catalogue, tool.needs.verb) }]
    : []));
}

/**
 * The cluster-scoped kinds whose cluster-wide grant would offer a generic tool in a namespace where no namespaced kind
 * does: discovery asks the server about each, since a namespace's rules also list what a RoleBinding names, which
 * grants nothing on a cluster-scoped kind.
 */
export function clusterKindQuestions(catalogue: readonly Tool[], reviews: readonly NamespaceReview[], served: ServedKinds): Permission[] {
  return genericTools(catalogue).flatMap(({ needs: { verb }, covered }) => reviews.flatMap((review) => {
    const clusterScoped: Permission[] = [];
    const namespaced = someKindGrantedBeyond(review.rules, verb, covered, served, (k) => {
      if (!k.namespaced) clusterScoped.push({ group: k.group, resource: k.resource, verb, scope: 'cluster' });
      return k.namespaced;
    });
    return namespaced ? [] : clusterScoped;
  }));
}

/** Which tools the permissions allow on the kinds the cluster serves, and with which namespaces. Pure: the golden files pin its answer. */
export function advertise(catalogue: readonly Tool[], permissions: PermissionSet, served: ServedKinds, readOnly = false): Advertisement[] {
  const generic = new Map(genericTools(catalogue).map((g) => [g.tool, g]));
  const out: Advertisement[] = [];
  for (const tool of catalogue) {
    if (readOnly && !isReadOnlyTool(tool)) continue;
    const { needs } = tool;
    const beyond = generic.get(tool);
    if (beyond) {
      const namespaces = permissions.namespacesGrantingVerbBeyond(beyond.needs.verb, beyond.covered, beyond.needs.probes, served);
      if (namespaces.length) out.push({ tool, namespaces, namespaceOptional: true });
    } else if (needs.form === 'per-kind') {
      const granted = Object.entries(needs.kinds).map(([kind, ps]) => ({ kind, namespaces: permissions.namespacesAllowing([...needs.permissions, ...ps]) }))
        .filter((g) => g.namespaces.length);
      const namespaces = permissions.namespaces.filter((ns) => granted.some((g) => g.namespaces.includes(ns)));
      if (granted.length) out.push({ tool, namespaces, kinds: granted.map((g) => g.kind) });
    } else if (needs.form === 'fixed') {
      const namespaces = permissions.namespacesAllowing(needs.permissions);
      if (namespaces.length === 0) continue;
      if (needs.permissions.some((p) => p.scope === 'namespaced')) out.push({ tool, namespaces });
      else if (needs.namespace === 'optional') out.push({ tool, namespaces, namespaceOptional: true });
      else out.push({ tool });
    }
  }
  return out;
}

/** What a client must assume of a hint a tool leaves out (MCP's ToolAnnotations). */
export const HINT_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

/**
 * The hints a tool advertises: only those that differ from the defaults, and for a read-only tool neither
 * destructiveHint nor idempotentHint, which the spec gives meaning only when readOnlyHint is false. A client reads
 * the same as the declared four; they cost every tool bytes on every tools/list otherwise.
 */
export function advertisedHints(declared: Tool['annotations']): ToolAnnotations {
  const meaningful = declared.readOnlyHint ? (['readOnlyHint', 'openWorldHint'] as const) : (Object.keys(HINT_DEFAULTS) as Array<keyof typeof HINT_DEFAULTS>);
  return Object.fromEntries(meaningful.filter((hint) => declared[hint] !== HINT_DEFAULTS[hint]).map((hint) => [hint, declared[hint]]));
}

export function rbacHint(tool: string, namespace?: string): string {
  return `eks-rbac-mcp rbac --tools ${tool}${namespace ? ` --namespace ${namespace}` : ''}`;
}

/** What a client can do that changes the offer: only a client that can ask its user is given destructive tools. */
export interface Caller {
  /** The client answers elicitation (MCP form mode): a destructive call can be put to the user. */
  canAsk: boolean;
}

export interface OfferOptions {
  readOnly: boolean;
  /**
   * The operator's choice to let a client that cannot be asked confirm a destructive call with `confirm: true`
   * in its arguments. Off by default: the agent would be confirming its own call.
   */
  confirmByArgument: boolean;
  /**
   * --structured-output: tools/list advertises each tool's output schema and results carry structured content. Off
   * (undefined) by default: the text alone, which holds the same rows.
   */
  structuredOutput?: boolean;
  /** The operator's --tools narrowing: only these names, whatever the role allows; undefined means all. */
  selected?: { names: ReadonlySet<string>; patterns: readonly string[] };
  /** Broad grants no --accept-broad-role covers: every tool but the harmless two is withdrawn until they go. */
  withdrawnFor?: readonly Finding[];
}

const confirmArgument = z.boolean().optional().describe('true once the user agreed to exactly this call');

/** The `namespace` argument: the offer's namespaces for the tool, optional where the tool acts cluster-wide too. */
function namespaceArgument(ad: Advertisement): z.ZodType<string | undefined> {
  const choices = ad.namespaces as [string, ...string[]];
  const scope = ad.namespaceOptional ? 'this connection\'s scope' : `the namespaces where the role allows ${ad.tool.name}`;
  const namespace = z.enum(choices, { error: () => `namespace must be one of ${scope}: ${choices.join(', ')}` });
  return ad.namespaceOptional ? namespace.optional() : namespace.default(choices[0]);
}


/**
 * The offer for one state of the permissions: immutable, so the adapter may cache what it renders from it. The
 * runtime builds a new one whenever the permissions change.
 */
export class Offer {
  private readonly byName: ReadonlyMap<string, Advertisement>;
  private readonly argumentSchemas = new Map<string, ToolArguments>();
  private readonly outputSchemas = new Map<string, z.ZodObject>();

  constructor(
    readonly catalogue: readonly Tool[],
    readonly permissions: PermissionSet,
    /** The kinds the cluster served when the permissions were discovered. */
    readonly served: ServedKinds,
    readonly options: OfferOptions,
  ) {
    this.byName = new Map(advertise(catalogue, permissions, served, options.readOnly)
      .filter((ad) => this.narrowing(ad.tool.name) === undefined)
      .map((ad) => [ad.tool.name, ad]));
  }

  /** Why the operator's settings (--tools, the broad-grant guard) keep a tool out, whatever the role allows. */
  private narrowing(name: string): string | undefined {
    const { selected, withdrawnFor } = this.options;
    if (selected && !selected.names.has(name)) {
      return `${name} is not offered: this server offers only the tools selected by --tools (${selected.patterns.join(',')}). No request was sent.`;
    }
    if (withdrawnFor && !KEPT_WHEN_WITHDRAWN.has(name)) return withdrawnMessage(name, withdrawnFor);
    return undefined;
  }

  /** Whether the answer for this caller differs from another caller's: true when destructive tools depend on asking. */
  get dependsOnCaller(): boolean {
    return !this.options.confirmByArgument && [...this.byName.values()].some((ad) => ad.tool.asksUser);
  }

  /** The advertised tools for this caller, in catalogue order. */
  tools(caller: Caller): Advertisement[] {
    return [...this.byName.values()].filter((ad) => this.reaches(ad.tool, caller));
  }

  /** Every name the role allows, whatever the caller: what the logs and the change notifications talk about. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The prompts whose every tool this caller is offered: a recipe never names a tool the role does not grant. */
  prompts(all: readonly PromptDeclaration[], caller: Caller): PromptDeclaration[] {
    const offered = new Set(this.tools(caller).map((ad) => ad.tool.name));
    return all.filter((p) => p.tools.every((t) => offered.has(t)));
  }

  /** The namespaces a prompt's `namespace` argument may take: those where all its namespaced tools are allowed. */
  promptNamespaces(prompt: PromptDeclaration, caller: Caller): string[] {
    let namespaces = [...this.permissions.namespaces];
    for (const name of prompt.tools) {
      const ad = this.find(name, caller);
      if (ad?.namespaces && !ad.namespaceOptional) namespaces = namespaces.filter((ns) => ad.namespaces!.includes(ns));
    }
    return namespaces;
  }

  /** Equal for two offers that every caller sees alike: the tools and their namespace choices. */
  signature(): string {
    return JSON.stringify([...this.byName.values()].map((ad) => [ad.tool.name, ad.namespaces ?? null]));
  }

  /** The offered tool of that name for this caller; undefined when it is not offered. */
  find(name: string, caller: Caller): Advertisement | undefined {
    const ad = this.byName.get(name);
    return ad && this.reaches(ad.tool, caller) ? ad : undefined;
  }

  /** The arguments the agent sees and a call is checked against: the namespace and kind choices are the offer's. */
  arguments(ad: Advertisement, caller: Caller): ToolArguments {
    const confirmArg = ad.tool.asksUser && !caller.canAsk;
    const key = `${ad.tool.name}|${confirmArg}`;
    let args = this.argumentSchemas.get(key);
    if (!args) {
      args = ad.tool.arguments(this.choices(ad, confirmArg));
      this.argumentSchemas.set(key, args);
    }
    return args;
  }

  /** The input schema the agent sees (tools/list). */
  inputSchema(ad: Advertisement, caller: Caller): z.ZodObject {
    return this.arguments(ad, caller).schema;
  }

  /** The output schema advertised with a tool, which its structured content matches: only with --structured-output. */
  outputSchema(ad: Advertisement): z.ZodObject | undefined {
    if (!this.options.structuredOutput) return undefined;
    let schema = this.outputSchemas.get(ad.tool.name);
    if (!schema) {
      schema = z.object(ad.tool.output);
      this.outputSchemas.set(ad.tool.name, schema);
    }
    return schema;
  }

  /** Whether a result carries structured content beside its text: only with --structured-output. */
  get structuredOutput(): boolean {
    return this.options.structuredOutput === true;
  }

  private choices(ad: Advertisement, confirmArg: boolean): ArgumentChoices {
    return { ...(ad.kinds ? { kinds: ad.kinds } : {}), ...(ad.namespaces ? { namespace: namespaceArgument(ad) } : {}), ...(confirmArg ? { confirm: confirmArgument } : {}) };
  }

  /** Why a tool name is not offered to this caller, in words the agent can act on. No request is ever sent for it. */
  refusal(name: string, caller: Caller): string {
    const tool = this.catalogue.find((t) => t.name === name);
    if (!tool) return `Unknown tool "${name}". Call tools/list for the tools this connection offers.`;
    const narrowed = this.narrowing(name);
    if (narrowed) return narrowed;
    if (this.options.readOnly && !isReadOnlyTool(tool)) return `${name} is not offered: this server runs with --read-only. No request was sent.`;
    if (this.byName.has(name) && !this.reaches(tool, caller)) {
      return `${name} changes the cluster and needs the user's yes, but this client cannot ask its user (no elicitation). `
        + 'No request was sent. Use a client that supports elicitation, or ask the operator about --confirm-by-argument.';
    }
    return `${name} is not offered on this connection: its RBAC role does not grant ${describeNeeds(tool.needs)} in its scope `
      + `(${this.permissions.namespaces.join(', ')}). No request was sent. A cluster admin can print the Role that would: ${rbacHint(name)}`;
  }

  private reaches(tool: Tool, caller: Caller): boolean {
    return caller.canAsk || this.options.confirmByArgument || !tool.asksUser;
  }
}
