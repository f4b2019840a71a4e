// The shape of a prompt in the catalogue (tools/prompts.ts): a short recipe that names the tools it uses, offered only
// where every one of them is (src/policy/offer.ts).
import type { ResourceKind } from './kube/resources.ts';

/** Where a prompt argument's completions come from. */
export type ArgumentSource = { from: 'namespaces' } | { from: 'names'; kind: ResourceKind };

export interface PromptArgument {
  name: string;
  description: string;
  source: ArgumentSource;
}

export interface PromptDeclaration {
  name: string;
  title: string;
  description: string;
  arguments: PromptArgument[];
  /** Every tool the recipe calls: the prompt is offered only when all of them are. */
  tools: string[];
  render(args: Record<string, string>): string;
}
