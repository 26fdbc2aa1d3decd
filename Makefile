# One way to do each thing; the README and .ci/run call these targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
TOOLS := $(GO) tool -modfile=tools/go.mod

.PHONY: test unit lint

## test: everything CI runs: lint, then the unit tests.
test: lint unit

## unit: the program's unit tests under Pulumi mocks (no cloud, no engine).
unit:
	$(GO) test ./...

## lint: formatting, go vet, and the GitHub workflows.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS) actionlint .github/workflows/*.yml
