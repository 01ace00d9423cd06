# The two commands a new machine needs: `make demo` and `make test`.
SWIFT ?= swift
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE_BIN = .build/release/pullwatch

.PHONY: all deps build release demo test bench accuracy fuzz samples clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	$(SWIFT) build -j $(JOBS)

release: deps
	$(SWIFT) build -c release -j $(JOBS)

## Runs the main job (scan) on the shipped samples.
demo: release
	$(RELEASE_BIN) scan samples/

## The whole test suite.
test: deps
	@scripts/install-deps.sh test
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build
	.build/debug/pullwatch rules test
	python3 scripts/check-report-schema.py
	scripts/test-follow.sh
	scripts/test-follow-journal.sh
	scripts/test-serve.sh
	scripts/test-serve-tls.sh
	scripts/test-one-report.sh

## Ingest throughput against pigz -dc on a generated ~200 MB log (see benchmarks/README.md).
bench: release
	@scripts/install-deps.sh bench
	benchmarks/bench.sh

## Rule accuracy on the labelled corpus, dev and test splits (benchmarks/accuracy/README.md).
accuracy: build
	python3 benchmarks/accuracy/evaluate.py --binary .build/debug/pullwatch --check

## libFuzzer over the read path and the rule path, FUZZ_SECONDS each (default 300).
fuzz: deps
	@scripts/install-deps.sh fuzz
	Fuzz/run.sh $(or $(FUZZ_SECONDS),300)

## Regenerates samples/ (deterministic).
samples:
	python3 benchmarks/generate.py samples samples/

clean:
	rm -rf .build .build-fuzz
