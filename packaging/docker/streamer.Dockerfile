# syntax=docker/dockerfile:1
# The open streamer: docker build -f packaging/docker/streamer.Dockerfile -t central-streamer .
# Configured by STREAMER_* environment variables (STREAMER_HOSTNAME, STREAMER_CLUSTER_KEY,
# STREAMER_EDIT_AUTH, STREAMER_HTTP, ...), as Flussonic's own images are; a file mounted at
# /etc/central/streamer.conf is read too. Media and state in the /var/lib/central-streamer volume.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY server/package.json server/
COPY streamer/package.json streamer/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN node --import tsx scripts/package.ts --app central-streamer --dest /out/central-streamer

FROM node:20-bookworm-slim
# ffmpeg runs every stream; setpriv (util-linux) ties each ffmpeg's life to the streamer's.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg util-linux && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production STREAMER_DIR=/var/lib/central-streamer STREAMER_HTTP=8080
COPY --from=build /out/central-streamer /opt/central-streamer
RUN install -d -o node -g node -m 750 /var/lib/central-streamer
USER node
WORKDIR /var/lib/central-streamer
VOLUME /var/lib/central-streamer
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.STREAMER_HTTP||8080)+'/streamer/api/v3/monitoring/liveness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "/opt/central-streamer/streamer.js"]
