package main

import (
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// taggable is what a recorder saw of one resource before the program's
// transformation ran.
type taggable struct {
	typ, name string
	ownTags   bool // the component set tags of its own
}

// recordTaggable runs program under mocks with cfg and returns the graph
// and, for every resource whose pulumi-aws resource type has a `tags`
// output (the SDK's resource struct, not the arguments the program's
// transformation reads), its type, name and whether it set tags itself.
func recordTaggable(t *testing.T, cfg map[string]string) (tg, []taggable) {
	t.Helper()
	var mu sync.Mutex
	var seen []taggable
	outputType := reflect.TypeFor[pulumi.StringMapOutput]()
	g, err := plan.Run(func(ctx *pulumi.Context) error {
		// Registered first, so it runs before the program's own.
		err := ctx.RegisterStackTransformation(func(a *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
			v := reflect.ValueOf(a.Resource)
			if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
				return nil
			}
			if f, ok := v.Elem().Type().FieldByName("Tags"); !ok || f.Type != outputType {
				return nil
			}
			own := false
			if p := reflect.ValueOf(a.Props); p.Kind() == reflect.Pointer && !p.IsNil() {
				if f := p.Elem().FieldByName("Tags"); f.IsValid() && !f.IsNil() {
					own = true
				}
			}
			mu.Lock()
			seen = append(seen, taggable{a.Type, a.Name, own})
			mu.Unlock()
			return nil
		})
		if err != nil {
			return err
		}
		return program(ctx)
	}, plan.Options{Config: cfg})
	require.NoError(t, err)
	return tg{g}, seen
}

// Every resource whose type takes tags carries the stack's two tags, keeps
// its own (Name first of all), and is the only one of its type with its
// name, so the recovery of an interrupted run finds it by them.
func TestEveryTaggableResourceCarriesTheStackTags(t *testing.T) {
	variants := map[string]map[string]string{
		"dev":             nil,
		"transitGateway":  {"connectivity": `transitGateway`, "adminAccess": `instanceConnectEndpoint`, "adminCidrs": `[]`},
		"3 consumers+key": {"consumerVpcs": threeConsumers, "sshPublicKey": testPublicKey},
		"nat onePerAz":    {"natMode": `onePerAz`},
	}
	for name, over := range variants {
		t.Run(name, func(t *testing.T) {
			cfg := devConfig(t)
			for k, v := range over {
				cfg["internal-alb:"+k] = v
			}
			g, seen := recordTaggable(t, cfg)
			require.NotEmpty(t, seen)
			want := stacktag.Value("internal-alb", "dev")
			types := map[string]bool{}
			key := map[[2]string]int{}
			for _, s := range seen {
				types[s.typ] = true
				key[[2]string{s.typ, s.name}]++
				r := g.named(t, s.typ, s.name)
				tags, ok := r.Inputs["tags"].(map[string]any)
				if !assert.True(t, ok, "%s %s: no tags in its inputs", s.typ, s.name) {
					continue
				}
				assert.Equal(t, want, tags[stacktag.Stack], "%s %s", s.typ, s.name)
				assert.Equal(t, s.name, tags[stacktag.Resource], "%s %s", s.typ, s.name)
				assert.True(t, s.ownTags, "%s %s sets no tags of its own: give it a Name tag", s.typ, s.name)
				assert.NotEmpty(t, tags["Name"], "%s %s has no Name tag", s.typ, s.name)
			}
			for typ := range types {
				// The default group goes with its VPC: recovery finds it by
				// its VPC, and it is never an orphan.
				if typ != awstype.DefaultSecurityGroup {
					assert.NotEmpty(t, awscheck.KindOf(typ), "%s takes tags, but the orphan listing (awscheck.Tagged) does not list it", typ)
				}
			}
			for k, n := range key {
				assert.Equal(t, 1, n, "%s %s: two taggable resources of one type share a name", k[0], k[1])
			}
			// The recorder does see the types the orphan listing covers.
			for _, typ := range []string{awstype.Vpc, awstype.Subnet, awstype.SecurityGroup, awstype.LoadBalancer, awstype.Zone, awstype.Role} {
				assert.True(t, types[typ], "no taggable %s recorded", typ)
			}
			// …and nothing else is tagged by the program.
			tagged := map[[2]string]bool{}
			for _, s := range seen {
				tagged[[2]string{s.typ, s.name}] = true
			}
			for _, r := range g.Graph {
				if tags, ok := r.Inputs["tags"].(map[string]any); ok && tags[stacktag.Stack] != nil {
					assert.True(t, tagged[[2]string{r.Type, r.Name}], "%s %s is tagged but its type has no tags output", r.Type, r.Name)
				}
			}
		})
	}
}

// The tags merge into tags the program computes from other resources too.
func TestWithStackTagsKeepsComputedTags(t *testing.T) {
	add := map[string]string{stacktag.Stack: "p/s", stacktag.Resource: "r"}
	_, ok := withStackTags(&struct{ Name pulumi.StringInput }{}, add)
	assert.False(t, ok, "a type without Tags is left alone")
	_, ok = withStackTags(nil, add)
	assert.False(t, ok)

	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		type args struct{ Tags pulumi.StringMapInput }
		own := &args{Tags: pulumi.String("x").ToStringOutput().ApplyT(func(s string) map[string]string {
			return map[string]string{"Name": s}
		}).(pulumi.StringMapOutput)}
		out, ok := withStackTags(own, add)
		require.True(t, ok)
		assert.NotSame(t, own, out, "a copy, the caller's arguments untouched")
		done := make(chan map[string]string, 1)
		out.(*args).Tags.ToStringMapOutput().ApplyT(func(m map[string]string) int { done <- m; return 0 })
		got := <-done
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		assert.Equal(t, []string{"Name", stacktag.Resource, stacktag.Stack}, keys)
		assert.Equal(t, "x", got["Name"])
		return nil
	}, pulumi.WithMocks("p", "s", &plan.Mocks{Region: "ap-northeast-1"}))
	require.NoError(t, err)
}
