# jifen's container image: one static binary on an empty base, run as a
# user of its own. See README, "Run in production".
#
#   docker build -t jifen \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(TZ=UTC git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD) .
#   docker run -d --name jifen -p 8080:8080 -v jifen-data:/var/lib/jifen \
#     -v "$PWD/config.yaml:/etc/jifen/config.yaml:ro" --env-file jifen.env jifen
#
# buildah bud and podman build read it as it is. GO_IMAGE names the image
# with the Go toolchain the binary is built with; scripts/container-test.sh
# builds one from the host's toolchain where no registry is reachable.
ARG GO_IMAGE=golang:1.26.8-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
# The modules first, in a layer of their own, so a change to the sources
# does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `jifen version` prints. The flags are scripts/release.sh's, so a
# build cache that release filled serves this build too.
ARG VERSION=devel
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -gcflags=all=-dwarf=false \
        -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
        -o /out/jifen ./cmd/jifen
# The image has no shell to add a user with: its passwd and group files,
# and the store's directory owned by that user, are made here.
RUN mkdir -p /out/etc /out/data/backups \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\njifen:x:65532:65532:jifen:/var/lib/jifen:/sbin/nologin\n' >/out/etc/passwd \
 && printf 'root:x:0:\njifen:x:65532:\n' >/out/etc/group

FROM scratch
# The platforms' APIs are HTTPS; the zone database is inside the binary.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=65532:65532 /out/data /var/lib/jifen
COPY --from=build /out/jifen /usr/local/bin/jifen
USER 65532:65532
WORKDIR /var/lib/jifen
# The store and the nightly backups live in the volume; the example
# config's store.path and backup dir read these (as the systemd unit sets
# them). The config is mounted read-only at /etc/jifen/config.yaml, and
# the secrets it names as ${VAR} come from the environment (--env-file).
ENV JIFEN_STORE=/var/lib/jifen/jifen.db \
    JIFEN_BACKUP_DIR=/var/lib/jifen/backups
VOLUME ["/var/lib/jifen"]
# http.listen; the example config's ":8080".
EXPOSE 8080
# /readyz: the store answers, each enabled platform is reachable, the
# scheduler ticks. `jifen health` reads the port from the same config.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/jifen", "health", "--config", "/etc/jifen/config.yaml"]
# serve finishes in-flight work within http.shutdown_timeout (15 s by
# default) of SIGTERM: give `docker stop` a little more (--time 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/jifen"]
CMD ["serve", "--config", "/etc/jifen/config.yaml"]
