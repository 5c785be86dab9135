# kantamig — build, test, demo, bench. Run from the repository root, with ../shared beside it.
SHARED  ?= ../shared
SOSMETA ?= $(SHARED)/sosmeta
GO      ?= go
BIN     := bin/kantamig
export KANTAMIG_SOSMETA := $(abspath $(SOSMETA))
export KANTAMIG_SHARED  := $(abspath $(SHARED))

.PHONY: build test demo bench samples vet clean

build:
	$(GO) build -o $(BIN) ./cmd/kantamig

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# Unit, golden and end-to-end tests. Integration tests that need xmllint run when it is installed
# (.ci/run installs it) and say that they were skipped otherwise.
test: vet
	$(GO) test -count=1 ./...

# The main job on the samples: check the mapping, then a dry-run that writes its workbook under out/.
demo: build
	$(BIN) check -m mappings/sosiaalitoimi-classic.yaml
	$(BIN) dry-run -m mappings/sosiaalitoimi-classic.yaml --report out/dry-run.xlsx --documents out/documents

# Regenerate the committed samples (deterministic).
samples:
	$(GO) run ./samples/gen -out samples/legacy

# Benchmarks: transform throughput in-process, and the dry-run end to end over 100,000 generated documents.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./transform/ ./pipeline/
	$(GO) run ./samples/gen -n 100000 -out out/bench-samples
	sed 's#\.\./samples/legacy/#bench-samples/#' mappings/sosiaalitoimi-classic.yaml > out/bench-mapping.yaml
	/usr/bin/time -v $(BIN) dry-run -m out/bench-mapping.yaml --report out/bench-dry-run.xlsx 2>&1 | grep -E 'extracted|Elapsed|Maximum resident'

clean:
	rm -rf bin out
