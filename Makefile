# kantamig — build, test, demo, bench. Run from the repository root, with ../shared beside it.
SHARED  ?= ../shared
SOSMETA ?= $(SHARED)/sosmeta
GO      ?= go
BIN     := bin/kantamig
export KANTAMIG_SOSMETA := $(abspath $(SOSMETA))
export KANTAMIG_SHARED  := $(abspath $(SHARED))

.PHONY: build test demo demo-token bench samples vet clean

build:
	$(GO) build -o $(BIN) ./cmd/kantamig

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# Unit, golden and end-to-end tests. Integration tests that need xmllint run when it is installed
# (.ci/run installs it) and say that they were skipped otherwise.
test: vet
	$(GO) test -count=1 ./...

# The demo's token is a throwaway SoftHSM2 token under out/token; its PIN is set here for the demo
# only. Real runs take the PIN from the environment or a prompt.
DEMO_TOKEN := out/token
demo-token: export KANTAMIG_PIN = demo-0000
demo-token:
	@command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null && command -v xmlsec1 >/dev/null || \
	  { echo "installing softhsm2, opensc and xmlsec1 (the demo signs on a token and checks with xmlsec1)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc xmlsec1 >/dev/null; }
	scripts/token-setup.sh $(DEMO_TOKEN) 1.2.246.10.99999991.10.0 "Kuvitelman hyvinvointialue"

# The main job on the samples: check the mapping, then a dry-run that signs every document with the
# key on the demo token and writes the workbook under out/, then check every signature, with kantamig
# and (a few per kind) with xmlsec1.
demo: export KANTAMIG_PIN = demo-0000
demo: export SOFTHSM2_CONF = $(abspath $(DEMO_TOKEN))/softhsm2.conf
demo: build demo-token
	$(BIN) check -m mappings/sosiaalitoimi-classic.yaml
	rm -rf out/documents
	$(BIN) dry-run -m mappings/sosiaalitoimi-classic.yaml --report out/dry-run.xlsx --documents out/documents \
	  --sign-with-token --token-label kantamig --key-label org-signing
	$(BIN) verify out/documents | tail -n 1
	@for kind in client-relationship case client-document; do \
	  for f in $$(ls out/documents/$$kind-*.xml | head -n 3); do \
	    xmlsec1 --verify --pubkey-cert-pem $(DEMO_TOKEN)/org-signing.pem --id-attr:ID urn:hl7-org:v3:nonXMLBody \
	      --id-attr:ID urn:hl7finland:signatureTimestamp $$f 2>&1 | grep -q '^OK' && echo "xmlsec1 OK $$f" || { echo "xmlsec1 FAILED $$f"; exit 1; }; \
	  done; done

# Regenerate the committed samples (deterministic).
samples:
	$(GO) run ./samples/gen -out samples/legacy

# Benchmarks: transform throughput in-process, and the dry-run end to end over 100,000 generated documents.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./transform/ ./load/token/
	$(GO) run ./samples/gen -n 100000 -out out/bench-samples
	sed 's#\.\./samples/legacy/#bench-samples/#' mappings/sosiaalitoimi-classic.yaml > out/bench-mapping.yaml
	/usr/bin/time -v $(BIN) dry-run -m out/bench-mapping.yaml --report out/bench-dry-run.xlsx 2>&1 | grep -E 'extracted|Elapsed|Maximum resident'

clean:
	rm -rf bin out
