// The process's exit codes, apart from the code that decides them (src/startup.ts), so that what only needs a code
// (the broad-grant guard's refusal, the CLI) does not load the AWS and Kubernetes clients with it.

/** Exit codes of every command (README: "Exit codes"). 0, 1 and 2 keep their usual meaning. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  noCredentials: 3,
  assumeRoleRefused: 4,
  unauthorized: 5,
  unreachable: 6,
  caMismatch: 7,
  namespaceMissing: 8,
  /** The broad-grant guard refused the role (src/policy/broad-role.ts). */
  broadRole: 9,
} as const;
