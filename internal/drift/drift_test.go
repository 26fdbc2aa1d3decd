package drift

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/verify"
)

// The dev stack's plan stands for the deployed stack; the events are what a
// `preview --refresh` emits after the out-of-band changes the emulator run
// makes for real (emulator_daytwo_test.go).
const export = "../../verify/fixture/testdata/plan-dev.json"

type fakeStack struct {
	t     *testing.T
	st    *state
	byURN map[string]map[string]any // the export's own resources: edits show in bytes()
	urns  []string
	evs   []events.EngineEvent
}

func loadStack(t *testing.T) *fakeStack {
	b, err := os.ReadFile(export)
	require.NoError(t, err)
	st, err := parseExport(b)
	require.NoError(t, err)
	f := &fakeStack{t: t, st: st, byURN: map[string]map[string]any{}}
	for _, r := range st.resources {
		urn := r["urn"].(string)
		f.byURN[urn] = r
		f.urns = append(f.urns, urn)
	}
	return f
}

// bytes is the export as `pulumi stack export` would write it now.
func (f *fakeStack) bytes() []byte {
	b, err := json.Marshal(f.st.export)
	require.NoError(f.t, err)
	return b
}

// urn finds a resource by type and logical name.
func (f *fakeStack) urn(typ, name string) string {
	for _, u := range f.urns {
		if f.byURN[u]["type"] == typ && nameOf(u) == name {
			return u
		}
	}
	f.t.Fatalf("no %s %s in %s", typ, name, export)
	return ""
}

func (f *fakeStack) meta(urn string, outputs map[string]any) *apitype.StepEventStateMetadata {
	if outputs == nil {
		return nil
	}
	return &apitype.StepEventStateMetadata{URN: urn, Type: f.byURN[urn]["type"].(string), Outputs: outputs}
}

// copyOutputs is the resource's recorded outputs, deep-copied.
func (f *fakeStack) copyOutputs(urn string) map[string]any {
	b, _ := json.Marshal(f.byURN[urn]["outputs"])
	var m map[string]any
	require.NoError(f.t, json.Unmarshal(b, &m))
	return m
}

// refreshed emits the refresh step of urn with its state now (nil: gone).
func (f *fakeStack) refreshed(urn string, now map[string]any) {
	m := apitype.StepEventMetadata{Op: apitype.OpRefresh, URN: urn, Type: f.byURN[urn]["type"].(string), New: f.meta(urn, now)}
	f.evs = append(f.evs, events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: m}}})
}

// planned emits the program's step for urn.
func (f *fakeStack) planned(urn string, op apitype.OpType, paths ...string) {
	m := apitype.StepEventMetadata{Op: op, URN: urn, Type: f.byURN[urn]["type"].(string), Diffs: paths, DetailedDiff: map[string]apitype.PropertyDiff{}}
	for _, p := range paths {
		m.DetailedDiff[p] = apitype.PropertyDiff{Kind: apitype.DiffUpdate}
	}
	f.evs = append(f.evs, events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: m}}})
}

func (f *fakeStack) unchanged() {
	for _, u := range f.urns {
		if _, done := f.refreshedAlready(u); !done {
			f.refreshed(u, f.copyOutputs(u))
		}
	}
}

func (f *fakeStack) refreshedAlready(urn string) (int, bool) {
	for i, e := range f.evs {
		if e.ResOutputsEvent != nil && e.ResOutputsEvent.Metadata.URN == urn {
			return i, true
		}
	}
	return 0, false
}

func (f *fakeStack) collect() *Events {
	ch := make(chan events.EngineEvent, len(f.evs))
	for _, e := range f.evs {
		ch <- e
	}
	close(ch)
	return Collect(ch)
}

func TestNoDriftIsNone(t *testing.T) {
	f := loadStack(t)
	f.unchanged()
	r, err := Analyse(f.bytes(), f.collect(), verify.Options{AdminCidrs: []string{"203.0.113.0/24"}})
	require.NoError(t, err)
	assert.False(t, r.Drifted())
	assert.Empty(t, r.Broken)
	assert.Contains(t, r.Text(), "drift: none")
}

