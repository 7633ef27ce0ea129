# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, run with production ones only.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The pinned OHIF version (for /ohif/app-config.js); run scripts/ohif/fetch.sh in a derived image to serve /viewer too.
COPY scripts/ohif/version.txt ./scripts/ohif/version.txt
USER node
# Listening on all interfaces: the gateway refuses to start until authentication is configured
# (GATEWAY_SECURITY_OIDC_* or API keys in a GATEWAY_CONFIG file), or allowAnonymous is set explicitly.
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8080 GATEWAY_SECURITY_AUDIT_DIR=/home/node/audit
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1's child of nothing, so SIGTERM reaches it directly.
ENTRYPOINT ["node", "dist/src/main.js"]
