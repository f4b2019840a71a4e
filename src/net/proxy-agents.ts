// The agents that reach destinations through a forward proxy: CONNECT tunnels (https-proxy-agent) whose errors
// name the proxy, and, for clients whose destinations vary, a per-destination choice of proxy or direct.
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { Agent as RoutingAgent, type AgentConnectOpts } from 'agent-base';
import { HttpsProxyAgent, type HttpsProxyAgentOptions } from 'https-proxy-agent';
import { ProxyError, describeProxy, proxyForUrl } from './proxy.ts';

/**
 * CONNECT tunnels through one proxy (https-proxy-agent), with errors that name the proxy: a refused CONNECT
 * (403, 407, 502...) becomes an error instead of the proxy's answer posing as the destination's.
 */
export class ProxyTunnelAgent extends HttpsProxyAgent<string> {
  constructor(readonly proxyUrl: URL, options: HttpsProxyAgentOptions<string> = {}) {
    super(proxyUrl.href, options);
  }

  override async connect(req: ClientRequest, opts: AgentConnectOpts): ReturnType<HttpsProxyAgent<string>['connect']> {
    const destination = `${opts.host}:${opts.port}`;
    let refusal: { statusCode: number; statusText: string } | undefined;
    const onConnect = (answer: { statusCode: number; statusText: string }) => {
      if (answer.statusCode !== 200) refusal = answer;
    };
    req.once('proxyConnect', onConnect);
    let socket: Awaited<ReturnType<HttpsProxyAgent<string>['connect']>>;
    try {
      socket = await super.connect(req, opts);
    } catch (error) {
      const e = error as Error & { code?: string };
      throw new ProxyError(`cannot tunnel to ${destination} through the proxy ${describeProxy(this.proxyUrl)}: ${e.message}`, e.code ?? 'EPROXY');
    } finally {
      req.removeListener('proxyConnect', onConnect);
    }
    if (refusal) {
      socket.destroy();
      throw new ProxyError(`the proxy ${describeProxy(this.proxyUrl)} refused to CONNECT to ${destination}: ${refusal.statusCode} ${refusal.statusText}`
        + (refusal.statusCode === 407 ? ' (it wants credentials: put them in the proxy URL, http://user:password@host:port)' : ''), 'EPROXYREFUSED');
    }
    return socket;
  }
}

/**
 * For clients whose destinations vary (the AWS SDK: STS, EKS, SSO, and their custom endpoints): each connection
 * goes through the proxy the environment names for its destination, or direct.
 */
export class EnvironmentProxyAgent extends RoutingAgent {
  private readonly tunnels = new Map<string, ProxyTunnelAgent>();
  private readonly direct = { https: new HttpsAgent({ keepAlive: true }), http: new HttpAgent({ keepAlive: true }) };

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    super({ keepAlive: true });
  }

  override connect(_req: ClientRequest, opts: AgentConnectOpts): HttpAgent {
    const scheme = opts.secureEndpoint ? 'https' : 'http';
    const host = isIP(opts.host ?? '') === 6 ? `[${opts.host}]` : opts.host;
    const proxy = proxyForUrl(`${scheme}://${host}:${opts.port}`, this.env);
    if (!proxy) return this.direct[scheme];
    let tunnel = this.tunnels.get(proxy.href);
    if (!tunnel) this.tunnels.set(proxy.href, tunnel = new ProxyTunnelAgent(proxy, { keepAlive: true }));
    return tunnel;
  }

  override destroy(): void {
    for (const agent of [...this.tunnels.values(), this.direct.https, this.direct.http]) agent.destroy();
    super.destroy();
  }
}
