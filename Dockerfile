# syntax=docker/dockerfile:1
# The einmal image: compiled JavaScript and the runtime dependencies only, run as an unprivileged
# user. Every service is `einmal GROUP serve` (see docs/operations.md); the entry point is the CLI.

# --- build: every dependency, compile to dist/ ---
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY adapters ./adapters
COPY audit ./audit
COPY certs ./certs
COPY cli ./cli
COPY core ./core
COPY dev ./dev
COPY gateway ./gateway
COPY portal ./portal
COPY protocol ./protocol
COPY registry ./registry
COPY schemas ./schemas
RUN npm run build && node dist/cli/main.js --help > /dev/null

# --- runtime: production dependencies and the compiled code ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /opt/einmal
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY deploy/einmal.sh /usr/local/bin/einmal
COPY deploy/healthcheck.js deploy/init-federation.sh ./deploy/
RUN groupadd --system einmal && useradd --system --gid einmal --home-dir /var/lib/einmal einmal \
  && mkdir -p /var/lib/einmal && chown einmal:einmal /var/lib/einmal
USER einmal
WORKDIR /var/lib/einmal
# The health check asks the operations listener the service's *_OPS_PORT names (9100 by default).
EXPOSE 9100
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/opt/einmal/deploy/healthcheck.js"]
ENTRYPOINT ["einmal"]
CMD ["--help"]
