# Build: docker build -t convene .
# Run:   docker run -p 8080:8080 -e CONVENE__DATABASE__URL=postgres://… convene
# SQLite, libpq and OpenSSL are built from source by cargo: the image needs no -dev packages.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY locales locales
COPY static static
COPY config config
RUN cargo build --release --locked --bin convene

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /app convene
WORKDIR /app
COPY --from=build /src/target/release/convene /usr/local/bin/convene
COPY config /app/config
RUN mkdir -p /app/data && chown convene:convene /app/data
USER convene
ENV CONVENE_ENV=production \
    CONVENE__SERVER__BIND=0.0.0.0:8080
EXPOSE 8080
VOLUME ["/app/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["convene"]
CMD ["serve"]
