// A throwaway certificate authority for one control-plane run, made with the openssl CLI:
// every client (our server, kubectl, the API server calling its webhooks and kwok) verifies against it.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  serving(name: string, dnsNames?: string[]): { cert: string; key: string };
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
}

export function createPki(dir: string): Pki {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=eks-rbac-mcp-local-ca', '-out', 'ca.crt'], dir);
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    caCert: join(dir, 'ca.crt'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    serving: (name, dnsNames) => issueServingCert(dir, name, dnsNames),
  };
}

/**
 * A serving certificate for 127.0.0.1 from the run's CA (ca.crt and ca.key in dir), with more DNS names where a
 * client verifies another (the API server's aggregator checks <service>.<namespace>.svc).
 */
export function issueServingCert(dir: string, name: string, dnsNames: string[] = []): { cert: string; key: string } {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=IP:127.0.0.1,DNS:localhost${dnsNames.map((d) => `,DNS:${d}`).join('')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', ext, '-out', `${name}.crt`], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
