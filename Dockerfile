# One image per process: docker build --build-arg SERVICE=users -t psa-users .
# SERVICE is one of users, projects, tasks, documents, time, notifications, gateway (the default).
# Classic builder and BuildKit alike (docker-compose 1.29 uses the classic one).
ARG SERVICE=gateway

# ---- build: every dependency, then the TypeScript of every package -------------------------
FROM node:22.23.5-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY shared/embedded-mongo/package.json shared/embedded-mongo/
COPY services/users/package.json services/users/
COPY services/projects/package.json services/projects/
COPY services/tasks/package.json services/tasks/
COPY services/documents/package.json services/documents/
COPY services/time/package.json services/time/
COPY services/notifications/package.json services/notifications/
COPY gateway/package.json gateway/
COPY test/package.json test/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json ./
COPY shared shared
COPY services services
COPY gateway gateway
COPY web web
RUN npm run build
# What the runtime needs of SERVICE, and nothing else: the manifests of its workspace and
# @psa/shared (npm ci installs exactly the workspaces present), compiled JavaScript, and the
# schema files read at run time (each subgraph's src/schema.graphql, gateway/supergraph.graphql),
# and for the gateway the web console's static build.
ARG SERVICE
RUN set -eu; \
    case "$SERVICE" in \
      users|projects|tasks|documents|time|notifications) dir="services/$SERVICE"; data="src/schema.graphql" ;; \
      gateway) dir="gateway"; data="supergraph.graphql" ;; \
      *) echo "SERVICE must be users, projects, tasks, documents, time, notifications or gateway (got '$SERVICE')" >&2; exit 1 ;; \
    esac; \
    mkdir -p "/out/shared" "/out/$dir/$(dirname "$data")"; \
    cp package.json package-lock.json .npmrc /out/; \
    cp -r shared/package.json shared/dist /out/shared/; \
    cp -r "$dir/package.json" "$dir/dist" /out/$dir/; \
    cp "$dir/$data" "/out/$dir/$data"; \
    if [ "$SERVICE" = gateway ]; then cp -r web/dist /out/gateway/console; fi; \
    find /out -name '*.tsbuildinfo' -delete

# ---- deps: production dependencies of SERVICE's workspace only -----------------------------
FROM node:22.23.5-bookworm-slim AS deps
WORKDIR /app
COPY --from=build /out/ ./
# No @psa/embedded-mongo, no test tooling: their manifests are not in /out.
RUN npm ci --omit=dev --workspaces --include-workspace-root=false --ignore-scripts --no-audit --no-fund \
    && rm -f package-lock.json .npmrc

# ---- one stage per process: its working directory, port variable and port -----------------
FROM node:22.23.5-bookworm-slim AS service-users
WORKDIR /app/services/users
ENV USERS_PORT=4001
EXPOSE 4001

FROM node:22.23.5-bookworm-slim AS service-projects
WORKDIR /app/services/projects
ENV PROJECTS_PORT=4002
EXPOSE 4002

FROM node:22.23.5-bookworm-slim AS service-tasks
WORKDIR /app/services/tasks
ENV TASKS_PORT=4003
EXPOSE 4003

FROM node:22.23.5-bookworm-slim AS service-documents
WORKDIR /app/services/documents
ENV DOCUMENTS_PORT=4004
EXPOSE 4004
# The local file store (uploads) when no S3 store is configured: a volume is mounted here, and
# a named volume takes the directory's owner, so the process (user node) can write to it.
ENV FILES_DIR=/data/files
RUN mkdir -p /data/files && chown node:node /data/files

FROM node:22.23.5-bookworm-slim AS service-time
WORKDIR /app/services/time
ENV TIME_PORT=4005
EXPOSE 4005

FROM node:22.23.5-bookworm-slim AS service-notifications
WORKDIR /app/services/notifications
ENV NOTIFICATIONS_PORT=4006
EXPOSE 4006

FROM node:22.23.5-bookworm-slim AS service-gateway
WORKDIR /app/gateway
ENV GATEWAY_PORT=4000
EXPOSE 4000
# The web console's static build, served at / beside the API.
ENV WEB_DIR=/app/gateway/console

# ---- runtime -------------------------------------------------------------------------------
FROM service-${SERVICE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
# Owned by root and read-only for the process; keys come from the environment or /run/secrets.
COPY --from=deps /app/ /app/
USER node
# /healthz on the port the process listens on (<SERVICE>_PORT); slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:' + process.env[process.env.SERVICE.toUpperCase() + '_PORT'] + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/index.js"]
