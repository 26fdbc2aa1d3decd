package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/drift"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/verify"
)

// PulumiVersion is the CLI `drift --account` installs when none is on the
// PATH: the version of the SDK the program is built with, and the one the
// workflows pin.
const PulumiVersion = "3.274.1"

// driftCmd runs `pulumi preview --refresh` on a deployed stack and explains
// what differs: exit 0 when nothing does, 1 on drift, 2 when it cannot tell.
func driftCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack: its config is Pulumi.<stack>.yaml (with --account, the stack's full name, e.g. my-org/internal-alb/prod)")
	account := fs.Bool("account", false, "check the stack where the Pulumi CLI is logged in (a real account), not the local emulator's")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		msg, _ := localrun.Short(err)
		fmt.Fprintf(stderr, "drift: %s\n", msg)
		return 2
	}

	// The verifier's options come from the stack's own file.
	short := (*stack)[strings.LastIndex(*stack, "/")+1:]
	stackFile := fmt.Sprintf("Pulumi.%s.yaml", short)
	cfgMap, err := plan.LoadConfig("Pulumi.yaml", stackFile)
	if err != nil {
		return fail(err)
	}
	cfg, err := config.Load(lookup(cfgMap))
	if err != nil {
		return fail(fmt.Errorf("invalid stack config in %s:\n%w", stackFile, err))
	}

	ctx := context.Background()
	var s auto.Stack
	if *account {
		s, err = accountStack(ctx, *stack)
	} else {
		s, err = deployedLocalStack(ctx, *stack, program)
	}
	if err != nil {
		return fail(err)
	}
	report, err := Drift(ctx, s, VerifyOptions(cfg), stderr)
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		_, _ = stdout.Write(report.JSON())
	} else {
		fmt.Fprint(stdout, report.Text())
		if report.Drifted() {
			repair := "make local"
			if *account {
				repair = "pulumi up --refresh --stack " + *stack
			}
			fmt.Fprintf(stdout, "\nTo set AWS back to the stack: %s\n", repair)
		}
	}
	if report.Drifted() {
		return 1
	}
	return 0
}

// Drift previews the stack with a refresh (changing neither the stack nor
// AWS) and explains every difference; the engine's output goes to progress.
func Drift(ctx context.Context, s auto.Stack, opts verify.Options, progress io.Writer) (drift.Report, error) {
	dep, err := s.Export(ctx)
	if err != nil {
		return drift.Report{}, fmt.Errorf("export the stack: %w", err)
	}
	exported, err := json.Marshal(dep)
	if err != nil {
		return drift.Report{}, err
	}
	ch := make(chan events.EngineEvent)
	collected := make(chan *drift.Events)
	go func() { collected <- drift.Collect(ch) }()
	_, err = s.Preview(ctx, optpreview.Refresh(), optpreview.EventStreams(ch), optpreview.ProgressStreams(progress))
	ev := <-collected
	if err != nil {
		return drift.Report{}, fmt.Errorf("preview --refresh: %w", err)
	}
	return drift.Analyse(exported, ev, opts)
}

// deployedLocalStack is the stack `make local` deployed, on the emulator it
// left running.
func deployedLocalStack(ctx context.Context, stack string, program pulumi.RunFunc) (auto.Stack, error) {
	repo, err := os.Getwd()
	if err != nil {
		return auto.Stack{}, err
	}
	env, err := localrun.LoadEnv(repo)
	if err != nil {
		return auto.Stack{}, err
	}
	none := fmt.Errorf("no local deployment of stack %s: run `make local` first", stack)
	if _, err := os.Stat(LocalExport(env.Cache, stack)); err != nil {
		return auto.Stack{}, none
	}
	server, err := env.EnsureServer(ctx)
	if err != nil {
		return auto.Stack{}, err
	}
	if server.Fresh {
		// A new emulator holds nothing `make local` made.
		_, _ = env.StopServer()
		return auto.Stack{}, errors.Join(none, errors.New("(the emulator it deployed to is no longer running)"))
	}
	return env.Stack(ctx, program, LocalStackOptions(env, stack, server.URL))
}

// LocalStackOptions are where `make local` (and drift, recover) keep the
// stack's state and workspace.
func LocalStackOptions(env *localrun.Env, stack, endpoint string) localrun.StackOptions {
	return localrun.StackOptions{
		Name:     stack,
		Endpoint: endpoint,
		StateDir: filepath.Join(env.Cache, "state"),
		WorkDir:  filepath.Join(env.Cache, "workspace"),
	}
}

// accountStack selects the stack in this repository with the Pulumi CLI on
// the PATH (else PulumiVersion, installed by the Automation API), logged in
// as the environment says (PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL), and
// the AWS credentials of the environment.
func accountStack(ctx context.Context, stack string) (auto.Stack, error) {
	repo, err := os.Getwd()
	if err != nil {
		return auto.Stack{}, err
	}
	cmd, err := auto.NewPulumiCommand(nil)
	if err != nil {
		v := semver.MustParse(PulumiVersion)
		home, herr := os.UserHomeDir()
		if herr != nil {
			return auto.Stack{}, herr
		}
		cmd, err = auto.InstallPulumiCommand(ctx, &auto.PulumiCommandOptions{
			Version: v, Root: filepath.Join(home, ".pulumi", "versions", PulumiVersion)})
		if err != nil {
			return auto.Stack{}, fmt.Errorf("no pulumi on the PATH, and installing %s failed: %w", PulumiVersion, err)
		}
	}
	s, err := auto.SelectStackLocalSource(ctx, stack, repo, auto.Pulumi(cmd))
	if err != nil {
		return auto.Stack{}, fmt.Errorf("select stack %s (is the CLI logged in to its backend?): %w", stack, err)
	}
	return s, nil
}
