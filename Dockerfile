# syntax=docker/dockerfile:1
# The `spendbot` image: one static-enough binary on Debian slim, running as a non-root user.
#
#   docker build -t spendbot .
#   docker run --rm -p 8080:8080 -v spendbot-data:/data spendbot            # serve on SQLite
#   docker run --rm -it -v spendbot-data:/data spendbot chat               # talk to it
#
# No system libraries are needed: TLS is rustls and SQLite is bundled by sqlx.

FROM rust:1-bookworm AS builder
WORKDIR /app

# 1. Dependencies only, cached until the manifest, the lock file, the build script, the intents
#    or the migrations change. cargo reads a manifest only when every target it names exists,
#    so each one ([lib], [[bin]], [[test]], [[bench]], [[example]]) gets an empty stand-in,
#    listed from Cargo.toml itself: a new bench or test needs no change here.
COPY Cargo.toml Cargo.lock build.rs askama.toml ./
COPY intents ./intents
COPY migrations ./migrations
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && awk -F'"' ' \
        function flush() { if (dir != "") print (path != "" ? path : dir "/" name ".rs"); dir = "" }; \
        /^\[/ { flush(); path = ""; name = "" }; \
        /^\[\[bin\]\]/ { dir = "src/bin" }; \
        /^\[\[test\]\]/ { dir = "tests" }; \
        /^\[\[bench\]\]/ { dir = "benches" }; \
        /^\[\[example\]\]/ { dir = "examples" }; \
        /^name *=/ { name = $2 }; \
        /^path *=/ { path = $2 }; \
        END { flush() }' Cargo.toml \
    | while read -r target; do \
        mkdir -p "$(dirname "$target")"; \
        [ -e "$target" ] || echo 'fn main() {}' > "$target"; \
    done \
    && cargo build --release --locked \
    && rm -rf src

# 2. The real sources (the test and bench stand-ins stay: the manifest still names them).
#    COPY keeps the files' own modification times, which may be older than the stand-in's
#    build, so forget the stand-in's fingerprints to make cargo rebuild the crate.
COPY src ./src
RUN rm -rf target/release/.fingerprint/spendbot-* target/release/deps/spendbot-* \
        target/release/deps/libspendbot-* \
    && cargo build --release --locked \
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
