# syntax=docker/dockerfile:1
# Central: docker build -f packaging/docker/central.Dockerfile -t central .
# Configured by environment variables with the names of central.conf's keys (API_KEY, EDIT_AUTH,
# DATABASE_URL, API_URL, HTTP_PORT, ...); a file mounted at /etc/central/central.conf is read too.
# Without DATABASE_URL it keeps its embedded database in the /var/lib/central volume (give the container
# 1 GiB of memory for the first start). The application is the same tree the Debian package installs.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY server/package.json server/
COPY streamer/package.json streamer/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN node --import tsx scripts/package.ts --app central --dest /out/central

FROM node:20-bookworm-slim
ENV NODE_ENV=production CENTRAL_DIR=/var/lib/central HTTP_PORT=9019
COPY --from=build /out/central /opt/central
RUN install -d -o node -g node -m 750 /var/lib/central
USER node
WORKDIR /var/lib/central
VOLUME /var/lib/central
EXPOSE 9019
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||9019)+'/central/api/v3/monitoring/liveness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "/opt/central/central.js"]
