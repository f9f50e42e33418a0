# handoff serve in a container: built in a Rust image, run from a small
# Debian one as a user without privileges (docs/server.md).
#
#   docker build -t handoff .
#   docker run --rm -p 8080:8080 -v "$PWD/examples/inbound:/policies:ro" handoff \
#     serve --listen 0.0.0.0:8080 --policy /policies/policy.handoff
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin handoff

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin handoff \
 && mkdir -p /var/lib/handoff && chown handoff /var/lib/handoff
COPY --from=build /src/target/release/handoff /usr/local/bin/handoff
COPY examples /usr/share/handoff/examples
USER handoff
WORKDIR /var/lib/handoff
EXPOSE 8080
ENTRYPOINT ["handoff"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--policy", "/usr/share/handoff/examples/inbound/policy.handoff", "--state", "/var/lib/handoff/state.json"]
