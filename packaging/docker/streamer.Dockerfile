# syntax=docker/dockerfile:1
# The open streamer: docker build -f packaging/docker/streamer.Dockerfile -t central-streamer .
# Configured by STREAMER_* environment variables (STREAMER_HOSTNAME, STREAMER_CLUSTER_KEY,
# STREAMER_EDIT_AUTH, STREAMER_HTTP, ...), as Flussonic's own images are; media in /var/lib/central-streamer.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY server/package.json server/
COPY streamer/package.json streamer/
COPY web/package.json web/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg util-linux && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production STREAMER_DIR=/var/lib/central-streamer STREAMER_HTTP=8080 \
    STREAMER_CONFIG=/etc/central/streamer.conf
WORKDIR /opt/central-streamer
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY protocol ./protocol
COPY streamer ./streamer
RUN install -d -o node -g node -m 750 /var/lib/central-streamer && install -d /etc/central
USER node
VOLUME /var/lib/central-streamer
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.STREAMER_HTTP||8080)+'/streamer/api/v3/monitoring/liveness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "streamer/src/main.ts"]
