# syntax=docker/dockerfile:1
#
# runcap container image: multi-stage build on the official Node 20 Debian slim image.
#
#   docker build -t runcap .
#   docker run --init -p 8787:8787 -v runcap-data:/data \
#     -e RUNCAP_UPSTREAM_URL=https://api.openai.com/v1 -e RUNCAP_ADMIN_TOKEN=... runcap
#
# Pin the base further by digest in production (node:20.20-bookworm-slim@sha256:...);
# the minor-version tag below keeps rebuilds on Node 20.20.x patch releases.
ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---------------------------------------------------------------------------
# build: compile TypeScript and the better-sqlite3 native addon, then drop dev deps
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build

# better-sqlite3 falls back to node-gyp when no prebuilt binary can be fetched;
# node-gyp needs python3, make and a C++ compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Build native addons against the headers shipped in the image (no header download).
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Dependencies first so the layer is cached until the lockfile changes. Install scripts are
# skipped here (the package's own `prepare` would build before the sources are copied, and the
# test-only devDependencies need none); better-sqlite3's native addon is then built on its own.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The live view's page (docs/ui.md): compiled by its own tsconfig into dist/ui, served by /ui.
COPY ui ./ui
# The build copies the Redis ledger's Lua files (src/**/*.lua) beside the compiled code, and the
# live view's HTML, CSS and icon into dist/ui.
COPY scripts/copy-assets.mjs ./scripts/
# Keep only the compiled addon of better-sqlite3 (drops ~25 MB of sources and objects).
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force \
 && find node_modules/better-sqlite3/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find node_modules/better-sqlite3/build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && test -f node_modules/better-sqlite3/build/Release/better_sqlite3.node

# ---------------------------------------------------------------------------
# runtime: production node_modules, compiled code, prices and migrations only
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    RUNCAP_HOST=0.0.0.0 \
    RUNCAP_PORT=8787 \
    RUNCAP_DB=/data/runcap.sqlite

WORKDIR /app

# Application files stay root-owned (read-only for the runtime user); only /data is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The code finds these as ../../prices and ../../migrations relative to dist/<module>/.
COPY prices ./prices
COPY migrations ./migrations

# The SQLite ledger lives on a volume owned by the unprivileged `node` user (uid 1000)
# that the official image provides.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

# uid:gid 1000 is the image's `node` user. Numeric, so Kubernetes can verify
# runAsNonRoot without an explicit runAsUser.
USER 1000:1000

EXPOSE 8787

# Slim images carry no curl/wget: probe with node itself. /healthz answers as long as
# the process serves HTTP; /readyz (ledger reachable) is for orchestrator readiness.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.RUNCAP_PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

# runcap handles SIGTERM/SIGINT itself (stop accepting, drain in-flight calls for up
# to server.drain_timeout = 30s, settle holds, close the ledger), so it can run as
# PID 1. Run with `docker run --init` (tini) to also reap zombies and forward
# signals from an init process; give `docker stop -t 75` / a grace period above the
# drain time so in-flight holds are settled rather than left to expire.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
