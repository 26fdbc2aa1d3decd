// Package plantest runs a program, or one component in a minimal
// composition, under the plan mocks in a test and reads back the graph it
// registered: the look-ups the packages' own tests share (the way
// net/http/httptest serves net/http's users). Only tests import it.
package plantest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
)

// Region is the region the mocks answer for when the config names none.
const Region = "ap-northeast-1"

// Account is the account the mocks answer with.
const Account = plan.Account

// Graph adds the look-ups the tests share to a graph.
type Graph struct{ graph.Graph }

// Run runs program under the mocks with no stack config and requires it to
// succeed.
func Run(t testing.TB, program pulumi.RunFunc) Graph {
	t.Helper()
	g, err := RunErr(program)
	require.NoError(t, err)
	return g
}

// RunErr runs program under the mocks with no stack config; the graph is
// what was registered, even when program fails.
func RunErr(program pulumi.RunFunc) (Graph, error) {
	g, err := plan.Run(program, plan.Options{})
	return Graph{g}, err
}

// Message is the program's own error out of a run under the mocks,
// without the engine's "1 error occurred" wrapping.
func Message(err error) string {
	var multi interface{ WrappedErrors() []error }
	if errors.As(err, &multi) && len(multi.WrappedErrors()) == 1 {
		return multi.WrappedErrors()[0].Error()
	}
	return err.Error()
}

// One returns the only resource of a type.
func (g Graph) One(t testing.TB, typ string) graph.Resource {
	t.Helper()
	rs := g.OfType(typ)
	require.Len(t, rs, 1, "resources of type %s", typ)
	return rs[0]
}

// Named returns the resource of a type with a logical name.
func (g Graph) Named(t testing.TB, typ, name string) graph.Resource {
	t.Helper()
	for _, r := range g.OfType(typ) {
		if r.Name == name {
			return r
		}
	}
	require.FailNowf(t, "missing resource", "%s %q", typ, name)
	return graph.Resource{}
}

// Ref returns the resource an id (a reference in another's inputs) points at.
func (g Graph) Ref(t testing.TB, id any) graph.Resource {
	t.Helper()
	s, _ := id.(string)
	r, ok := g.ByID(s)
	require.True(t, ok, "no resource with id %v", id)
	return r
}

// Names returns the names of the resources a list of ids points at.
func (g Graph) Names(t testing.TB, ids any) []string {
	t.Helper()
	var out []string
	for _, id := range Strs(ids) {
		out = append(out, g.Ref(t, id).Name)
	}
	return out
}

// Tier is the Tier tag of the subnet an id points at.
func (g Graph) Tier(t testing.TB, subnetID any) string {
	t.Helper()
	tier, _ := Obj(g.Ref(t, subnetID).Prop("tags"))["Tier"].(string)
	return tier
}

// ChildrenOf checks that every custom resource is a child of a component
// of type componentType and is named after it.
func (g Graph) ChildrenOf(t testing.TB, componentType string) {
	t.Helper()
	for _, r := range g.Graph {
		if !r.Custom {
			continue
		}
		parent, ok := g.ByURN(r.Parent)
		if assert.True(t, ok, "%s %s has parent %q, not a component", r.Type, r.Name, r.Parent) {
			assert.Equal(t, componentType, parent.Type, "%s %s", r.Type, r.Name)
			assert.True(t, strings.HasPrefix(r.Name, parent.Name), "%s is named after its component %s", r.Name, parent.Name)
		}
	}
}

// Rule is a security-group rule reduced to what the tests compare.
type Rule struct {
	Group, Dir string // group name, "in" or "out"
	Port       int
	Peer       string // a CIDR, "sg:<group name>" or "pl:<prefix list id>"
}

func (r Rule) String() string { return fmt.Sprintf("%s %s %d %s", r.Group, r.Dir, r.Port, r.Peer) }

// Rules returns every security-group rule of the graph, checking on the
// way that each is a described single-port TCP rule with one peer.
func (g Graph) Rules(t testing.TB) []Rule {
	t.Helper()
	var out []Rule
	for _, d := range []struct{ dir, typ string }{
		{"in", awstype.SecurityGroupIngressRule},
		{"out", awstype.SecurityGroupEgressRule},
	} {
		for _, r := range g.OfType(d.typ) {
			require.Equal(t, "tcp", r.String("ipProtocol"), r.Name)
			require.Equal(t, r.Prop("fromPort"), r.Prop("toPort"), "%s opens a single port", r.Name)
			require.NotEmpty(t, r.String("description"), "%s has a description", r.Name)
			peer := r.String("cidrIpv4")
			if id := r.String("referencedSecurityGroupId"); id != "" {
				peer = "sg:" + g.Ref(t, id).Name
			}
			if id := r.String("prefixListId"); id != "" {
				peer = "pl:" + id
			}
			require.NotEmpty(t, peer, "%s has a peer", r.Name)
			out = append(out, Rule{g.Ref(t, r.String("securityGroupId")).Name, d.dir, Num(r.Prop("fromPort")), peer})
		}
	}
	return out
}

// RuleStrings is Rules as "group dir port peer" lines.
func (g Graph) RuleStrings(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, r := range g.Rules(t) {
		out = append(out, r.String())
	}
	return out
}

// AclEntries returns each network ACL's entries as "<dir> <rule> <action>
// <cidr> <from>-<to>", ingress first, checking on the way that each is TCP.
func (g Graph) AclEntries(t testing.TB) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, a := range g.OfType(awstype.NetworkAcl) {
		for _, dir := range []string{"ingress", "egress"} {
			entries, _ := a.Prop(dir).([]any)
			for _, x := range entries {
				e := Obj(x)
				assert.Equal(t, "6", e["protocol"], "%s: TCP only", a.Name)
				got[a.Name] = append(got[a.Name], fmt.Sprintf("%s %d %s %s %d-%d", dir, Num(e["ruleNo"]), e["action"], e["cidrBlock"], Num(e["fromPort"]), Num(e["toPort"])))
			}
		}
	}
	return got
}

// Num reads a JSON-like number (-1 when v is none).
func Num(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return -1
}

// Strs reads a JSON-like list of strings.
func Strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// Obj reads a JSON-like object (or the first element of a one-element list).
func Obj(v any) map[string]any {
	if l, ok := v.([]any); ok && len(l) == 1 {
		v = l[0]
	}
	m, _ := v.(map[string]any)
	return m
}

// Policy is an IAM policy document read back.
type Policy struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    any
		Resource  any
		Principal any
	}
}

// PolicyDoc parses an IAM policy document.
func PolicyDoc(t testing.TB, s string) Policy {
	t.Helper()
	var doc Policy
	require.NoError(t, json.Unmarshal([]byte(s), &doc), s)
	return doc
}
