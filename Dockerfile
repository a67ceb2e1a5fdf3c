# mediagate's container image: a release build on Debian bookworm, run on distroless.
#
#   docker build -t mediagate:dev .
#   docker run --rm -p 8080:8080 -e MEDIAGATE_DEV=true --read-only \
#     --tmpfs /tmp --tmpfs /var/lib/mediagate:uid=65532,gid=65532,mode=0700 mediagate:dev
#
# What the image promises (scripts/check-container checks each, infra/kubernetes relies on them):
# the binary at /usr/local/bin/mediagate, uid/gid 65532 (distroless `nonroot`), working directory
# /var/lib/mediagate (with /tmp the only places it writes, so the root filesystem can be read-only),
# settings only from MEDIAGATE_* variables and mounted secret files, main listener :8080, admin
# listener :9090 (/metrics; keep it off the internet), /healthz and /readyz on both.
#
# Base images are pinned by tag and overridable (--build-arg *_IMAGE and *_TAG; name and tag apart
# so that linters see the tag in FROM). For a release, pin by digest too, e.g.
# --build-arg RUNTIME_TAG=nonroot@sha256:<digest>, where <digest> is
# what `crane digest gcr.io/distroless/cc-debian12:nonroot` (or `docker buildx imagetools
# inspect`) prints on a machine that reaches the registry: a tag moves, a digest does not. No
# registry is reachable where this file was written, so no digest is invented here.
ARG RUST_IMAGE=rust
ARG RUST_TAG=1.95-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12
ARG RUNTIME_TAG=nonroot

# --- build ---------------------------------------------------------------------------------------
FROM ${RUST_IMAGE}:${RUST_TAG} AS builder
WORKDIR /build

# Dependencies first, against stub targets, so a change to src/ rebuilds only mediagate itself.
# The stubs stand for every target Cargo.toml names (cargo refuses a manifest whose declared
# bench or test has no file): a new [[bench]] or [[test]] needs its stub here. The bench and test
# stubs stay (a release build of the binary never compiles them); only src/ is replaced.
COPY Cargo.toml Cargo.lock ./
COPY .cargo/ .cargo/
RUN mkdir -p src benches tests/it \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs tests/it/main.rs \
 && for b in signing presign cache; do echo 'fn main() {}' > "benches/$b.rs"; done \
 && cargo build --release --locked \
 && rm -rf src

# The crate itself: its sources and what they embed at compile time (web/ for the demo page,
# migrations/ for sqlx::migrate!).
COPY src/ src/
COPY web/ web/
COPY migrations/ migrations/
COPY schema.graphql ./
# COPY keeps the files' own (older) mtimes, and cargo would take the stub build above as fresh.
RUN find src -name '*.rs' -exec touch {} + \
 && cargo build --release --locked \
 && install -D -m 0755 target/release/mediagate /out/usr/local/bin/mediagate \
 && install -d -m 0700 -o 65532 -g 65532 /out/var/lib/mediagate

# --- run -----------------------------------------------------------------------------------------
# distroless cc-debian12 is base-debian12 (glibc, libssl3: libssl.so.3 and libcrypto.so.3,
# ca-certificates, tzdata, /etc/passwd with nonroot = 65532) plus libgcc-s1, libstdc++6 and
# libgomp1. The release binary links exactly glibc, libgcc_s and OpenSSL 3 dynamically (SQLite is
# bundled), all built for bookworm like the builder above, so nothing is copied in beside it.
# A pure-Rust build (--no-default-features --features rust-crypto,local-s3, musl) would run on
# distroless/static instead.
FROM ${RUNTIME_IMAGE}:${RUNTIME_TAG}

LABEL org.opencontainers.image.title="mediagate" \
      org.opencontainers.image.description="Media links with access control: CloudFront signed URLs and cookies, S3 presigned uploads" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="mediagate" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"

COPY --from=builder /out/usr/local/bin/mediagate /usr/local/bin/mediagate
# The data folder belongs to the service (0700): the one writable place when nothing is mounted
# there; on Kubernetes and ECS an emptyDir / ephemeral volume is mounted over it. Copied as an
# entry of /out/var/lib/ so that --chown applies to the folder itself, not only to its contents.
COPY --from=builder --chown=65532:65532 /out/var/lib/ /var/lib/

# Declared so that a runtime mounting an empty volume there (ECS Fargate's task storage) seeds it
# from the image: the data folder owned by 65532, /tmp world-writable with the sticky bit.
VOLUME ["/var/lib/mediagate", "/tmp"]

# Numeric, so a runtime (kubelet's runAsNonRoot) can tell it is not root without /etc/passwd.
USER 65532:65532
WORKDIR /var/lib/mediagate

# Listen on every interface inside the container; the admin listener serves /metrics, /healthz
# and /readyz for the orchestrator and Prometheus only. Dev mode is off: an image that started
# with nothing configured would otherwise generate a key and mint tokens for anyone on 0.0.0.0
# (`serve` now names every missing production setting instead; -e MEDIAGATE_DEV=true to try it).
ENV MEDIAGATE_SERVER__LISTEN=0.0.0.0:8080 \
    MEDIAGATE_SERVER__ADMIN_LISTEN=0.0.0.0:9090 \
    MEDIAGATE_LOG__FORMAT=json \
    MEDIAGATE_DEV=false

EXPOSE 8080 9090

# No shell in the image: the binary checks itself (GET http://127.0.0.1:8080/readyz, exit 0 on
# 200). Kubernetes ignores HEALTHCHECK and uses the probes in infra/kubernetes instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/mediagate", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/mediagate"]
CMD ["serve"]
