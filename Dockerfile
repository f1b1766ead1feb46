# syntax=docker/dockerfile:1
# The `spendbot` image: one static-enough binary on Debian slim, running as a non-root user.
#
#   docker build -t spendbot .
#   docker run --rm -p 8080:8080 -v spendbot-data:/data spendbot            # serve on SQLite
#   docker run --rm -it -v spendbot-data:/data spendbot chat               # talk to it
#
# No system libraries are needed: TLS is rustls and SQLite is bundled by sqlx.

FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked --version ^0.1
WORKDIR /app

# 1. The recipe: the manifest, the lock file and every target's path, read by cargo-chef from
#    the whole tree, so a new test, bench or binary needs no change here.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# 2. Dependencies only, cached until the recipe changes (a dependency, a feature, a target).
FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin spendbot

# 3. The crate itself: the sources and what the build script and the templates read.
COPY Cargo.toml Cargo.lock build.rs askama.toml ./
COPY intents ./intents
COPY migrations ./migrations
COPY src ./src
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin spendbot \
    && install -D -m 0755 target/release/spendbot /out/spendbot

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 spendbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin spendbot \
    && mkdir -p /data \
    && chown spendbot:spendbot /data
COPY --from=builder /out/spendbot /usr/local/bin/spendbot

# SQLite in a volume is for one container. Several replicas need PostgreSQL or MySQL: set
# DATABASE_URL to postgres://… or mysql://… (see k8s/).
ENV DATABASE_URL="sqlite:///data/spendbot.db?mode=rwc" \
    SPENDBOT_HTTP_ADDR="0.0.0.0:8080"
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
# No HEALTHCHECK: the image has no HTTP client; Kubernetes probes /healthz and /readyz.
# `serve` drains and exits 0 on SIGTERM, Docker's and Kubernetes' default stop signal.
ENTRYPOINT ["spendbot"]
CMD ["serve"]
