# One way to do each thing; the README and .ci/run call these targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
TOOLS := $(GO) tool -modfile=tools/go.mod
# The program built with its developer commands (verify, local).
DEVTOOLS := $(GO) run -tags devtools .
STACK ?= dev

.PHONY: test unit lint verify bench picture

## test: everything CI runs: lint, unit tests, and the verifier on the plan.
test: lint unit verify

## unit: the unit tests: the program under Pulumi mocks, the verifier.
unit:
	$(GO) test ./...

## lint: formatting, go vet (also of the devtools build), and the GitHub workflows.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags devtools .
	$(TOOLS) actionlint .github/workflows/*.yml

## verify: prove the paths, check the rules and estimate the cost of the
## plan of STACK (default dev), or of a deployed state with STATE=export.json;
## JSON=1 for JSON. Draws .cache/verify/topology.{svg,png} when Graphviz is there.
verify:
	@out=; if command -v dot >/dev/null; then out="--out .cache/verify"; \
	else echo "verify: no Graphviz 'dot' on the PATH: no picture (apt-get install graphviz)" >&2; fi; \
	$(DEVTOOLS) verify --stack $(STACK) $(if $(STATE),--state $(STATE)) $(if $(JSON),--json) $$out

## picture: redraw docs/topology.{svg,png} (the README's picture) from the dev plan.
picture:
	$(DEVTOOLS) verify --stack dev --out docs >/dev/null
	rm -f docs/topology.dot

## bench: the plan check's speed (program under mocks + verifier), and the verifier alone.
bench:
	$(GO) test -run '^$$' -bench . -benchmem . ./verify
