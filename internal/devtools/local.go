package devtools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/localrun"
)

func localCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	ops := []string{"up", "preview", "refresh", "destroy", "stop"}
	if len(args) == 0 || !slices.Contains(ops, args[0]) {
		fmt.Fprintf(stderr, "local: want one of %v\n", ops)
		return 2
	}
	op := args[0]
	fs := flag.NewFlagSet("local "+op, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose config (Pulumi.<stack>.yaml) is deployed")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var server *localrun.Server // set once the emulator is known
	stateDir := ""
	fail := func(err error) int {
		fmt.Fprint(stderr, LocalFailure(op, *stack, stateDir, err, server, localrun.Alive))
		return 1
	}

	repo, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	env, err := localrun.LoadEnv(repo)
	if err != nil {
		return fail(err)
	}
	if op == "stop" {
		stopped, err := env.StopServer()
		if err != nil {
			return fail(err)
		}
		if stopped {
			fmt.Fprintln(stdout, "local: the emulator is stopped; its state is gone with it")
		}
		_ = os.RemoveAll(filepath.Join(env.Cache, "state"))
		return 0
	}

	ctx := context.Background()
	server, err = env.EnsureServer(ctx)
	if err != nil {
		return fail(err)
	}
	opts := LocalStackOptions(env, *stack, server.URL)
	stateDir = opts.StateDir
	if server.Fresh {
		// A new emulator holds nothing: state from an earlier one would
		// describe resources that no longer exist.
		if err := env.RemoveState(opts); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "local: started the emulator at %s\n", server.URL)
	} else {
		fmt.Fprintf(stdout, "local: using the emulator at %s\n", server.URL)
	}

	s, err := env.Stack(ctx, program, opts)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	switch op {
	case "up":
		res, err := s.Up(ctx, optup.Refresh(), optup.ProgressStreams(stdout), optup.ErrorProgressStreams(stderr))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "\nlocal up: done in %s\n\nOutputs:\n", time.Since(start).Round(time.Second))
		printOutputs(stdout, res.Outputs)
		if err := writeExport(ctx, s, LocalExport(env.Cache, *stack)); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "\nexport: %s (make twin and STATE=… make verify read it)\n", LocalExport(env.Cache, *stack))
	case "preview":
		if _, err := s.Preview(ctx, optpreview.ProgressStreams(stdout), optpreview.ErrorProgressStreams(stderr)); err != nil {
			return fail(err)
		}
	case "refresh":
		if _, err := s.Refresh(ctx, optrefresh.ProgressStreams(stdout), optrefresh.ErrorProgressStreams(stderr)); err != nil {
			return fail(err)
		}
	case "destroy":
		if _, err := s.Destroy(ctx, optdestroy.ProgressStreams(stdout), optdestroy.ErrorProgressStreams(stderr)); err != nil {
			return fail(err)
		}
		_ = os.Remove(LocalExport(env.Cache, *stack))
	}
	fmt.Fprintf(stdout, "\nstate: %s (stack %s)\n", opts.StateDir, *stack)
	if server.LogFile != "" {
		fmt.Fprintf(stdout, "emulator: %s, log %s (make local-stop ends it)\n", server.URL, server.LogFile)
	}
	return 0
}

// LocalFailure is what `local <op>` prints when it fails: the engine's
// error without the engine's output (printed above it already), and, when
// the emulator no longer answers at server.URL, that it went away, that the
// state in stateDir may describe resources that no longer exist, and what
// to run next. alive is localrun.Alive but for tests.
func LocalFailure(op, stack, stateDir string, err error, server *localrun.Server, alive func(url string) bool) string {
	msg, cut := localrun.Short(err)
	if cut {
		msg += " (the engine's output is above)" // auto repeats all of it
	}
	out := fmt.Sprintf("local %s: %s\n", op, msg)
	if server == nil || server.URL == "" || alive(server.URL) {
		return out
	}
	mk := func(target string) string {
		if stack != "dev" {
			return fmt.Sprintf("make %s STACK=%s", target, stack)
		}
		return "make " + target
	}
	state := "The state"
	if stateDir != "" {
		state = fmt.Sprintf("The state in %s", stateDir)
	}
	state += fmt.Sprintf(" (stack %s) may now describe resources that no longer exist: the emulator kept them in memory only, and resources it was creating may be missing from it.", stack)
	if server.LogFile == "" { // LOCAL_AWS_ENDPOINT: not ours to restart
		return out + fmt.Sprintf("local %s: the emulator at %s (LOCAL_AWS_ENDPOINT) went away.\n  %s\n"+
			"  Next: start that emulator again, run %s to forget the state (it stops nothing it did not start),\n"+
			"  then LOCAL_AWS_ENDPOINT=%s %s to deploy again.\n",
			op, server.URL, state, mk("local-stop"), server.URL, mk("local"))
	}
	next := fmt.Sprintf("%s: it starts a new emulator, forgets the old state and deploys the stack again (%s only forgets).", mk("local"), mk("local-stop"))
	if op == "destroy" {
		next = fmt.Sprintf("%s: the resources went with the emulator; it forgets the state (%s deploys anew).", mk("local-stop"), mk("local"))
	}
	return out + fmt.Sprintf("local %s: the emulator at %s went away (its log: %s).\n  %s\n  Next: %s\n",
		op, server.URL, server.LogFile, state, next)
}

// printOutputs prints the stack outputs, the ALB's DNS name first.
func printOutputs(w io.Writer, outs auto.OutputMap) {
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "albDnsName") != (keys[j] == "albDnsName") {
			return keys[i] == "albDnsName"
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		v := outs[k].Value
		if outs[k].Secret {
			v = "[secret]"
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.MarshalIndent(v, "    ", "  ")
			s = string(b)
		}
		fmt.Fprintf(w, "    %-24s %s\n", k, s)
	}
}

// writeExport leaves a `pulumi stack export` of the stack at path.
func writeExport(ctx context.Context, s auto.Stack, path string) error {
	dep, err := s.Export(ctx)
	if err != nil {
		return fmt.Errorf("export the stack: %w", err)
	}
	b, err := json.MarshalIndent(dep, "", "  ")
	if err != nil {
		return fmt.Errorf("export the stack: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("export the stack: %w", err)
	}
	return nil
}
