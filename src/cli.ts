#!/usr/bin/env node
// eks-rbac-mcp: serve (default), doctor, rbac, token. Usage errors exit 2; a failed connection exits 1.
import { parseArgs } from 'node:util';
import { ConfigError, FIELDS, HTTP_FIELDS, loadConfig, loadHttpConfig, type Config, type FieldName, type HttpConfig, type HttpFieldName } from './config.ts';
import { createLogger } from './log.ts';

// Node 20 is this project's platform; the AWS SDK's notice about its future Node 22 floor would be a
// non-JSON line in our stderr log stream.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const USAGE = `eks-rbac-mcp — an MCP server whose tools are exactly what the connection's RBAC role allows.

Usage:
  eks-rbac-mcp [serve]  [connection options]      MCP over stdio (the default)
  eks-rbac-mcp doctor   [connection options]      who am I, the rules found, every tool ✓/✗, the can-i proof
  eks-rbac-mcp rbac --tools a,b,c [--kinds k,…] [--namespace ns] [--user name] [--role-arn arn] [--binding-role r]
                                                  the minimal Role, bindings and AWS mapping for those tools
                                                  (--kinds: the kinds the resources_* tools may use, e.g. configmaps,jobs.batch)
  eks-rbac-mcp token    [connection options]      an ExecCredential for kubectl, like aws eks get-token
  eks-rbac-mcp tools                              the catalogue: every tool and the permissions it needs

Connection options (flag, or environment variable):
${(Object.keys(FIELDS) as FieldName[]).map((f) => `  ${FIELDS[f].flag.padEnd(20)} ${FIELDS[f].env}`).join('\n')}
  (AWS credentials come from the default chain; AWS_ENDPOINT_URL_STS is honoured.)

HTTP options (eks-rbac-mcp serve --http: streamable HTTP at /mcp, plus /healthz, /readyz, /metrics):
${(Object.keys(HTTP_FIELDS) as HttpFieldName[]).map((f) => {
  const field: { flag?: string; env: string } = HTTP_FIELDS[f];
  return `  ${(field.flag ?? '(environment only)').padEnd(24)} ${field.env}`;
}).join('\n')}
`;

const COMMANDS = ['serve', 'doctor', 'rbac', 'token', 'tools', 'help'] as const;
type Command = (typeof COMMANDS)[number];

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
  for (const f of Object.values(FIELDS)) options[f.flag.slice(2)] = { type: f.flag === '--read-only' ? 'boolean' : 'string' };
  for (const f of Object.values(HTTP_FIELDS) as Array<{ flag?: string; boolean?: true }>) {
    if (f.flag) options[f.flag.slice(2)] = { type: f.boolean ? 'boolean' : 'string' };
  }
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const command = (positionals[0] ?? 'serve') as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${positionals[0]}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const flags: Partial<Record<FieldName, string>> = {};
  for (const field of Object.keys(FIELDS) as FieldName[]) {
    const value = values[FIELDS[field].flag.slice(2)];
    if (value !== undefined) flags[field] = String(value);
  }
  const httpFlags: Partial<Record<HttpFieldName, string>> = {};
  for (const field of Object.keys(HTTP_FIELDS) as HttpFieldName[]) {
    const flag = (HTTP_FIELDS[field] as { flag?: string }).flag;
    const value = flag ? values[flag.slice(2)] : undefined;
    if (value !== undefined) httpFlags[field] = String(value);
  }
  return { command: values['help'] ? 'help' as const : command, flags, httpFlags, values };
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`eks-rbac-mcp: ${(error as Error).message}\nRun eks-rbac-mcp --help for usage.\n`);
    return 2;
  }
  const { command, flags, httpFlags, values } = parsed;
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
    return printRbac(values as Record<string, string | string[] | undefined>, flags);
  }
  let config: Config;
  let http: HttpConfig | undefined;
  try {
    config = loadConfig(flags);
    if (command === 'serve' && ['true', '1'].includes(httpFlags.http ?? process.env[HTTP_FIELDS.http.env] ?? '')) {
      http = loadHttpConfig(httpFlags);
    } else if (command === 'serve' && Object.keys(httpFlags).length) {
      throw new ConfigError(Object.keys(httpFlags).map((f) => `${(HTTP_FIELDS[f as HttpFieldName] as { flag?: string }).flag} is an HTTP option: add --http (or EKS_MCP_HTTP=true)`));
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`eks-rbac-mcp: ${error.message}\nRun eks-rbac-mcp --help for every option.\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  try {
    if (command === 'serve' && http) {
      const { serveHttp } = await import('./server/http.ts'); // HTTP-only code: never loaded on the stdio path
      await serveHttp(config, http, log);
      return -1; // keeps running
    }
    if (command === 'serve') {
      const { serveStdio } = await import('./server/stdio.ts');
      await serveStdio(config, log);
      return -1; // keeps running
    }
    const commands = await import('./commands.ts');
    return command === 'doctor' ? await commands.doctor(config, log) : await commands.printToken(config);
  } catch (error) {
    if (error instanceof ConfigError) { // found only while starting, e.g. a static token file that is missing or too weak
      process.stderr.write(`eks-rbac-mcp: ${error.message}\n`);
      return 2;
    }
    log.error({ err: { message: (error as Error).message, stack: (error as Error).stack } }, "failed");
    process.stderr.write(`eks-rbac-mcp: ${(error as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
}, (error) => {
  process.stderr.write(`eks-rbac-mcp: unexpected error: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
