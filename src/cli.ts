// eks-rbac-mcp: serve (default), doctor, rbac, token. Usage errors exit 2; a failed start exits with the code of its
// cause (src/startup.ts, README "Exit codes"), 1 when the cause is not one foreseen.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadHttpConfig, SETTINGS, settingList, type Config, type Flags, type HttpConfig } from './config.ts';
import { EXIT } from './exit-codes.ts';
import { createLogger, type Logger } from './log.ts';
import { BroadRoleRefused } from './policy/broad-role.ts';
import { findingsForLog } from './rbac/broad-grants.ts';
import { iamFindingsForLog } from './aws/iam-grants.ts';

// The AWS SDK's notices about Node versions would be non-JSON lines in our stderr log stream.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const USAGE = `eks-rbac-mcp — an MCP server whose tools are exactly what the connection's RBAC role allows.

Usage:
  eks-rbac-mcp [serve]  [connection options]      MCP over stdio (the default)
  eks-rbac-mcp doctor   [connection options] [--http [HTTP options]]
                                                  who am I, the rules found, every tool ✓/✗, the can-i proof,
                                                  broad grants (RBAC and IAM), the trust policy's pin,
                                                  what --tools leaves unused; with --http, what the
                                                  HTTP authentication accepts and the principals
  eks-rbac-mcp rbac --tools a,b,c [--kinds k,…] [--namespace ns] [--user name] [--role-arn arn] [--binding-role r]
                                                  the minimal Role, bindings and AWS mapping for those tools
                                                  (--kinds: the kinds the resources_* tools may use, e.g. configmaps,jobs.batch)
  eks-rbac-mcp token    [connection options]      an ExecCredential for kubectl, like aws eks get-token
  eks-rbac-mcp tools                              the catalogue: every tool and the permissions it needs

Connection options (flag, or environment variable):
${optionLines('connection')}
  (AWS credentials come from the default chain; AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_IAM are honoured.)

HTTP options (eks-rbac-mcp serve --http: streamable HTTP at /mcp, plus /healthz, /readyz, /metrics):
${optionLines('http')}
`;

function optionLines(group: 'connection' | 'http'): string {
  return settingList.filter(([, s]) => s.group === group).map(([, s]) => `  ${(s.flag ?? '(environment only)').padEnd(24)} ${s.env}`).join('\n');
}

const COMMANDS = ['serve', 'doctor', 'rbac', 'token', 'tools', 'help'] as const;
type Command = (typeof COMMANDS)[number];

function isCommand(word: string): word is Command {
  return COMMANDS.some((c) => c === word);
}

function parse(argv: string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    help: { type: 'boolean' },
    tools: { type: 'string' },
    kinds: { type: 'string' },
    namespace: { type: 'string', multiple: true },
    user: { type: 'string' },
    name: { type: 'string' },
    'trusted-principal': { type: 'string' },
  };
  for (const [, setting] of settingList) {
    if (setting.flag) options[setting.flag.slice(2)] = { type: setting.boolean ? 'boolean' : 'string' };
  }
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const command = positionals[0] ?? 'serve';
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const flags: Flags = {};
  const httpFlags: Flags = {};
  for (const [name, setting] of settingList) {
    const value = setting.flag ? values[setting.flag.slice(2)] : undefined;
    if (value !== undefined) (setting.group === 'http' ? httpFlags : flags)[name] = String(value);
  }
  const rbac = { tools: text(values['tools']), kinds: text(values['kinds']), namespace: texts(values['namespace']), user: text(values['user']), name: text(values['name']), trustedPrincipal: text(values['trusted-principal']) };
  return { command: values['help'] ? 'help' as const : command, flags, httpFlags, rbac };
}

type OptionValue = string | boolean | Array<string | boolean> | undefined;
const text = (value: OptionValue): string | undefined => (typeof value === 'string' ? value : undefined);
const texts = (value: OptionValue): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined);
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

class UsageError extends Error {}

/** Serves MCP until the client goes away (stdio) or a signal asks to stop. */
async function serve(config: Config, http: HttpConfig | undefined, log: Logger): Promise<void> {
  if (http) {
    const { serveHttp } = await import('./server/http.ts'); // HTTP-only code: never loaded on the stdio path
    return serveHttp(config, http, log);
  }
  const { serveStdio } = await import('./server/stdio.ts');
  return serveStdio(config, log);
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`eks-rbac-mcp: ${messageOf(error)}\nRun eks-rbac-mcp --help for usage.\n`);
    return 2;
  }
  const { command, flags, httpFlags, rbac } = parsed;
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'tools') {
    const { printCatalogue } = await import('./commands.ts');
    printCatalogue();
    return 0;
  }
  if (command === 'rbac') {
    const { printRbac } = await import('./commands.ts');
    return printRbac(rbac, flags);
  }
  let config: Config;
  let http: HttpConfig | undefined;
  try {
    config = loadConfig(flags);
    if ((command === 'serve' || command === 'doctor') && ['true', '1'].includes(httpFlags.http ?? process.env[SETTINGS.http.env] ?? '')) {
      http = loadHttpConfig(httpFlags);
    } else if ((command === 'serve' || command === 'doctor') && Object.keys(httpFlags).length) {
      throw new ConfigError(settingList.filter(([name]) => httpFlags[name] !== undefined)
        .map(([, s]) => `${s.flag} is an HTTP option: add --http (or EKS_MCP_HTTP=true)`));
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`eks-rbac-mcp: ${error.message}\nRun eks-rbac-mcp --help for every option.\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  try {
    if (command === 'serve') {
      await serve(config, http, log);
      // Stopped: what the server leaves behind (a kept-alive socket, the stdin handle) must not hold the process.
      process.exit(EXIT.ok);
    }
    const commands = await import('./commands.ts');
    return command === 'doctor' ? await commands.doctor(config, log, http) : await commands.printToken(config);
  } catch (error) {
    if (error instanceof ConfigError) { // found only while starting, e.g. a static token file that is missing or too weak
      process.stderr.write(`eks-rbac-mcp: ${error.message}\n`);
      return 2;
    }
    if (error instanceof BroadRoleRefused) { // the broad-grant guard, both layers: findings in the log, the explanation for people
      log.error({ guard: 'refused', findings: findingsForLog(error.findings), ...(error.iamFindings.length ? { iamFindings: iamFindingsForLog(error.iamFindings) } : {}) },
        'refusing to start: broad grants');
      process.stderr.write(`eks-rbac-mcp: ${error.message}\n`);
      return error.exitCode;
    }
    // One line on stderr that says what to change, an exit code per cause; the stack only at --log-level debug.
    const { explainStartupFailure } = await import('./startup.ts');
    const failure = explainStartupFailure(error, config);
    log.debug({ err: error }, 'failed');
    process.stderr.write(`eks-rbac-mcp: ${failure?.message ?? messageOf(error)}\n`);
    return failure?.exitCode ?? EXIT.failed;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (error) => {
  process.stderr.write(`eks-rbac-mcp: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
