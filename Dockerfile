# syntax=docker/dockerfile:1
# A small non-root image of the server. The build stage installs the locked toolchain and bundles with esbuild;
# the runtime stage is distroless Node 20 holding only dist/ and package.json (the bundle needs no node_modules).
#   docker build -t eks-rbac-mcp .
#   docker run --rm -p 127.0.0.1:8080:8080 -e EKS_MCP_AUTH_TOKENS=... -e EKS_MCP_CLUSTER_NAME=... eks-rbac-mcp
# The bundle is plain JavaScript, so it is built on amd64 whatever the target: a devDependency (the benchmark's
# peer binary) installs only on linux/x64, and npm ci refuses the whole lockfile elsewhere.
FROM --platform=linux/amd64 node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src src
COPY tools tools
RUN node scripts/build.mjs

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
# package.json says "type": "module": dist/cli.js is an ES module.
COPY --from=build /src/package.json ./
COPY --from=build /src/dist ./dist
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
CMD ["serve", "--http", "--host", "0.0.0.0", "--port", "8080"]
