package main

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
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

// tg is the whole stack's graph with plantest's look-ups (the same ones the
// packages' own tests use), under the short names these tests read best with.
type tg struct{ graph.Graph }

func (g tg) pt() plantest.Graph { return plantest.Graph{Graph: g.Graph} }

func (g tg) one(t testing.TB, typ string) graph.Resource { t.Helper(); return g.pt().One(t, typ) }
func (g tg) named(t testing.TB, typ, name string) graph.Resource {
	t.Helper()
	return g.pt().Named(t, typ, name)
}
func (g tg) byID(t testing.TB, id any) graph.Resource { t.Helper(); return g.pt().Ref(t, id) }
func (g tg) rules(t testing.TB) []plantest.Rule       { t.Helper(); return g.pt().Rules(t) }

func (g tg) countByType() map[string]int {
	n := map[string]int{}
	for _, r := range g.Graph {
		if r.Custom {
			n[r.Type]++
		}
	}
	return n
}

var (
	num  = plantest.Num
	strs = plantest.Strs
	obj  = plantest.Obj
)

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
