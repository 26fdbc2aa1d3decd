//go:build integration

// The emulator run: the real Pulumi engine, the Terraform AWS provider's code
// (through the aws plugin test double) and moto. Run by `make integration`
// (part of `make test`) after emulator/bootstrap.sh.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/verify"
)

// scenarios are the stacks the emulator run deploys with every consumer
// created in the stack's account: both connectivity modes (accountScenarios
// are the others).
var scenarios = []scenario{
	{name: "peering", dayTwo: []func(*testing.T, *deployment){checkStopStart, checkDrift, checkOrphans},
		upKilled: interruption{syscall.SIGKILL, "alb"}, destroyKilled: interruption{syscall.SIGINT, "early"}},
	// The Transit Gateway stack also takes the other admin access mode
	// (peering-accounts takes the key pair), so each option is deployed once.
	{name: "transitGateway", overrides: map[string]string{"internal-alb:connectivity": "transitGateway",
		"internal-alb:adminAccess": "instanceConnectEndpoint", "internal-alb:adminCidrs": "[]"},
		dayTwo:   []func(*testing.T, *deployment){checkDrift},
		upKilled: interruption{syscall.SIGTERM, "zone-associations"}, destroyKilled: interruption{syscall.SIGKILL, "alb"}},
}

type scenario struct {
	name      string
	overrides map[string]string
	// dayTwo are the checks made on the deployed stack after the mission's,
	// in order; each leaves the stack as it found it.
	dayTwo []func(*testing.T, *deployment)
	// After the timed destroy, `up` again, interrupted by upKilled, and
	// recovered; then `destroy`, interrupted by destroyKilled, and
	// recovered. Between them, each signal and each point once.
	upKilled, destroyKilled interruption
}

// interruption is a signal to the Pulumi CLI at a point of its run (see
// interruptRun).
type interruption struct {
	sig syscall.Signal
	at  string
}

// figures collects each scenario's timings for the tables `make figures`
// prints: the deployment's, and day two's.
var figures = struct {
	sync.Mutex
	rows, dayTwo []string
}{}

// figure records one day-two timing of a scenario.
func figure(scenario, what string, seconds float64) {
	figures.Lock()
	defer figures.Unlock()
	figures.dayTwo = append(figures.dayTwo, fmt.Sprintf("| %s | %s | %.1f |", scenario, what, seconds))
}

// dayTwoTable is the day-two figures as a table.
func dayTwoTable() string {
	if len(figures.dayTwo) == 0 {
		return ""
	}
	rows := slices.Clone(figures.dayTwo)
	sort.Strings(rows)
	return "\n| stack | day two | s |\n|---|---|---|\n" + strings.Join(rows, "\n") + "\n"
}

func TestEmulator(t *testing.T) {
	t.Parallel()
	env, err := localrun.LoadEnv(".")
	require.NoError(t, err)
	logDir := filepath.Join(env.Cache, "logs")
	require.NoError(t, os.MkdirAll(logDir, 0o755))

	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, env, logDir, sc)
		})
	}
	for _, sc := range accountScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runAccountScenario(t, env, logDir, sc)
		})
	}
	t.Run("invalid config creates nothing", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		moto, err := localrun.StartMoto(ctx, env.Repo, filepath.Join(logDir, "it-invalid-moto.log"), false)
		require.NoError(t, err)
		defer moto.Stop()
		// A stack file with a typo of a key: the CLI lets any key of the
		// project's namespace through, and the program refuses it.
		dev, err := os.ReadFile("Pulumi.dev.yaml")
		require.NoError(t, err)
		typo := filepath.Join(t.TempDir(), "Pulumi.it-typo.yaml")
		require.NoError(t, os.WriteFile(typo, append(dev, "  internal-alb:natMod: single\n"...), 0o644))
		for _, c := range []struct {
			stack, configFrom string
			overrides         map[string]string
			want              string
		}{
			{"it-invalid", "", map[string]string{"internal-alb:azCount": "1"}, "internal-alb:azCount: 1 is fewer than 2"},
			{"it-typo", typo, nil, "internal-alb:natMod (set in " + typo + ") is not a key this program reads; did you mean internal-alb:natMode?"},
			// (the engine hands the program the value with its keys sorted)
			{"it-wrong-type", "", map[string]string{"internal-alb:serviceVpc": `[{"name":"foo","cidr":"10.2.0.0/16"}]`},
				`internal-alb:serviceVpc: "[{\"cidr\":\"10.2.0.0/16\",\"name\":\"foo\"}]" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}`},
			// A key Pulumi.yaml types is the CLI's to refuse, before the program runs.
			{"it-wrong-type-cli", "", map[string]string{"internal-alb:azCount": "two"}, "configuration key 'azCount' must be of type 'integer'"},
		} {
			opts := stackOptions(t, c.stack, moto.URL, c.overrides)
			if c.configFrom != "" {
				opts.ConfigFrom = c.configFrom
			}
			s, err := env.Stack(ctx, program, opts)
			require.NoError(t, err)
			_, err = s.Up(ctx, optup.ProgressStreams(logFile(t, logDir, c.stack)))
			if assert.Error(t, err, c.stack) {
				assert.Contains(t, err.Error(), c.want, c.stack)
			}
		}
		left, err := awscheck.New(moto.URL, region(t)).Leftovers(ctx)
		require.NoError(t, err)
		assert.Empty(t, left, "the emulator holds nothing after a refused config")
	})
	t.Cleanup(func() {
		figures.Lock()
		defer figures.Unlock()
		if len(figures.rows) == 0 {
			return
		}
		table := "| stack | resources created (of them AWS) | up (s) | no-change preview (s) | destroy (s) | slowest resource (s) | up / slowest |\n|---|---|---|---|---|---|---|\n" +
			strings.Join(figures.rows, "\n") + "\n" + dayTwoTable()
		// The figures are taken with the scenarios one at a time (make
		// figures); run at once, they slow each other down.
		if p := flag.Lookup("test.parallel"); p != nil && p.Value.String() != "1" {
			t.Logf("timings with the scenarios running at once, each slowing the others (make figures runs them one at a time):\n%s", table)
			return
		}
		_ = os.WriteFile(filepath.Join(env.Cache, "figures.md"), []byte(table), 0o644)
		t.Logf("emulator figures (also in %s):\n%s", filepath.Join(env.Cache, "figures.md"), table)
	})
}

