# syntax=docker/dockerfile:1
#
# One image for the whole mesh: the `shop` binary runs any component
# (`shop serve users|products|cart|orders|payments|edge`), the whole mesh on
# SQLite (`shop up`, the default command), the health probe and the secrets
# generator. One build and one cache serve every deployment, and the binary
# shares its dependencies, so six images would each be nearly as large as this
# one. See README "Images".

ARG RUST_VERSION=1.95
ARG CARGO_CHEF_VERSION=0.1.78

# cargo-chef turns the workspace's manifests into a recipe, so that the
# dependencies are built in a layer of their own that only Cargo.toml /
# Cargo.lock changes invalidate.
FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS chef
ARG CARGO_CHEF_VERSION
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /build

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
# How the bundled SQLite is compiled, before the dependencies are.
COPY .cargo .cargo
RUN cargo chef cook --profile dist --locked --recipe-path recipe.json --package shop
COPY . .
RUN cargo build --profile dist --locked --package shop --bin shop \
 && install -D -m 0755 target/dist/shop /out/usr/local/bin/shop \
 && install -d -m 0700 /out/data /out/secrets

# distroless/cc: glibc and libgcc, no shell, no package manager; `nonroot`
# runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/usr/local/bin/shop /usr/local/bin/shop
# The only writable places, for volumes to mount over: /data (SQLite files,
# the embedded default's keys) and /secrets (what `shop generate-secrets`
# writes). A fresh named volume takes their owner from here.
COPY --from=builder --chown=65532:65532 /out/data /data
COPY --from=builder --chown=65532:65532 /out/secrets /secrets
USER 65532:65532
WORKDIR /data
# mimalloc gives freed memory back at once and commits page by page: resident
# memory near glibc's (README, "Performance").
ENV SHOP_DATA_DIR=/data \
    SHOP_HOST=0.0.0.0 \
    LOG_FORMAT=json \
    MIMALLOC_PURGE_DELAY=0 \
    MIMALLOC_ARENA_EAGER_COMMIT=0
# edge HTTP; users, products, cart, orders, payments gRPC; their metrics (+10)
EXPOSE 8080 50051 50052 50053 50054 50055 50061 50062 50063 50064 50065
ENTRYPOINT ["/usr/local/bin/shop"]
CMD ["up"]
