# kantamig — build, test, demo, bench. Run from the repository root, with ../shared beside it.
SHARED  ?= ../shared
SOSMETA ?= $(SHARED)/sosmeta
GO      ?= go
BIN     := bin/kantamig
# The version stamped into the binary and recorded in every report: the git description of the checkout.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Only when they are there: kantamig itself needs none of ../shared (its schemas are built in), so a
# bare clone runs make demo; the tests use them when present (internal/testenv says what they skip).
export KANTAMIG_SOSMETA := $(if $(wildcard $(SOSMETA)/*.json),$(abspath $(SOSMETA)),)
export KANTAMIG_SHARED  := $(if $(wildcard $(SHARED)),$(abspath $(SHARED)),)

PLATFORM := linux-$(shell $(GO) env GOARCH)
DIST     := out/dist/kantamig-$(VERSION)-$(PLATFORM)

.PHONY: dist build test demo demo-token demo-mariadb demo-kotihoito demo-arkisto bench bench-1m profile-1m bench-mariadb bench-shards shard-proof k8s-validate samples vet clean fuzz

# A versioned archive of the binary with README, LICENSE and CHANGELOG, its CycloneDX SBOM (the
# modules built into the binary, from cyclonedx-gomod through the module proxy) and SHA-256 sums.
# linux/amd64 and linux/arm64 with glibc are the platforms: PKCS#11 needs cgo (see README, Install).
dist:
	rm -rf $(DIST) $(DIST).tar.gz
	mkdir -p $(DIST)
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(DIST)/kantamig ./cmd/kantamig
	cp README.md LICENSE CHANGELOG.md $(DIST)/
	$(GO) run github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0 app -json -licenses -main cmd/kantamig -output $(DIST)/kantamig.cdx.json .
	tar -C out/dist -czf $(DIST).tar.gz $(notdir $(DIST))
	cd out/dist && sha256sum $(notdir $(DIST)).tar.gz $(notdir $(DIST))/kantamig $(notdir $(DIST))/kantamig.cdx.json > $(notdir $(DIST)).sha256
	@echo "dist: out/dist/$(notdir $(DIST)).tar.gz, its SBOM and sums in out/dist/$(notdir $(DIST)).sha256"

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/kantamig

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# Unit, golden and end-to-end tests. Integration tests that need xmllint run when it is installed
# (.ci/run installs it) and say that they were skipped otherwise.
# The timeout is explicit so that a slow machine fails with a stack dump of what hung rather than at
# go test's default; the whole suite takes 4 to 5 minutes on a 2-core machine from a warm cache. The fuzz targets' seed
# corpora (testdata/fuzz, including every input that once failed) run here as ordinary tests.
# Tests allowed to skip where every tool is required (internal/testenv.AllowedSkips: what cannot run
# here, such as SQL Server) say so in a log printed at the end, so that a test that did not run is seen.
SKIP_LOG := $(CURDIR)/out/skipped-tests.txt
test: vet
	@mkdir -p out && rm -f $(SKIP_LOG)
	KANTAMIG_SKIP_LOG=$(SKIP_LOG) $(GO) test -count=1 -timeout 20m ./...
	@if [ -s $(SKIP_LOG) ]; then echo "tests that did not run (each allowed to skip here; internal/testenv.AllowedSkips):"; sort -u $(SKIP_LOG) | sed 's/^/  /'; fi

# Fuzz targets: identity codes, mapping decoding, CSV and XML extraction. Longer: make fuzz FUZZTIME=10m.
FUZZTIME ?= 60s
FUZZ_TARGETS := kanta:FuzzIdentityCode mapping:FuzzLoad extract:FuzzCSV extract:FuzzXML
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t#*:}; \
	  echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
	  $(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -parallel 2 || exit 1; \
	done

# The demo's token is a throwaway SoftHSM2 token under out/token; its PIN is set here for the demo
# only. Real runs take the PIN from the environment or a prompt.
DEMO_TOKEN := out/token
demo-token: export KANTAMIG_PIN = demo-0000
demo-token:
	@command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null && command -v xmlsec1 >/dev/null || \
	  { echo "installing softhsm2, opensc and xmlsec1 (the demo signs on a token and checks with xmlsec1)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc xmlsec1 >/dev/null; }
	scripts/token-setup.sh $(DEMO_TOKEN) 1.2.246.10.99999991.10.0 "Kuvitelman hyvinvointialue"

# The main job on the samples: check the mapping; a dry-run that signs every document with the key on
# the demo token and writes its workbook under out/; then the migration itself into an archive package
# under out/package (resumable: run it again and it continues, or does nothing when complete); then
# every signature checked with kantamig verify and a few of each kind with xmlsec1, and the status.
demo: export KANTAMIG_PIN = demo-0000
demo: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
demo: export KANTAMIG_TOKEN_LABEL = kantamig
demo: export KANTAMIG_KEY_LABEL = org-signing
demo: build demo-token
	$(BIN) check -m mappings/sosiaalitoimi-classic.yaml
	rm -rf out/documents out/package out/run.db out/run.db-* out/run-report.*
	$(BIN) dry-run -m mappings/sosiaalitoimi-classic.yaml --report out/dry-run.xlsx --documents out/documents --sign-with-token
	$(BIN) run -m mappings/sosiaalitoimi-classic.yaml --state out/run.db --sink dir:out/package
	$(BIN) verify -m mappings/sosiaalitoimi-classic.yaml --trust-anchor $(DEMO_TOKEN)/ca/ca.pem --organisation 1.2.246.10.99999991.10.0 --quiet out/documents out/package
	@for f in $$(head -n 400 out/package/manifest.jsonl | awk 'NR % 50 == 1' | sed 's/.*"document":"\([^"]*\)".*/\1/'); do \
	  xmlsec1 --verify --pubkey-cert-pem $(DEMO_TOKEN)/org-signing.pem --id-attr:ID urn:hl7-org:v3:nonXMLBody \
	    --id-attr:ID urn:hl7finland:signatureTimestamp out/package/$$f 2>&1 | grep -q '^OK' && echo "xmlsec1 OK $$f" || { echo "xmlsec1 FAILED $$f"; exit 1; }; \
	done
	$(BIN) status --state out/run.db

# The second sample system, Kotihoito Lite (samples/kotihoito): a normalised MariaDB database (on a
# private server under out/mariadb), a spreadsheet of decisions naming clients by identity code and an
# XML export of entries without ids or cases, all in one mapping; dry-run, migration into
# out/kh-package, verify.
demo-kotihoito: export KANTAMIG_DB_PASSWORD = demo-db-0000
demo-kotihoito: export KANTAMIG_KOTIHOITO_DSN = kantamig:demo-db-0000@tcp(127.0.0.1:$(DEMO_DB_PORT))/kotihoito?group_concat_max_len=67108864
demo-kotihoito: export KANTAMIG_PIN = demo-0000
demo-kotihoito: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
demo-kotihoito: export KANTAMIG_TOKEN_LABEL = kantamig
demo-kotihoito: export KANTAMIG_KEY_LABEL = org-signing
demo-kotihoito: build demo-token
	@command -v mariadb-install-db >/dev/null || { echo "installing mariadb-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null; }
	scripts/mariadb-start.sh $(DEMO_DB) $(DEMO_DB_PORT) >/dev/null
	mariadb --no-defaults --socket=$(DEMO_DB)/mysqld.sock -uroot kotihoito < samples/kotihoito/kotihoito.sql
	$(BIN) check -m mappings/kotihoito-lite.yaml
	rm -rf out/kh-package out/kh-run.db out/kh-run.db-* out/kh-run-report.*
	$(BIN) dry-run -m mappings/kotihoito-lite.yaml --report out/kh-dry-run.xlsx --sign-with-token
	$(BIN) run -m mappings/kotihoito-lite.yaml --state out/kh-run.db --sink dir:out/kh-package
	$(BIN) verify out/kh-package
	$(BIN) status --state out/kh-run.db
	scripts/mariadb-stop.sh $(DEMO_DB)

# The third sample system, Asiakasarkisto 2003 (samples/arkisto2003): a database (MariaDB standing in
# for SQL Server) whose notes are RTF and HTML in BLOBs, and a share of PDFs, a Word file and a TIFF
# scan named by its documents table; the scans go as PDF/A, converted with Ghostscript and validated
# with Apache PDFBox Preflight (installed here when missing). Dry-run, migration into out/ark-package,
# verify, and each PDF/A in the package validated again.
PDFA_TOOLS := ghostscript libtiff-tools default-jre-headless libpdfbox2-java libactivation-java libjaxb-api-java poppler-utils
demo-arkisto: export KANTAMIG_DB_PASSWORD = demo-db-0000
demo-arkisto: export KANTAMIG_ARKISTO_DSN = kantamig:demo-db-0000@tcp(127.0.0.1:$(DEMO_DB_PORT))/arkisto2003
demo-arkisto: export KANTAMIG_PIN = demo-0000
demo-arkisto: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
demo-arkisto: export KANTAMIG_TOKEN_LABEL = kantamig
demo-arkisto: export KANTAMIG_KEY_LABEL = org-signing
demo-arkisto: build demo-token
	@command -v mariadb-install-db >/dev/null || { echo "installing mariadb-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null; }
	@command -v gs >/dev/null && command -v tiff2pdf >/dev/null && command -v java >/dev/null && test -f /usr/share/java/preflight.jar && test -f /usr/share/java/jaxb-api.jar || \
	  { echo "installing Ghostscript, tiff2pdf, a Java runtime and Apache PDFBox Preflight (the PDF/A route)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDFA_TOOLS) >/dev/null; }
	scripts/mariadb-start.sh $(DEMO_DB) $(DEMO_DB_PORT) >/dev/null
	mariadb --no-defaults --socket=$(DEMO_DB)/mysqld.sock -uroot arkisto2003 < samples/arkisto2003/arkisto2003.sql
	$(BIN) check -m mappings/asiakasarkisto-2003.yaml
	rm -rf out/ark-package out/ark-documents out/ark-run.db out/ark-run.db-* out/ark-run-report.*
	$(BIN) dry-run -m mappings/asiakasarkisto-2003.yaml --report out/ark-dry-run.xlsx --documents out/ark-documents --sign-with-token
	$(BIN) run -m mappings/asiakasarkisto-2003.yaml --state out/ark-run.db --sink dir:out/ark-package
	$(BIN) verify out/ark-package
	$(BIN) status --state out/ark-run.db
	scripts/mariadb-stop.sh $(DEMO_DB)

# The same job with the legacy database as the source: a private MariaDB server under out/mariadb,
# the sample dump loaded, then the dry-run and the migration from it. The database password is the
# demo's own; real ones come from the environment.
DEMO_DB := out/mariadb
DEMO_DB_PORT ?= 13306
demo-mariadb: export KANTAMIG_DB_PASSWORD = demo-db-0000
demo-mariadb: export KANTAMIG_SOURCE_DSN = kantamig:demo-db-0000@tcp(127.0.0.1:$(DEMO_DB_PORT))/sosiaalitoimi
demo-mariadb: export KANTAMIG_PIN = demo-0000
demo-mariadb: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
demo-mariadb: export KANTAMIG_TOKEN_LABEL = kantamig
demo-mariadb: export KANTAMIG_KEY_LABEL = org-signing
demo-mariadb: build demo-token
	@command -v mariadb-install-db >/dev/null || { echo "installing mariadb-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null; }
	scripts/mariadb-start.sh $(DEMO_DB) $(DEMO_DB_PORT) >/dev/null
	mariadb --no-defaults --socket=$(DEMO_DB)/mysqld.sock -uroot sosiaalitoimi < samples/legacy-db/sosiaalitoimi.sql
	$(BIN) check -m mappings/sosiaalitoimi-classic-mariadb.yaml
	rm -rf out/db-package out/db-run.db out/db-run.db-* out/db-run-report.*
	$(BIN) dry-run -m mappings/sosiaalitoimi-classic-mariadb.yaml --report out/db-dry-run.xlsx --sign-with-token
	$(BIN) run -m mappings/sosiaalitoimi-classic-mariadb.yaml --state out/db-run.db --sink dir:out/db-package
	$(BIN) verify out/db-package
	scripts/mariadb-stop.sh $(DEMO_DB)

# Rows per second read from MariaDB (a generated table of 1,000,000 documents) against the mariadb client.
bench-mariadb:
	$(GO) test -run '^$$' -bench MariaDBExtract -benchtime 1x ./extract/

# The proof of a sharded run on one machine: a private PostgreSQL, 4 worker processes of one run, one
# killed with kill -9 and started again, their packages against a single process's (also in make test).
shard-proof:
	$(GO) test -count=1 -run TestFourShardsMatchOneProcess -v ./cmd/kantamig/

# The Kubernetes manifests (deploy/k8s) against strict schemas of the Kubernetes API, with kubeconform.
k8s-validate:
	$(GO) test -count=1 -v ./deploy/

# Regenerate the committed samples (deterministic).
samples:
	$(GO) run ./samples/gen -out samples/legacy -sql samples/legacy-db/sosiaalitoimi.sql
	$(GO) run ./samples/gen -n 100 -clients 48 -out samples/legacy-small -sql samples/legacy-small/sosiaalitoimi.sql
	$(GO) run ./samples/arkisto2003/gen -out samples/arkisto2003
	$(GO) run ./samples/kotihoito/gen -out samples/kotihoito/paatokset.xlsx

# Benchmarks. First the per-stage benchmarks (extract, map in pipeline, transform, frame, state store, sink,
# signing: go test -bench), then scripts/bench.sh over BENCH_N generated documents: the dry-run, the
# migration to an archive package (with a CPU profile split by stage, tools/stageprof) and to
# archive-sim, each as a ratio to the raw signing rate of the same token measured before and after in
# the same run. Results: out/bench-results.txt.
BENCH_N ?= 100000
STAGE_BENCH_PKGS := ./extract/ ./pipeline/ ./transform/ ./state/... ./load/sink/ ./load/token/
bench: export KANTAMIG_PIN = demo-0000
bench: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
bench: export KANTAMIG_TOKEN_LABEL = kantamig
bench: export KANTAMIG_KEY_LABEL = org-signing
bench: build demo-token
	$(GO) test -run '^$$' -bench . -benchmem -skip MariaDBExtract $(STAGE_BENCH_PKGS)
	BIN=$(BIN) scripts/bench.sh $(BENCH_N) 0 full

# Memory at scale: the migration of about 1,000,000 documents (generator -n 630000, one of them with a
# 1 MB legacy text) to an archive package, with its peak RSS; make bench-1m BENCH_1M_N=63000 for the
# 100,000-document figure to set beside it. Took 26 GB of disk and 35 minutes here (2026-12-05).
BENCH_1M_N ?= 630000
bench-1m: export KANTAMIG_PIN = demo-0000
bench-1m: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
bench-1m: export KANTAMIG_TOKEN_LABEL = kantamig
bench-1m: export KANTAMIG_KEY_LABEL = org-signing
bench-1m: build demo-token
	BIN=$(BIN) scripts/bench.sh $(BENCH_1M_N) 1048576 run

# Memory of kantamig profile: 100,000 and 1,000,000 generated rows, each with its peak RSS.
profile-1m: build
	BIN=$(BIN) scripts/profile-1m.sh

# Scale figures of sharded runs (1, 2, 4 workers on one PostgreSQL) against one process; see README.md,
# "Running on many machines".
BENCH_SHARDS_N ?= 20000
bench-shards: export KANTAMIG_PIN = demo-0000
bench-shards: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
bench-shards: export KANTAMIG_TOKEN_LABEL = kantamig
bench-shards: export KANTAMIG_KEY_LABEL = org-signing
bench-shards: build demo-token
	BIN=$(BIN) scripts/bench-shards.sh $(BENCH_SHARDS_N)

clean:
	rm -rf bin out
