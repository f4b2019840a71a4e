# syntax=docker/dockerfile:1
# A small non-root image of the server. The build stage installs the locked toolchain and bundles with esbuild;
# the runtime stage is distroless Node 24 LTS holding only dist/ and package.json (the bundle needs no node_modules).
#   docker build -t eks-rbac-mcp .
#   docker run --rm -p 127.0.0.1:8080:8080 -e EKS_MCP_AUTH_TOKENS=... -e EKS_MCP_CLUSTER_NAME=... eks-rbac-mcp
# The platform-specific dev binaries (dev/platform: Node 24 for the scripts, the benchmark's peer) are optional
# dependencies, so npm ci works on any builder platform.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY dev/platform/package.json dev/platform/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src src
COPY tools tools
RUN node scripts/build.mjs

FROM gcr.io/distroless/nodejs24-debian12:nonroot
# The MCP Registry proves that an OCI package belongs to a server by this label (server.json names the same server);
# test/registry.test.ts keeps the name and version here equal to package.json's and server.json's.
LABEL io.modelcontextprotocol.server.name="io.github.eks-rbac-mcp/eks-rbac-mcp" \
      org.opencontainers.image.title="eks-rbac-mcp" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.description="MCP server for Amazon EKS whose tools are exactly what the agent's Kubernetes RBAC role allows" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# package.json says "type": "module": dist/cli.js is an ES module.
COPY --from=build /src/package.json ./
COPY --from=build /src/dist ./dist
USER 65532:65532
EXPOSE 8080
# Node's compile cache makes every start after the first skip compiling the bundle; /tmp is writable as non-root.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
CMD ["serve", "--http", "--host", "0.0.0.0", "--port", "8080"]
