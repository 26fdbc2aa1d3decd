// Package localrun runs the program through the real Pulumi engine (the
// Automation API with an inline program) against the local AWS emulator:
// the Pulumi CLI and the aws plugin test double that emulator/bootstrap.sh
// built, a file backend, and moto patched by emulator/moto/launch.py.
package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	stackcfg "github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/plan"
)

// Env is the bootstrapped toolchain.
type Env struct {
	Repo       string // the repository root (Pulumi.yaml)
	Cache      string // the emulator cache
	PulumiHome string
	Command    auto.PulumiCommand
}

// CacheDir is $EMULATOR_CACHE, else <repo>/.cache/emulator.
func CacheDir(repo string) string {
	if c := os.Getenv("EMULATOR_CACHE"); c != "" {
		return c
	}
	return filepath.Join(repo, ".cache", "emulator")
}

// LoadEnv finds what emulator/bootstrap.sh built for the repository at repo.
func LoadEnv(repo string) (*Env, error) {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	cache, err := filepath.Abs(CacheDir(repo))
	if err != nil {
		return nil, err
	}
	home := filepath.Join(cache, "pulumi-home")
	if _, err := os.Stat(filepath.Join(cache, "bin", "pulumi")); err != nil {
		return nil, fmt.Errorf("no Pulumi CLI in %s: run emulator/bootstrap.sh first", cache)
	}
	if m, _ := filepath.Glob(filepath.Join(home, "plugins", "resource-aws-v*", "pulumi-resource-aws")); len(m) == 0 {
		return nil, fmt.Errorf("no aws plugin in %s: run emulator/bootstrap.sh first", home)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cache})
	if err != nil {
		return nil, fmt.Errorf("pulumi CLI in %s: %w", cache, err)
	}
	return &Env{Repo: repo, Cache: cache, PulumiHome: home, Command: cmd}, nil
}

// StackOptions choose the stack and where its state lives.
type StackOptions struct {
	// Name of the stack; its config is read from Pulumi.<Name>.yaml in the
	// repository unless ConfigFrom names another stack file.
	Name       string
	ConfigFrom string
	// Endpoint is the emulator's URL.
	Endpoint string
	// StateDir holds the file backend; WorkDir the workspace's Pulumi.yaml
	// and stack file (never the repository's own).
	StateDir, WorkDir string
	// Overrides are config values (full keys) set on top, JSON for objects.
	Overrides map[string]string
}

// EmulatorConfig is the aws provider config for the emulator: dummy keys
// and no checks that need a real account. The endpoint itself is not here
// but in EmulatorEnv.
func EmulatorConfig() map[string]string {
	return map[string]string{
		"aws:accessKey":                 "test",
		"aws:secretKey":                 "test",
		"aws:skipCredentialsValidation": "true",
		"aws:skipRequestingAccountId":   "false", // the account id (moto's) keeps group references unprefixed
		"aws:skipMetadataApiCheck":      "true",
		"aws:maxRetries":                strconv.Itoa(EmulatorMaxRetries),
	}
}

// EmulatorMaxRetries is the provider's maxRetries on the emulator: the
// attempts of one API call, connection refused included, with backoff. The
// default, 25, kept `up` going for more than 15 minutes once the emulator
// was gone (TestEmulatorGoneMidUp); with 3 it fails about 10 s after. moto
// on loopback never throttles; its only transient failure in the emulator
// runs' logs is a rare server error (a race in its threaded server: once in
// about 48,000 requests), which the second attempt gets past.
const EmulatorMaxRetries = 3

// EmulatorEnv points every AWS API the provider calls at the emulator, with
// the AWS SDKs' own variable. It replaces the provider's endpoints block,
// whose validation alone costs the Terraform provider about 1.9 s on every
// start (each preview, up, refresh and destroy), against 0.07 s without it.
func EmulatorEnv(endpoint string) map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL": endpoint}
}

// Stack creates or selects the stack, with the repository's project
// settings, the stack file's config, the emulator's provider config and the
// overrides, and the inline program.
func (e *Env) Stack(ctx context.Context, program pulumi.RunFunc, o StackOptions) (auto.Stack, error) {
	project, err := workspace.LoadProject(filepath.Join(e.Repo, "Pulumi.yaml"))
	if err != nil {
		return auto.Stack{}, err
	}
	from := o.ConfigFrom
	if from == "" {
		from = filepath.Join(e.Repo, "Pulumi."+o.Name+".yaml")
	}
	if _, err := os.Stat(from); err != nil {
		return auto.Stack{}, fmt.Errorf("stack config: %w", err)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	settings, err := workspace.LoadProjectStack(sink, project, from)
	if err != nil {
		return auto.Stack{}, err
	}
	// Keep the workspace's passphrase salt across runs, or the state's
	// secrets could no longer be read.
	if prev, err := workspace.LoadProjectStack(sink, project, filepath.Join(o.WorkDir, "Pulumi."+o.Name+".yaml")); err == nil {
		settings.EncryptionSalt = prev.EncryptionSalt
	}
	// The program sees every key it is given, and where each is set, so it
	// can refuse the ones it does not read (an inline program has no
	// PULUMI_CONFIG to list them).
	keys := stackcfg.StackKeys{}
	for k := range settings.Config {
		keys[k.String()] = displayPath(e.Repo, from)
	}
	for k, v := range plan.Merge(EmulatorConfig(), o.Overrides) {
		keys[k] = ""
		key, err := config.ParseKey(k)
		if err != nil {
			return auto.Stack{}, fmt.Errorf("config key %q: %w", k, err)
		}
		if json.Valid([]byte(v)) && (v[0] == '{' || v[0] == '[') {
			settings.Config[key] = config.NewObjectValue(v)
		} else {
			settings.Config[key] = config.NewValue(v)
		}
	}
	for _, d := range []string{o.StateDir, o.WorkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return auto.Stack{}, err
		}
	}
	return auto.UpsertStackInlineSource(ctx, o.Name, project.Name.String(), stackcfg.WithStackKeys(program, keys),
		auto.WorkDir(o.WorkDir),
		auto.Project(*project),
		auto.Stacks(map[string]workspace.ProjectStack{o.Name: *settings}),
		auto.PulumiHome(e.PulumiHome),
		auto.Pulumi(e.Command),
		auto.EnvVars(plan.Merge(EmulatorEnv(o.Endpoint), map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + o.StateDir,
			"PULUMI_CONFIG_PASSPHRASE":                    "local-emulator",
			"PULUMI_SKIP_UPDATE_CHECK":                    "true",
			"PULUMI_PARALLEL":                             "64",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING":        "true",
		})),
	)
}

// displayPath is path relative to the repository when it is inside it.
func displayPath(repo, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(repo, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

// RemoveState forgets the stack's state (for when the emulator was
// restarted and holds none of it).
func (e *Env) RemoveState(o StackOptions) error {
	p := filepath.Join(o.StateDir, ".pulumi")
	if err := os.RemoveAll(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Short is an engine error without the engine's whole output, which the
// Automation API appends after "\ncode:" (it is printed or logged anyway),
// and whether anything was cut.
func Short(err error) (string, bool) {
	s := err.Error()
	if i := strings.Index(s, "\ncode:"); i > 0 {
		return s[:i], true
	}
	return s, false
}
