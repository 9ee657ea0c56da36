# Homeport's container image: node, the release (the server bundle, the web UI, the npm packages the bundle loads
# at run time — scripts/release), and nats-server. docs/install.md ("Container") has the commands. Stages:
#
#   build     npm ci, npm run build and the release from the sources, unpacked into /stage/opt/homeport
#   prebuilt  the same unpacked release taken from the build context instead (ARTEFACTS=prebuilt, below)
#   (last)    the runtime: BASE_IMAGE plus that folder, nats-server from NATS_IMAGE; no shell command runs in it,
#             so any base with node 20.19+ (the major the release was built with) and glibc works, distroless too
#
# From source (what users run):   docker build -t homeport .
# From a built checkout:          npm run build && npm run release -- --out /tmp/release
#                                 mkdir /tmp/ctx && tar -xzf /tmp/release/homeport-*.tar.gz -C /tmp/ctx --strip-components=1
#                                 cp deploy/container/healthcheck.mjs /tmp/ctx/
#                                 DOCKER_BUILDKIT=1 docker build -f Dockerfile --build-arg ARTEFACTS=prebuilt -t homeport /tmp/ctx
# (The test builds that way, with BASE_IMAGE and NATS_IMAGE made on the machine: images cannot be pulled there.
# BuildKit builds only the stages the target needs; the legacy builder would run `build` too.)

ARG BASE_IMAGE=node:20-bookworm-slim
# The build stage compiles better-sqlite3 when no prebuilt binary matches: python3, make and g++ are in this one.
# Its node major must be the runtime's: the release's native addons are built for it.
ARG BUILD_IMAGE=node:20-bookworm
# The official image is `scratch` with the static binary at /nats-server.
ARG NATS_IMAGE=nats:2.10
ARG ARTEFACTS=build

FROM ${NATS_IMAGE} AS nats

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run release -- --out /release \
 && mkdir -p /stage/opt/homeport /stage/data \
 && tar -xzf /release/homeport-*.tar.gz -C /stage/opt/homeport --strip-components=1 \
 && cp deploy/container/healthcheck.mjs /stage/opt/homeport/

# The context is an unpacked release with deploy/container/healthcheck.mjs beside its bin/ and dist/.
FROM scratch AS prebuilt
COPY . /stage/opt/homeport/
# The volume's mount point (WORKDIR creates it; empty).
WORKDIR /stage/data

FROM ${ARTEFACTS} AS artefacts

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Homeport" \
      org.opencontainers.image.description="A self-hosted control plane: accounts, files (WebDAV), deploys and an encrypted bus for the machines you own." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=nats /nats-server /usr/local/bin/nats-server
# Root-owned and read-only to the server: a compromised process cannot rewrite its own code.
COPY --from=artefacts /stage/opt/ /opt/
# The volume's mount point, owned by the server's user so a fresh named volume is writable.
COPY --from=artefacts --chown=10001:10001 /stage/data/ /data/
# Bind 0.0.0.0 so the published ports answer; Homeport refuses plain HTTP there unless told it sits behind a
# TLS proxy (HOMEPORT_ALLOW_INSECURE_PUBLIC=1 with HOMEPORT_PUBLIC_URL=https://…) or given a certificate
# (HOMEPORT_TLS_CERT/KEY): `docker run` without either exits with the line that says so.
ENV NODE_ENV=production \
    HOME=/data \
    HOMEPORT_DATA_DIR=/data \
    HOMEPORT_BIND=0.0.0.0 \
    HOMEPORT_PORT=8080 \
    HOMEPORT_DAV_PORT=8090 \
    HOMEPORT_NATS_SERVER_BIN=/usr/local/bin/nats-server
# A numeric user (no passwd entry needed, and `runAsNonRoot` can check it); not one the base defines.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080 8090
# Homeport drains in-flight requests on SIGTERM within HOMEPORT_SHUTDOWN_TIMEOUT (10 s): give `docker stop`
# more than that (`--stop-timeout 30`, compose's stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/opt/homeport/healthcheck.mjs"]
# node on the bundle, not the release's bin/homeport: that launcher is a shell script, and the base may have no
# shell.
ENTRYPOINT ["node", "/opt/homeport/dist/homeport.js"]
CMD ["start"]
