package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
)

// devConfig is the dev stack's config as the engine would pass it.
func devConfig(t testing.TB) map[string]string {
	t.Helper()
	cfg, err := plan.LoadConfig("Pulumi.yaml", "Pulumi.dev.yaml")
	require.NoError(t, err)
	return cfg
}

// planWith runs the real program under mocks with the dev config plus
// overrides (short keys in the project's namespace, values as in a stack
// file's JSON form).
func planWith(t testing.TB, overrides map[string]string) (tg, error) {
	t.Helper()
	cfg := devConfig(t)
	for k, v := range overrides {
		cfg["internal-alb:"+k] = v
	}
	g, err := plan.Run(program, plan.Options{Config: cfg})
	return tg{g}, err
}

// mustPlan is planWith for a config that must succeed.
func mustPlan(t testing.TB, overrides map[string]string) tg {
	t.Helper()
	g, err := planWith(t, overrides)
	require.NoError(t, err)
	return g
}

// tg adds the look-ups the tests share to a graph.
type tg struct{ graph.Graph }

// one returns the only resource of a type.
func (g tg) one(t testing.TB, typ string) graph.Resource {
	t.Helper()
	rs := g.OfType(typ)
	require.Len(t, rs, 1, "resources of type %s", typ)
	return rs[0]
}

// named returns the resource of a type with a logical name.
func (g tg) named(t testing.TB, typ, name string) graph.Resource {
	t.Helper()
	for _, r := range g.OfType(typ) {
		if r.Name == name {
			return r
		}
	}
	require.FailNowf(t, "missing resource", "%s %q", typ, name)
	return graph.Resource{}
}

// byID returns the resource a reference points at.
func (g tg) byID(t testing.TB, id any) graph.Resource {
	t.Helper()
	s, _ := id.(string)
	r, ok := g.ByID(s)
	require.True(t, ok, "no resource with id %v", id)
	return r
}

func (g tg) countByType() map[string]int {
	n := map[string]int{}
	for _, r := range g.Graph {
		if r.Custom {
			n[r.Type]++
		}
	}
	return n
}

// rule is a security-group rule reduced to what the tests compare.
type rule struct {
	Group, Dir string // group name, "in" or "out"
	Port       int
	Peer       string // a CIDR, "sg:<group name>" or "pl:<prefix list id>"
}

func (r rule) String() string { return fmt.Sprintf("%s %s %d %s", r.Group, r.Dir, r.Port, r.Peer) }

// rules returns every security-group rule of the graph.
func (g tg) rules(t testing.TB) []rule {
	t.Helper()
	var out []rule
	for dir, typ := range map[string]string{
		"in":  awstype.SecurityGroupIngressRule,
		"out": awstype.SecurityGroupEgressRule,
	} {
		for _, r := range g.OfType(typ) {
			require.Equal(t, "tcp", r.String("ipProtocol"), r.Name)
			require.Equal(t, r.Prop("fromPort"), r.Prop("toPort"), "%s opens a single port", r.Name)
			require.NotEmpty(t, r.String("description"), "%s has a description", r.Name)
			peer := r.String("cidrIpv4")
			if id := r.String("referencedSecurityGroupId"); id != "" {
				peer = "sg:" + g.byID(t, id).Name
			}
			if id := r.String("prefixListId"); id != "" {
				peer = "pl:" + id
			}
			require.NotEmpty(t, peer, "%s has a peer", r.Name)
			out = append(out, rule{g.byID(t, r.String("securityGroupId")).Name, dir, num(r.Prop("fromPort")), peer})
		}
	}
	return out
}

// num reads a JSON-like number.
func num(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return -1
}

// strs reads a JSON-like list of strings.
func strs(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// obj reads a JSON-like object (or the first element of a one-element list).
func obj(v any) map[string]any {
	if l, ok := v.([]any); ok && len(l) == 1 {
		v = l[0]
	}
	m, _ := v.(map[string]any)
	return m
}

// runStack runs newStack under mocks with cfg (full keys), hands the outputs
// to seen, and stores each output's resolved value (as JSON-like values) in
// values.
func runStack(cfg map[string]string, seen func([]output), values map[string]any) (graph.Graph, error) {
	var mu sync.Mutex
	return plan.Run(func(ctx *pulumi.Context) error {
		outs, err := newStack(ctx)
		if err != nil {
			return err
		}
		if seen != nil {
			seen(outs)
		}
		for _, o := range outs {
			name := o.name
			pulumi.ToOutput(o.value).ApplyT(func(v any) (any, error) {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, err
				}
				var plainV any
				if err := json.Unmarshal(b, &plainV); err != nil {
					return nil, err
				}
				mu.Lock()
				defer mu.Unlock()
				values[name] = plainV
				return nil, nil
			})
		}
		return nil
	}, plan.Options{Config: cfg})
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// prefixed puts short keys into the project's namespace.
func prefixed(short map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range short {
		out[config.Key(k)] = v
	}
	return out
}

// merge is cfg with overrides applied.
var merge = plan.Merge
