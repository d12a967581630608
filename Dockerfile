# One image for every service; the command picks the service:
#   docker build -t handover-balance .
#   docker run handover-balance                                   # the ledger consumer (default)
#   docker run handover-balance dist/apps/watch/src/main.js       # or api, notifier, lag-monitor
# Settings come from the environment (README, "Configuration"). deploy/compose and deploy/k8s use it.
# The base images are arguments; their defaults are the public Node images. Without a registry,
# `npm run images` builds local ones from Debian packages and these arguments name them
# (deploy/compose/local-images.env):
#   docker build --build-arg NODE_BUILD_IMAGE=hbm-local/node-build:20 --build-arg NODE_IMAGE=hbm-local/node:20 .
# (no `# syntax=` line: BuildKit would fetch that frontend from a registry)
ARG NODE_BUILD_IMAGE=node:20-bookworm-slim
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dev dependencies, tsc, then only the production dependencies are kept ---
FROM ${NODE_BUILD_IMAGE} AS build
# marks the build stage's layers, which the classic builder keeps as untagged images (its cache):
# test/images.test.ts removes those of older builds
LABEL org.handover-balance.stage=build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY apps ./apps
COPY deploy/build ./deploy/build
COPY deploy/config ./deploy/config
RUN npm run build && npm prune --omit=dev

# --- runtime: dist/ and the production node_modules, as the unprivileged user node (uid 1000) ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the defaults FACILITIES_FILE=deploy/config/facilities.json and TOKENS_FILE=deploy/config/tokens.json
# are relative to the working directory; mount your own files over /app/deploy/config
COPY --from=build /app/dist/deploy/config ./deploy/config
USER node
# metrics and health: ledger 9464, watch 9465, lag monitor 9466, notifier 9467; the API 3000
EXPOSE 3000 9464 9465 9466 9467
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["dist/apps/ledger/src/main.js"]
