// Where the EKS token points: the STS endpoint the AWS SDK itself resolves for the region (its shipped
// partition data: amazonaws.com.cn in China, c2s.ic.gov in us-iso, ...), never a host built by hand.

export interface StsEndpoint {
  host: string;
  /** The region in the signature's credential scope: us-east-1 for the legacy global endpoint. */
  signingRegion: string;
}

export interface StsEndpointOptions {
  /** AWS_STS_REGIONAL_ENDPOINTS=legacy: the global sts.amazonaws.com for the regions botocore maps to it. */
  legacyGlobal: boolean;
}

/** botocore reads AWS_STS_REGIONAL_ENDPOINTS; the JavaScript SDK does not, so it is read here, as botocore does. */
export function stsEndpointOptions(env: NodeJS.ProcessEnv = process.env): StsEndpointOptions {
  return { legacyGlobal: env['AWS_STS_REGIONAL_ENDPOINTS']?.trim().toLowerCase() === 'legacy' };
}

/**
 * The SDK's STS endpoint ruleset for the region, with FIPS and dual-stack as the SDK's own configuration says
 * (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT, or the profile's use_fips_endpoint/use_dualstack_endpoint).
 * A custom endpoint (AWS_ENDPOINT_URL_STS) is deliberately not used: EKS only accepts tokens for real STS hosts.
 */
export async function resolveStsEndpoint(region: string, options: StsEndpointOptions = stsEndpointOptions()): Promise<StsEndpoint> {
  const { STSClient } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ region });
  try {
    const [useFips, useDualstack] = await Promise.all([sts.config.useFipsEndpoint(), sts.config.useDualstackEndpoint()]);
    const endpoint = sts.config.endpointProvider({ Region: region, UseFIPS: useFips, UseDualStack: useDualstack, UseGlobalEndpoint: options.legacyGlobal });
    const scheme = (endpoint.properties?.['authSchemes'] as Array<{ signingRegion?: string }> | undefined)?.[0];
    return { host: endpoint.url.host, signingRegion: scheme?.signingRegion ?? region };
  } finally {
    sts.destroy();
  }
}
