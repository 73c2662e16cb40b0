# syntax=docker/dockerfile:1
# Silo in a container: the TODO app, the admin console and `silo serve` from one image.
#
#   podman build --format docker -t silo .      (or docker build; buildah bud --format docker)
#   (--format docker: the OCI format has no HEALTHCHECK, and podman would drop it)
#   podman run -p 3000:3000 -v silo-data:/data silo            # the TODO app and the admin
#   podman run -p 7070:7070 -v silo-data:/data silo serve      # the fleet's HTTP API
#   podman run --rm -v silo-data:/data silo silo migrate       # any `silo` command
#
# The role is the command argument (deploy/container/roles.mjs): all (default), todos, admin,
# serve [silo serve options], silo <command>. docs/deploy.md has the whole guide.

ARG NODE_VERSION=24

# ── build: dependencies (native ones compiled here if no prebuilt binary fits), the web apps ──
FROM docker.io/library/node:${NODE_VERSION}-bookworm AS build
# A compiler for native modules without a prebuilt binary for this platform (better-sqlite3
# from source); the runtime stage never gets one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The manifests first, so a change to the sources reuses the installed dependencies.
COPY package.json package-lock.json .npmrc ./
COPY packages/fleet/package.json packages/fleet/
COPY packages/cli/package.json packages/cli/
COPY packages/web/package.json packages/web/
COPY packages/server/package.json packages/server/
COPY packages/react-router/package.json packages/react-router/
COPY packages/turso-standin/package.json packages/turso-standin/
COPY apps/todos/package.json apps/todos/
COPY apps/admin/package.json apps/admin/
RUN npm ci --no-audit --no-fund
# better-sqlite3 must load here, on the runtime's platform; otherwise it is built from source
# now, while a compiler is at hand.
RUN node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" \
 || (cd node_modules/better-sqlite3 && npx --yes node-gyp rebuild --release \
     && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()")
COPY . .
RUN npm run build -w @silo/todos -w @silo/admin

# ── runtime: no compiler, no root ─────────────────────────────────────────────────────────────
FROM docker.io/library/node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SILO_DATA_DIR=/data \
    SILO_CONFIG=/app/silo.config.ts \
    HOST=0.0.0.0 \
    ADMIN_HOST=0.0.0.0 \
    PORT=3000 \
    ADMIN_PORT=3001
WORKDIR /app
# The node image's `node` user (uid 1000) runs everything; /data is its own, mode 0700.
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000 3001 7070
# Each role's probe (its /readyz); the entrypoint records which ones the role has.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/deploy/container/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/deploy/container/entrypoint.mjs"]
CMD ["all"]
