# kantamig in a container, for the workers of a sharded run (deploy/k8s).
#
#   docker build --target production -t kantamig:VERSION --build-arg VERSION=$(git describe --always --dirty) .
#   docker build --target trial -t kantamig-trial:VERSION .      # with SoftHSM2, for trying things out
#
# Stage build makes the binary with cgo (the PKCS#11 client is C); stage production (the default,
# made of stage runtime) is a slim Debian with what the binary needs at run time and nothing else:
# no PKCS#11 module at all. The organisation builds its own image FROM it with its network HSM vendor's PKCS#11 client library
# (COPY it to /opt/hsm/lib/, as deploy/k8s/job.yaml expects), so nothing is mounted from a node:
#
#   FROM kantamig:VERSION
#   COPY --chown=0:0 vendor/libpkcs11.so /opt/hsm/lib/libpkcs11.so
#
# Stage trial adds SoftHSM2, a software token, for trying a run out; it is never the production
# image. Pin the base images by digest for a release build (the digests are the registry's, read
# where the build runs: docker buildx imagetools inspect golang:1.26-bookworm):
#   --build-arg GO_IMAGE=golang:1.26-bookworm@sha256:... --build-arg BASE_IMAGE=debian:bookworm-slim@sha256:...
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/kantamig ./cmd/kantamig

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="kantamig" \
      org.opencontainers.image.description="Migrates legacy Finnish social-welfare client records into the Kanta social welfare client data archive" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/kantamig/kantamig"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libltdl7 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work --create-home kantamig
COPY --from=build /out/kantamig /usr/local/bin/kantamig
# The Sosmeta schemas are built into the binary; a newer national export baked into a derived image
# is used by setting KANTAMIG_SOSMETA to its folder. The PKCS#11 module is the derived image's.
ENV KANTAMIG_PKCS11_MODULE=/opt/hsm/lib/libpkcs11.so
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/kantamig"]
CMD ["--help"]

FROM runtime AS trial
USER 0:0
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends softhsm2 opensc \
 && rm -rf /var/lib/apt/lists/*
ENV KANTAMIG_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
USER 10001:10001

# The default target, last: the production image, with no PKCS#11 module of its own.
FROM runtime AS production
