// How a Kubernetes request fails, apart from the client that makes it: code that only tells failures apart (the
// tool-call gate, the start's explanation of a failure) does not load HTTP/2, TLS and the connection pool with them.

export interface KubeStatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ field?: string; message?: string; reason?: string }>;
}

/** A non-2xx answer, carrying the API server's own Status message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatusDetails,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** A JSON answer larger than the cap: it was not read further. */
export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the API server's answer is larger than ${maxBytes} bytes and was not read: ask for less (a smaller limit, or a selector)`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A request that got no HTTP answer; `sent` says whether it may have reached the server. */
export class ConnectionError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly sent: boolean) {
    super(message);
    this.name = 'ConnectionError';
  }
}