func TestEachChangeNamesWhatItBreaks(t *testing.T) {
	f := loadStack(t)

	rule := f.urn("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web-alb-http-in-bar-client")
	f.refreshed(rule, nil)
	f.planned(rule, apitype.OpCreate)

	route := f.urn("aws:ec2/route:Route", "peering-foo-bar-to-foo-1")
	f.refreshed(route, nil)
	f.planned(route, apitype.OpCreate)

	attachment := f.urn("aws:lb/targetGroupAttachment:TargetGroupAttachment", "web-web1")
	f.refreshed(attachment, nil)
	f.planned(attachment, apitype.OpCreate)

	tg := f.urn("aws:lb/targetGroup:TargetGroup", "web-web")
	out := f.copyOutputs(tg)
	out["healthCheck"].(map[string]any)["path"] = "/changed"
	f.refreshed(tg, out)
	f.planned(tg, apitype.OpUpdate, "healthCheck", "healthCheck.path")

	zone := f.urn("aws:route53/zone:Zone", "zone")
	out = f.copyOutputs(zone)
	out["vpcs"] = out["vpcs"].([]any)[:1] // the service VPC's only
	f.refreshed(zone, out)
	f.planned(zone, apitype.OpUpdate, "vpcs")

	running := f.urn("aws:ec2transitgateway/instanceState:InstanceState", "web-web2-running")
	out = f.copyOutputs(running)
	out["state"] = "stopped"
	f.refreshed(running, out)
	f.planned(running, apitype.OpUpdate, "state")
	// The instance itself says so too; it is part of the change above, not
	// one of its own. (AWS gives the state resource the instance's id.)
	f.byURN[running]["id"] = f.byURN[running]["inputs"].(map[string]any)["instanceId"]
	web2 := f.urn("aws:ec2/instance:Instance", "web-web2")
	out = f.copyOutputs(web2)
	out["instanceState"] = "stopped"
	f.refreshed(web2, out)

	// A refresh that only fills in what other resources added (the routes
	// a route table now lists) breaks nothing and is not reported.
	rt := f.urn("aws:ec2/routeTable:RouteTable", "bar-private-2")
	out = f.copyOutputs(rt)
	other := f.copyOutputs(f.urn("aws:ec2/route:Route", "peering-foo-bar-to-foo-2"))
	out["routes"] = []any{map[string]any{"cidrBlock": "10.2.0.0/16", "vpcPeeringConnectionId": other["vpcPeeringConnectionId"]}}
	f.refreshed(rt, out)
	f.unchanged()

	r, err := Analyse(f.bytes(), f.collect(), verify.Options{AdminCidrs: []string{"203.0.113.0/24"}})
	require.NoError(t, err)
	require.True(t, r.Drifted())
	byName := map[string]Change{}
	for _, c := range r.Changes {
		byName[c.Name] = c
	}
	require.Len(t, byName, 6, r.Text())

	c := byName["web-alb-http-in-bar-client"]
	assert.Equal(t, "deleted outside the stack", c.What)
	assert.Equal(t, "create", c.Repair)
	assertBreaks(t, c, "P1 bar-client", "destination SG ingress")

	c = byName["peering-foo-bar-to-foo-1"]
	assert.Equal(t, "create", c.Repair)
	assertBreaks(t, c, "P1 bar-client", "route")

	c = byName["web-web1"]
	assertBreaks(t, c, "P2 foo-internal-alb → web-web1:8080: no longer there")

	c = byName["web-web"]
	assert.Equal(t, "changed outside the stack", c.What)
	assert.Equal(t, []Prop{{Path: "healthCheck.path", Stack: `"/"`, Now: `"/changed"`}}, c.Props)
	assert.Equal(t, "update", c.Repair)
	assert.Empty(t, c.Breaks, "the ALB fails open: a wrong health-check path marks targets unhealthy but breaks no path")

	c = byName["zone"]
	assertBreaks(t, c, "P1 bar-client", "DNS")

	c = byName["web-web2-running"]
	assert.Equal(t, []Prop{{Path: "state", Stack: `"running"`, Now: `"stopped"`}}, c.Props)
	assertBreaks(t, c, "P2 foo-internal-alb → web-web2:8080", "web-web2 is stopped")

	// Together: every path each one broke (the first hop that fails may
	// differ when several changes break one path).
	together := strings.Join(r.Broken, "\n")
	for _, c := range r.Changes {
		for _, x := range c.Breaks {
			path, _, _ := strings.Cut(x, ": ")
			assert.Contains(t, together, path+": ")
		}
	}
	text := r.Text()
	assert.Contains(t, text, "drift: 6 resource(s) differ from the stack")
	assert.Contains(t, text, "healthCheck.path: \"/\" in the stack, \"/changed\" now")
	assert.NotContains(t, text, "bar-private-2")
}

// assertBreaks checks one of the change's breaks names every part.
func assertBreaks(t *testing.T, c Change, parts ...string) {
	t.Helper()
	for _, b := range c.Breaks {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(b, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("%s: no break names %q; breaks: %q", c.Name, parts, c.Breaks)
}

func TestAnUndeployedProgramChangeIsReported(t *testing.T) {
	f := loadStack(t)
	f.unchanged()
	m := apitype.StepEventMetadata{Op: apitype.OpCreate, URN: "urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::baz", Type: "aws:ec2/vpc:Vpc"}
	f.evs = append(f.evs, events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: m}}})
	r, err := Analyse(f.bytes(), f.collect(), verify.Options{})
	require.NoError(t, err)
	require.Len(t, r.Changes, 1)
	assert.Equal(t, "in the program but not in the stack: an undeployed change", r.Changes[0].What)
	assert.Empty(t, r.Changes[0].Breaks)
}
