package devtools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/twin"
	"github.com/internal-alb/internal-alb/verify"
)

// Exit codes of the twin command besides 0 (all probes as expected).
const (
	twinProbesFailed = 1 // a required probe failed or a forbidden one succeeded
	twinBadInput     = 2 // usage, or a graph the twin cannot build
	twinNoNamespaces = 3 // not root, or no network namespaces here: nothing was created
	twinInterrupted  = 130
)

// twinCmd builds the twin of a graph and runs the probes, or runs one
// command (exec) or a shell on one of its instances.
func twinCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	sub := "probes"
	if len(args) > 0 && (args[0] == "exec" || args[0] == "shell") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("twin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose plan is used when there is no state")
	state := fs.String("state", "", "a 'pulumi stack export' file (default: the state 'make local' left, else the plan)")
	interval := fs.Duration("health-interval", 0, "replace the target groups' health-check interval (tests and demos only)")
	if err := fs.Parse(args); err != nil {
		return twinBadInput
	}
	rest := fs.Args()
	if sub != "probes" && len(rest) == 0 {
		fmt.Fprintf(stderr, "twin %s: name an instance (its Name tag, id or private address) or an output key such as clientPrivateIps\n", sub)
		return twinBadInput
	}
	if code := twinPreflight(stderr); code != 0 {
		return code
	}
	g, from, err := twinGraph(program, *stack, *state)
	if err != nil {
		fmt.Fprintln(stderr, "twin:", err)
		return twinBadInput
	}
	// Ctrl-C, a CI runner's SIGTERM, a closed terminal: all tear down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	start := time.Now()
	// exec and shell keep stdout for the command's own output.
	var logw io.Writer = stdout
	if sub != "probes" {
		logw = stderr
	}
	fmt.Fprintf(logw, "twin: building the data plane of %s (%d resources)\n", from, len(g))
	t, err := twin.Up(ctx, g, twin.Options{HealthInterval: *interval, Log: logw})
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, twin.ErrNotRoot) {
			return twinNoNamespaces
		}
		if ctx.Err() != nil {
			return twinInterrupted
		}
		return twinBadInput
	}
	code := 0
	defer func() {
		tstart := time.Now()
		if err := t.Close(); err != nil {
			fmt.Fprintln(stderr, "twin: teardown:", err)
		}
		left := twinLeft(t.Run)
		fmt.Fprintf(logw, "twin: torn down in %.2f s; namespaces of run %s left: %s\n", time.Since(tstart).Seconds(), t.Run, left)
	}()
	fmt.Fprintf(logw, "twin: run %s up in %.1f s: %s\n", t.Run, time.Since(start).Seconds(), twinSummary(t.Spec))

	switch sub {
	case "exec", "shell":
		code = twinExec(ctx, t, sub, rest, stdout, stderr)
	default:
		code = twinProbes(ctx, t, start, stdout)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "twin: interrupted; tearing down")
		return twinInterrupted
	}
	return code
}

// twinPreflight checks root and namespace support before anything is made.
func twinPreflight(stderr io.Writer) int {
	if err := twin.CanRun(); err != nil {
		fmt.Fprintf(stderr, "twin: %v; nothing was created\n", err)
		return twinNoNamespaces
	}
	return 0
}

// twinGraph reads the graph: the state given, else the state `make local`
// left, else the plan of the stack.
func twinGraph(program pulumi.RunFunc, stack, state string) (graph.Graph, string, error) {
	if state == "" {
		if env, err := localrun.LoadEnv("."); err == nil {
			if p := LocalExport(env.Cache, stack); fileExists(p) {
				state = p
			}
		}
	}
	if state != "" {
		g, err := verify.LoadStateExport(state)
		if err != nil {
			return nil, "", fmt.Errorf("%w (give a file written by 'pulumi stack export', or leave --state out to use the plan)", err)
		}
		return g, "the state " + state, nil
	}
	cfgMap, err := plan.LoadConfig("Pulumi.yaml", fmt.Sprintf("Pulumi.%s.yaml", stack))
	if err != nil {
		return nil, "", err
	}
	g, err := plan.Run(program, plan.Options{Stack: stack, Config: cfgMap})
	if err != nil {
		return nil, "", fmt.Errorf("the plan of stack %s: %w", stack, err)
	}
	return g, "the plan of stack " + stack + " (no state: run 'make local' first to use a deployed one)", nil
}

