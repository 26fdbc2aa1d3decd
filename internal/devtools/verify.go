package devtools

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/network"
	"github.com/internal-alb/internal-alb/verify"
)

// Variants are the stacks whose cost the plan report compares with the
// configured one: the expensive choices the config offers.
var Variants = []struct {
	Label     string
	Overrides map[string]string
}{
	{"transitGateway", map[string]string{"internal-alb:connectivity": string(network.ByTransitGateway)}},
	{"onePerAz NAT", map[string]string{"internal-alb:natMode": string(network.NatOnePerAz)}},
}

func verifyCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose config (Pulumi.<stack>.yaml) is verified")
	state := fs.String("state", "", "a 'pulumi stack export' file to verify instead of the plan")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	out := fs.String("out", "", "write topology.dot, .svg and .png into this folder (needs Graphviz's dot)")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	stackFile := fmt.Sprintf("Pulumi.%s.yaml", *stack)
	cfgMap, err := plan.LoadConfig("Pulumi.yaml", stackFile)
	if err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		return 2
	}
	cfg, err := config.Load(lookup(cfgMap))
	if err = errors.Join(stackKeys(cfgMap, stackFile).Check(), err); err != nil {
		fmt.Fprintf(stderr, "verify: invalid stack config:\n%v\n", err)
		return 1
	}
	opts := VerifyOptions(cfg)

	var g graph.Graph
	if *state != "" {
		g, err = verify.LoadStateExport(*state)
	} else {
		g, err = plan.Run(program, plan.Options{Stack: *stack, Config: cfgMap, ConfigFile: stackFile})
	}
	if err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		return 1
	}
	report := verify.Check(g, opts)

	if *asJSON {
		_, _ = stdout.Write(report.JSON())
	} else {
		fmt.Fprint(stdout, report.Text())
		if *state == "" && report.Cost != nil {
			labels := []string{*stack}
			costs := []verify.CostReport{*report.Cost}
			for _, v := range Variants {
				vg, err := plan.Run(program, plan.Options{Stack: *stack, Config: plan.Merge(cfgMap, v.Overrides), ConfigFile: stackFile})
				if err != nil {
					fmt.Fprintf(stderr, "verify: variant %s: %v\n", v.Label, err)
					return 1
				}
				labels = append(labels, v.Label)
				costs = append(costs, verify.Estimate(vg, opts))
			}
			fmt.Fprintf(stdout, "\nCOST COMPARISON\n%s", verify.CompareCosts(labels, costs))
		}
	}

	if *out != "" {
		if err := writePictures(*out, verify.DOT(g, &report)); err != nil {
			fmt.Fprintln(stderr, "verify:", err)
			return 1
		}
		fmt.Fprintf(stderr, "verify: topology written to %s\n", filepath.Join(*out, "topology.{dot,svg,png}"))
	}
	if !report.OK() {
		return 1
	}
	return 0
}

func writePictures(dir, dot string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "topology.dot"), []byte(dot), 0o644); err != nil {
		return err
	}
	for _, format := range []string{"svg", "png"} {
		b, err := verify.Render(dot, format)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "topology."+format), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lookup reads a full-key config map in the project's namespace.
func lookup(m map[string]string) config.Lookup {
	return func(key string) (string, bool) {
		v, ok := m[config.Key(key)]
		return v, ok
	}
}

// stackKeys are the keys of a stack's config, as plan.LoadConfig read it
// from file (Pulumi.yaml's defaults are all declared keys).
func stackKeys(cfg map[string]string, file string) config.StackKeys {
	keys := config.StackKeys{}
	for k := range cfg {
		keys[k] = file
	}
	return keys
}

// VerifyOptions are the verifier's options for a stack config: who must
// reach the bastions, and the opt-outs the config states (so the verifier
// warns about them instead of failing).
func VerifyOptions(cfg config.Config) verify.Options {
	return verify.Options{AdminCidrs: cfg.AdminCidrs, AllowSshFromAnywhere: cfg.AllowSshFromAnywhere, LogsOff: !cfg.Logs}
}
