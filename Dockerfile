# The Mockarty server with its default plugins, on the embedded SQLite store
# (set DB_DSN for PostgreSQL). Build: docker build -t mockarty/mockarty .
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN make build RELEASE="$(git describe --tags --always 2>/dev/null || echo docker)"

FROM gcr.io/distroless/base-debian12
COPY --from=build /src/bin/ /opt/mockarty/
ENV HTTP_BIND_ADDR=0.0.0.0 MOCKARTY_DATA_DIR=/data
VOLUME /data
# 5770 API and /stubs; 5780-5789 the plugins' listeners (docs/plugins.md).
EXPOSE 5770 5780-5789
ENTRYPOINT ["/opt/mockarty/mockarty"]
