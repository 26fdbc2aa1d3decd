# One way to do each thing; the README and .ci/run call these targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go
TOOLS := $(GO) tool -modfile=tools/go.mod
# The program built with its developer commands (verify, local).
DEVTOOLS := $(GO) run -tags devtools .
STACK ?= dev
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 5s

.PHONY: drift test unit lint verify bench picture golden emulator integration figures local local-preview local-destroy local-stop local-recover orphans twin

## test: everything CI runs: lint, unit tests, a short fuzzing, the verifier
## on the plan, and the emulator run.
test: lint unit fuzz verify integration

## unit: the unit tests: the program under Pulumi mocks, the verifier, and
## the twin (as root: its packages, the seed's transcript on the plan, the
## differential against the verifier).
unit:
	$(GO) test ./...

## fuzz: Go's native fuzzing of the loaders of outside input, the stack
## config (internal/config) and the state export (verify), FUZZTIME each
## (default 5s; make fuzz FUZZTIME=5m for longer). go test fuzzes one
## target per run. A crasher lands in the package's testdata/fuzz: fix the
## code and commit the file, which every `go test` then runs as a seed.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParseStateExport$$' -fuzztime $(FUZZTIME) ./verify

## lint: formatting, go vet (also of the devtools and integration builds and
## of the plugin double), and the GitHub workflows.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags devtools .
	$(GO) vet -tags integration .
	cd emulator/plugin && $(GO) vet ./...
	$(TOOLS) actionlint .github/workflows/*.yml

## verify: prove the paths, check the rules and estimate the cost of the
## plan of STACK (default dev), or of a deployed state with STATE=export.json;
## JSON=1 for JSON. Draws .cache/verify/topology.{svg,png} when Graphviz is there.
verify:
	@out=; if command -v dot >/dev/null; then out="--out .cache/verify"; \
	else echo "verify: no Graphviz 'dot' on the PATH: no picture (apt-get install graphviz)" >&2; fi; \
	$(DEVTOOLS) verify --stack $(STACK) $(if $(STATE),--state $(STATE)) $(if $(JSON),--json) $$out

## twin: build the data-plane twin of the state `make local` left (else the
## plan of STACK, or STATE=export.json) in network namespaces, run the seed's
## commands and the forbidden probes on its instances, and tear it down. As
## root. HEALTH_INTERVAL=2s shortens the target group's health-check
## interval (demos and tests only). `go run -tags devtools . twin exec
## <instance> -- <command>` runs one command there, `twin shell <instance>` a shell.
twin:
	$(DEVTOOLS) twin --stack $(STACK) $(if $(STATE),--state $(STATE)) $(if $(HEALTH_INTERVAL),--health-interval $(HEALTH_INTERVAL))

## picture: redraw docs/topology.{svg,png} (the README's picture) from the dev plan.
picture:
	$(DEVTOOLS) verify --stack dev --out docs >/dev/null
	rm -f docs/topology.dot

## golden: rewrite the golden plans the verifier's and the twin's tests read
## (verify/fixture/testdata/plan-*.json) from the program; commit them with
## the change that moved them (TestGoldenPlans fails until then).
golden:
	$(GO) test -count=1 -run TestGoldenPlans . -update

## bench: the plan check's speed (program under mocks + verifier), and the verifier alone.
bench:
	$(GO) test -run '^$$' -bench . -benchmem . ./verify

## emulator: build (once, then from the cache) the Pulumi CLI and the aws plugin
## double the local runs use.
emulator:
	emulator/bootstrap.sh

## local: deploy the dev stack (Pulumi.dev.yaml) to the local AWS emulator and
## print its outputs. LOCAL_AWS_ENDPOINT=http://… uses that emulator as it is.
local: emulator
	$(DEVTOOLS) local up --stack $(STACK)

local-preview: emulator
	$(DEVTOOLS) local preview --stack $(STACK)

local-destroy: emulator
	$(DEVTOOLS) local destroy --stack $(STACK)

## drift: is the stack `make local` deployed still what the program says?
## `pulumi preview --refresh`, then each resource that differs: what
## changed, which required path it breaks, what `make local` does about it.
## Exit 1 on drift. (A real account: `go run -tags devtools . drift
## --account --stack <org>/internal-alb/<stack>`; .github/workflows/drift.yml.)
drift: emulator
	$(DEVTOOLS) drift --stack $(STACK)

## orphans: list what carries STACK's tags but is not in its state (the
## local emulator's; AWS=1 STATE=export.json: the account's); DELETE=1
## deletes it after confirmation (YES=1 without asking).
orphans:
	$(DEVTOOLS) orphans --stack $(STACK) $(if $(STATE),--state $(STATE)) $(if $(AWS),--aws) $(if $(DELETE),--delete) $(if $(YES),--yes)

## local-recover: after an interrupted `make local`: clear a stale lock,
## put what was being created into the state (or forget it when AWS has
## none), refresh, up, and list the orphans; DESTROY=1 after an interrupted
## `make local-destroy` finishes the destroy instead.
local-recover: emulator
	$(DEVTOOLS) local recover --stack $(STACK) $(if $(DESTROY),--destroy)

## local-stop: stop the background emulator `make local` started (its state goes with it).
local-stop: emulator
	$(DEVTOOLS) local stop

## integration: the aws plugin double's own tests (its mapping against the
## pulumi-aws SDK), each moto patch (several accounts too), then the emulator
## run: up, no-change preview and refresh, checks through the AWS API and the
## verifier on the deployed state, the twin, day two (stop/start, drift,
## orphans), destroy, up and destroy again, each interrupted and recovered,
## for both connectivity modes; consumers in other accounts and existing
## VPCs, checked from each account, unchanged after destroy, then up again;
## refused configs that create nothing; the emulator killed mid-up.
## -parallel 8: all of it at once (go test's default, one test per CPU,
## queued stacks that mostly wait on the provider's timers).
integration: emulator
	cd emulator/plugin && $(GO) test ./...
	$(GO) test -tags integration -run '^(TestMotoPatches|TestMotoCrossAccount|TestEmulator|TestEmulatorGoneMidUp)$$' -parallel 8 -count=1 -timeout 40m -v . 2>&1 | grep -v '^=== \(PAUSE\|CONT\)'

## figures: the emulator run's timings: the scenarios one at a time (no
## contention between them), then the table; 1 against 10 Transit Gateway
## consumers; then the twin's: up, first 200 and teardown (dev and 3
## consumers), and the differential suite's time.
figures: emulator
	$(GO) test -tags integration -run '^TestEmulator$$' -parallel 1 -count=1 -timeout 60m .
	@cat .cache/emulator/figures.md
	$(GO) test -tags integration -run '^TestEmulatorScale$$' -count=1 -timeout 30m .
	@cat .cache/emulator/figures-scale.md
	$(GO) test -run '^$$' -bench '^BenchmarkTwin$$' -benchtime 1x -count=1 .
	@start=$$SECONDS; $(GO) test -run '^TestTwinAgreesWithTheVerifier$$' -count=1 . >/dev/null; \
	echo "twin differential suite (every mutation, the twin against the verifier): $$((SECONDS - start)) s"
