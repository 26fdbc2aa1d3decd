package localrun

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func step(t *Timing, at float64, typ, name string, end bool) {
	md := apitype.StepEventMetadata{Op: apitype.OpCreate, Type: typ, URN: "urn:pulumi:s::p::" + typ + "::" + name}
	var e events.EngineEvent
	if end {
		e.ResOutputsEvent = &apitype.ResOutputsEvent{Metadata: md}
	} else {
		e.ResourcePreEvent = &apitype.ResourcePreEvent{Metadata: md}
	}
	t.record(e, time.Duration(at*float64(time.Second)))
}

// A VPC, then a subnet and a slow ALB on it, and a record after the ALB; a
// role on the side; a component and a same step that must be left out.
func timed() *Timing {
	t := &Timing{first: -1, spans: map[string]*Span{}}
	t.record(events.EngineEvent{}, 300*time.Millisecond)
	for _, e := range []struct {
		at        float64
		typ, name string
		end       bool
	}{
		{1, "aws:ec2/vpc:Vpc", "v", false},
		{1, "aws:iam/role:Role", "r", false},
		{1, "internal-alb:alb:InternalAlb", "c", false},
		{1.5, "aws:iam/role:Role", "r", true},
		{11, "aws:ec2/vpc:Vpc", "v", true},
		{11.2, "aws:ec2/subnet:Subnet", "s", false},
		{11.5, "aws:ec2/subnet:Subnet", "s", true},
		{11.6, "aws:lb/loadBalancer:LoadBalancer", "alb", false},
		{71.6, "aws:lb/loadBalancer:LoadBalancer", "alb", true},
		{71.7, "aws:route53/record:Record", "rec", false},
		{86.7, "aws:route53/record:Record", "rec", true},
		{90, "internal-alb:alb:InternalAlb", "c", true},
	} {
		step(t, e.at, e.typ, e.name, e.end)
	}
	same := apitype.StepEventMetadata{Op: apitype.OpSame, Type: "aws:ec2/vpc:Vpc", URN: "urn:pulumi:s::p::aws:ec2/vpc:Vpc::old"}
	t.record(events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: same}}}, 2*time.Second)
	return t
}

func TestTimingSpansAndSlowest(t *testing.T) {
	tm := timed()
	assert.Equal(t, 5, tm.Steps(), "AWS resources only, and no same steps")
	slow, ok := tm.Slowest()
	require.True(t, ok)
	assert.Equal(t, "alb", slow.Name())
	assert.InDelta(t, 60, slow.Took().Seconds(), 0.01)
}

func TestTimingChainFollowsTheCriticalPath(t *testing.T) {
	var names []string
	for _, s := range timed().Chain() {
		names = append(names, s.Name())
	}
	assert.Equal(t, []string{"v", "s", "alb", "rec"}, names)
}

func TestTimingReport(t *testing.T) {
	r := timed().Report(87500 * time.Millisecond)
	lines := strings.Split(r, "\n")
	assert.Equal(t, "    0.3s  first engine event", lines[0])
	assert.Contains(t, lines[3], "aws:lb/loadBalancer:LoadBalancer alb")
	assert.Contains(t, lines[3], "60.0s  (waited 0.1s before it)")
	assert.Equal(t, "   86.7s  last step ended", lines[5])
	assert.Equal(t, "   87.5s  operation returned", lines[6])
	assert.Contains(t, r, "every step, in the order they started:")
}

func TestTimingWithoutSteps(t *testing.T) {
	tm := &Timing{first: -1, spans: map[string]*Span{}}
	_, ok := tm.Slowest()
	assert.False(t, ok)
	assert.Empty(t, tm.Chain())
}
