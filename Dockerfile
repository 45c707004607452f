# syntax=docker/dockerfile:1
# Build stage: compile the release binary (migrations, seeds and Swagger UI assets are embedded).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY seeds ./seeds
COPY openapi ./openapi
RUN cargo build --profile production --locked && strip target/production/stemcare

# Run stage: a slim image, a non-root user, no compiler.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin stemcare
COPY --from=build /src/target/production/stemcare /usr/local/bin/stemcare
USER stemcare
ENV STEMCARE_BIND=0.0.0.0:8080 \
    STEMCARE_LOG_FORMAT=json \
    RUST_LOG=info
EXPOSE 8080
# DATABASE_URL must be set in production: the image carries no PostgreSQL server.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/stemcare"]
CMD ["serve"]