// deployment is one scenario's stack on its own moto: what the checks made
// on a deployed stack (the mission, the twin, day two) share, so one `up`
// serves them all.
type deployment struct {
	ctx       context.Context
	name      string // the scenario
	env       *localrun.Env
	opts      localrun.StackOptions
	stack     auto.Stack
	moto      *localrun.Moto
	clients   *awscheck.Clients // the AWS SDK v2 on the emulator
	cfg       config.Config
	overrides map[string]string
	log       *os.File // the engine's output
}

// newDeployment starts the scenario's moto and selects its stack; nothing
// is deployed yet. moto stops when the test ends.
func newDeployment(t *testing.T, env *localrun.Env, logDir, name string, overrides map[string]string) *deployment {
	t.Helper()
	ctx := context.Background()
	moto, err := localrun.StartMoto(ctx, env.Repo, filepath.Join(logDir, "it-"+name+"-moto.log"), false)
	require.NoError(t, err)
	t.Cleanup(moto.Stop)
	opts := stackOptions(t, "it-"+name, moto.URL, overrides)
	s, err := env.Stack(ctx, program, opts)
	require.NoError(t, err)
	return &deployment{
		ctx: ctx, name: name, env: env, opts: opts, stack: s, moto: moto,
		clients: awscheck.New(moto.URL, region(t)), cfg: loadConfig(t, overrides),
		overrides: overrides, log: logFile(t, logDir, "it-"+name),
	}
}

// must fails the test when an engine step failed, with the error's first
// line and where the engine's output is.
func (d *deployment) must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v\n(engine output in %s)", step, firstLine(err), d.log.Name())
	}
}

