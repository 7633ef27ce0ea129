# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, run with production ones only.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (the state database) compiles its native addon when no prebuilt binary is reachable.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies as built above (native addons included), so the runtime image needs no compiler.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
# The pinned OHIF version (for /ohif/app-config.js); run scripts/ohif/fetch.sh in a derived image to serve /viewer too.
COPY scripts/ohif/version.txt ./scripts/ohif/version.txt
# Created here so that a named volume mounted on it starts owned by the node user.
RUN mkdir -p /home/node/state && chown node:node /home/node/state
USER node
# Listening on all interfaces: the gateway refuses to start until authentication is configured
# (GATEWAY_SECURITY_OIDC_* or API keys in a GATEWAY_CONFIG file), or allowAnonymous is set explicitly.
# State (identity links, reconciliation, prefetch jobs, edge cache index) and the edge cache: mount a volume on /home/node/state.
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8080 GATEWAY_SECURITY_AUDIT_DIR=/home/node/audit GATEWAY_STATE_DIR=/home/node/state
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1's child of nothing, so SIGTERM reaches it directly.
ENTRYPOINT ["node", "dist/src/main.js"]
