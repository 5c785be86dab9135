# kantamig in a container, for the workers of a sharded run (deploy/k8s).
# Build:  docker build -t kantamig:VERSION --build-arg VERSION=$(git describe --always --dirty) .
#
# Stage 1 builds the binary with cgo (the PKCS#11 client is C); stage 2 is a
# slim Debian with what the binary needs at run time and nothing else. The
# PKCS#11 module of the organisation's HSM is not in the image: mount it
# (and its configuration) and point KANTAMIG_PKCS11_MODULE at it. The image
# carries SoftHSM2 only as the module for trying things out.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/kantamig ./cmd/kantamig

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libltdl7 softhsm2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work --create-home kantamig
COPY --from=build /out/kantamig /usr/local/bin/kantamig
# The Sosmeta schemas are built into the binary; a newer national export baked into a derived image
# is used by setting KANTAMIG_SOSMETA to its folder.
ENV KANTAMIG_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/kantamig"]
CMD ["--help"]