func runScenario(t *testing.T, env *localrun.Env, logDir string, sc scenario) {
	name := sc.name
	d := newDeployment(t, env, logDir, name, sc.overrides)
	ctx, s, log, fail := d.ctx, d.stack, d.log, func(step string, err error) { t.Helper(); d.must(t, step, err) }

	// 1. up
	timing := localrun.NewTiming()
	res, err := s.Up(ctx, optup.ProgressStreams(log), optup.EventStreams(timing.Events))
	upTook := timing.Since()
	timing.Wait()
	fail("up", err)
	timeline := filepath.Join(logDir, "it-"+name+"-up-timeline.txt")
	require.NoError(t, os.WriteFile(timeline, []byte(timing.Report(upTook)), 0o644))
	assert.NotEmpty(t, res.Outputs["albDnsName"].Value)
	// The twin's graph is the state as up left it: a refresh keeps the
	// Lambda function's code archive by its hash alone, without the files
	// the twin runs (the twin says so when given such a state).
	upState, err := s.Export(ctx)
	require.NoError(t, err)

	// 2. a second preview changes nothing
	start := time.Now()
	_, err = s.Preview(ctx, optpreview.ProgressStreams(log), optpreview.ExpectNoChanges())
	previewTook := time.Since(start)
	fail("second preview (expect no changes)", err)

	// 3. refresh finds nothing changed
	_, err = s.Refresh(ctx, optrefresh.ProgressStreams(log), optrefresh.ExpectNoChanges())
	fail("refresh (expect no changes)", err)

	// 4. independent checks through the AWS API
	cfg, clients := d.cfg, d.clients
	for _, e := range clients.Mission(ctx, expectFrom(cfg)) {
		t.Error(e)
	}
	sec := awscheck.Secure{Logs: cfg.Logs, AdminAccess: string(cfg.AdminAccess), KeyPair: cfg.SshPublicKey != ""}
	for _, e := range clients.SecureDefaults(ctx, expectFrom(cfg), sec) {
		t.Error(e)
	}

	// …and the verifier on the deployed state
	dep, err := s.Export(ctx)
	require.NoError(t, err)
	state, err := json.Marshal(dep)
	require.NoError(t, err)
	g, err := verify.ParseStateExport(state)
	require.NoError(t, err)
	if r := verify.Check(g, devtools.VerifyOptions(cfg)); !r.OK() {
		t.Errorf("verifier on the deployed state:\n%s", r.Text())
	}

	// …and the twin of the state up left: the seed's commands, really run.
	upJSON, err := json.Marshal(upState)
	require.NoError(t, err)
	upGraph, err := verify.ParseStateExport(upJSON)
	require.NoError(t, err)
	results, health := runTwin(t, upGraph)
	if f := failures(results); f != "" {
		t.Errorf("twin of the deployed state:\n%s", f)
	}
	assert.Len(t, health, cfg.WebCount, "every web server logged the ALB's health checks")

	// …and day two on the same deployment.
	for _, check := range sc.dayTwo {
		check(t, d)
	}

	// 5. destroy leaves nothing the program created
	start = time.Now()
	_, err = s.Destroy(ctx, optdestroy.ProgressStreams(log))
	destroyTook := time.Since(start)
	fail("destroy", err)
	left, err := clients.Leftovers(ctx)
	require.NoError(t, err)
	assert.Empty(t, left, "destroy leaves nothing")

	// 6. up again, interrupted, and recovered: the stack converges, no
	// resource twice, no orphan; then destroy, interrupted, and recovered:
	// nothing left.
	interruptRun(t, d, "up", sc.upKilled.sig, sc.upKilled.at)
	interruptRun(t, d, "destroy", sc.destroyKilled.sig, sc.destroyKilled.at)

	slowest, ok := timing.Slowest()
	require.True(t, ok, "up created AWS resources")
	created := 0
	if c := res.Summary.ResourceChanges; c != nil {
		created = (*c)["create"]
	}
	figures.Lock()
	figures.rows = append(figures.rows, fmt.Sprintf("| %s | %d (%d AWS) | %.1f | %.1f | %.1f | %.1f (%s %s) | %.2f |",
		name, created, timing.Steps(), upTook.Seconds(), previewTook.Seconds(), destroyTook.Seconds(),
		slowest.Took().Seconds(), slowest.Type, slowest.Name(), upTook.Seconds()/slowest.Took().Seconds()))
	figures.Unlock()
}

func stackOptions(t *testing.T, name, endpoint string, overrides map[string]string) localrun.StackOptions {
	return localrun.StackOptions{
		Name:       name,
		ConfigFrom: "Pulumi.dev.yaml",
		Endpoint:   endpoint,
		StateDir:   t.TempDir(),
		WorkDir:    t.TempDir(),
		Overrides:  overrides,
	}
}

func logFile(t *testing.T, dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name+".log"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func region(t *testing.T) string { return devConfig(t)["aws:region"] }

func loadConfig(t *testing.T, overrides map[string]string) config.Config {
	m := merge(devConfig(t), overrides)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := m[config.Key(k)]; return v, ok })
	require.NoError(t, err)
	return cfg
}

func expectFrom(cfg config.Config) awscheck.Expect {
	e := awscheck.Expect{
		Service:      awscheck.Vpc{Name: cfg.ServiceVpc.Name, Cidr: cfg.ServiceVpc.Cidr},
		Connectivity: string(cfg.Connectivity),
		ZoneName:     cfg.ZoneName,
		RecordFqdn:   cfg.RecordFqdn(),
		FunctionName: cfg.LambdaName,
		TargetPort:   8080,
	}
	for _, v := range cfg.ConsumerVpcs {
		e.Consumers = append(e.Consumers, awscheck.Vpc{Name: v.Name, Cidr: v.Cidr})
	}
	return e
}

// firstLine keeps an engine error short: the full output is in the log.
func firstLine(err error) string {
	s, _ := localrun.Short(err)
	return s
}

// up deploys the stack and fails the test if it does not succeed.
func (d *deployment) up(t *testing.T) auto.UpResult {
	t.Helper()
	res, err := d.stack.Up(d.ctx, optup.ProgressStreams(d.log))
	d.must(t, "up", err)
	return res
}