// LocalExport is where `local up` leaves a `pulumi stack export` of the
// stack, for the twin and the verifier.
func LocalExport(cache, stack string) string {
	return filepath.Join(cache, "state", stack+".export.json")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func twinSummary(s *twin.Spec) string {
	kinds := map[string]int{}
	for _, e := range s.ENIs {
		kinds[e.Kind]++
	}
	return fmt.Sprintf("%d VPC routers, %d instances, %d ALB nodes, %d endpoint ENIs, %d peering links, %d transit gateways",
		len(s.VPCs), kinds["instance"], kinds["lbnode"], kinds["endpoint"], len(s.Peerings), len(s.TGWs))
}

// healthLinesShown is how many of each web server's lines the report shows.
const healthLinesShown = 6

func twinProbes(ctx context.Context, t *twin.Twin, start time.Time, w io.Writer) int {
	probes := t.Probes()
	var results []twin.Result
	first := time.Duration(0)
	for _, p := range probes {
		if ctx.Err() != nil {
			break
		}
		if p.Expect == twin.AllHealthy {
			fmt.Fprintln(w, "twin: waiting for the ALB's health checks (threshold × interval of the target group)…")
			wctx, cancel := context.WithTimeout(ctx, t.HealthWait())
			_ = t.WaitHealthy(wctx)
			cancel()
		}
		r := t.RunProbe(ctx, p)
		if r.OK && p.Expect == twin.HTTPOK && first == 0 {
			first = time.Since(start)
		}
		results = append(results, r)
		printResult(w, r)
	}
	fmt.Fprintln(w, "\nwhat the web servers logged from the ALB nodes' addresses (health checks, and the requests forwarded), the last lines of each:")
	lines := t.HealthLines()
	for _, n := range slices.Sorted(maps.Keys(lines)) {
		ls := lines[n]
		if len(ls) > healthLinesShown {
			fmt.Fprintf(w, "  %s: … %d earlier lines\n", n, len(ls)-healthLinesShown)
			ls = ls[len(ls)-healthLinesShown:]
		}
		for _, l := range ls {
			fmt.Fprintf(w, "  %s: %s\n", n, l)
		}
	}
	failed := twin.Failed(results)
	fmt.Fprintf(w, "\ntwin: %d probes: %d as expected, %d not", len(results), len(results)-failed, failed)
	if first > 0 {
		fmt.Fprintf(w, "; first 200 from a client %.1f s after start", first.Seconds())
	}
	fmt.Fprintln(w)
	if failed > 0 || len(results) < len(probes) {
		return twinProbesFailed
	}
	return 0
}

func printResult(w io.Writer, r twin.Result) {
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	kind := "required"
	if !r.Required {
		kind = "forbidden"
	}
	fmt.Fprintf(w, "\n%s  %s %-9s %s\n", verdict, r.Path, kind, r.Name)
	if r.From != "" {
		fmt.Fprintf(w, "      on %s: %s\n", r.From, strings.Join(r.Command, " "))
	}
	fmt.Fprintf(w, "      → %s (%.2f s)\n", r.Outcome, r.Took.Seconds())
	if r.Output != "" && (r.Required || !r.OK) {
		for _, l := range strings.Split(strings.TrimRight(r.Output, "\n"), "\n") {
			fmt.Fprintf(w, "        %s\n", l)
		}
	}
}

// twinExec runs a command (or an interactive shell) on an instance.
func twinExec(ctx context.Context, t *twin.Twin, sub string, rest []string, stdout, stderr io.Writer) int {
	name := rest[0]
	argv := rest[1:]
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	name = t.ResolveInstance(name)
	h, _, err := t.Host(name)
	if err != nil {
		fmt.Fprintln(stderr, "twin:", err)
		return twinBadInput
	}
	if sub == "shell" {
		argv = []string{"bash", "-l"}
	} else if len(argv) == 0 {
		fmt.Fprintln(stderr, "twin exec: give the command after the instance, e.g. twin exec bar-client -- curl -v http://alb.home")
		return twinBadInput
	}
	cmd := h.Command(ctx, "bash", "-c", `cd && exec "$@"`, "bash")
	cmd.Args = append(cmd.Args, argv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	err = cmd.Run()
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(stderr, "twin:", err)
		return 1
	}
	return 0
}

// twinLeft lists the run's namespaces still present ("none" after a clean
// teardown).
func twinLeft(run string) string {
	entries, _ := os.ReadDir("/run/netns")
	var left []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), run+"-") {
			left = append(left, e.Name())
		}
	}
	if len(left) == 0 {
		return "none"
	}
	return strings.Join(left, ", ")
}
