# Beacon's container image: a build stage compiles the native modules, type-checks and
# compiles src/ to dist/; the run stage holds dist/ and production dependencies only (no
# TypeScript loader, no compiler) and runs as `node`.
# Build: `docker build -t beacon .`; run it with docker-compose.yml (README, Deployment).

# ---- build: full dependencies, native better-sqlite3, type-check, compile, then prune ----
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore lets through (sources, tests for the type-check, web, scripts).
COPY . .
RUN npm run typecheck \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- run: production node_modules and the compiled JavaScript, no compilers ----
FROM node:20-bookworm-slim AS run
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /logs \
 && chown node:node /data /logs \
 && chmod 700 /data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web ./web
COPY --from=build /app/scripts ./scripts

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    HTTPS_PORT=5000 \
    HTTP_PORT=5001 \
    DATA_DIR=/data \
    LOG_DIR=/logs \
    LOG_STDOUT=1
# Named volumes start as copies of these directories, so they are owned by `node` too.
VOLUME ["/data", "/logs"]
EXPOSE 5000 5001

# The image's files stay root-owned: the app can write only to /data, /logs and /tmp.
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "scripts/healthcheck.mjs"]
# tini is PID 1: it forwards SIGTERM/SIGHUP to Node and reaps the hash workers' zombies.
ENTRYPOINT ["/usr/bin/tini", "--"]
# `npm run events` / `npm run import-users` work in the image too: with no src/ to compare,
# their build step finds dist/ current and runs the compiled command.
CMD ["node", "dist/main.js"]
