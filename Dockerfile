# One image recipe for every keymint service; the APP build argument picks which one runs.
#   docker build --build-arg APP=token-service -t keymint/token-service .
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native addon compiled by node-gyp when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.base.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG APP
RUN test -n "$APP" || (echo "build with --build-arg APP=<token-service|application-registry|analytics>" && false)
ENV NODE_ENV=production \
    APP=${APP} \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The devportal and dashboard pages are static files served from the source tree's ui folders.
COPY --from=build /app/apps/application-registry/ui ./apps/application-registry/ui
COPY --from=build /app/apps/analytics/ui ./apps/analytics/ui
COPY --from=build /app/libs/http-kit/ui ./libs/http-kit/ui
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
