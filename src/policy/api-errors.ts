// The error mapping of a tool call: the API server's own message, with what the agent can do next. None tells it to send
// the same call again where that cannot succeed.
import type { KubeApiError } from '../kube/errors.ts';
import { rbacHint } from './offer.ts';

/** What a 409 means for the call that got it, and what to do: none is cured by sending the same call again. */
function conflictHint(tool: string, error: KubeApiError): string {
  if (error.reason === 'AlreadyExists') {
    const what = error.details?.name ? `${error.details.kind ?? 'object'} ${error.details.name}` : 'An object of this name';
    return `${what} already exists (AlreadyExists), so the same call cannot succeed: give another name${tool === 'cronjobs_trigger' ? ', or leave jobName out for a unique one' : ''}. To change the existing object, use resources_apply or resources_patch.`;
  }
  if (error.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
    return 'Other field managers own these fields with other values (a field-manager conflict), so the same call cannot succeed: '
      + 'resources_apply with "force": true takes them over after the user\'s yes, or resources_patch changes a single field.';
  }
  if (/has been modified|resourceVersion/i.test(error.message)) {
    return 'The object changed after it was read (a stale resourceVersion); nothing was written. Read it again, then make the call again: the tool reads the object anew and asks again.';
  }
  return 'The write conflicts with the object\'s current state (see the message above); read the object to see why. The same call will not succeed unchanged.';
}

/** The API server's own message, with what to do next. */
export function apiErrorMessage(tool: string, namespace: string | undefined, error: KubeApiError): string {
  const next: Record<number, string> = {
    401: 'The cluster did not accept this connection\'s credentials: run `eks-rbac-mcp doctor`.',
    403: `The role lacks this permission; print a Role that grants it with: ${rbacHint(tool, namespace)}`,
    404: 'Check the name and namespace (a list tool shows what exists).',
    422: 'The request was invalid: fix the arguments named above.',
    429: 'The API server is throttling: retry shortly.',
  };
  const hint = error.status === 409 ? conflictHint(tool, error) : next[error.status] ?? (error.status >= 500 ? 'The API server failed: retry shortly.' : '');
  return `${error.reason} (HTTP ${error.status}): ${error.message}${hint ? `\n${hint}` : ''}`;
}
