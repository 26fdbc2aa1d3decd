package sg_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/internal/sg"
)

// A group has its description and no inline rules; each rule is one
// resource: single-port TCP, described, tagged with its name, to exactly
// the one peer it was given.
func TestGroupsAndRules(t *testing.T) {
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		web, err := sg.NewGroup(ctx, "web", pulumi.String("vpc-foo"), "Web servers")
		if err != nil {
			return err
		}
		alb, err := sg.NewGroup(ctx, "alb", pulumi.String("vpc-foo"), "The ALB")
		if err != nil {
			return err
		}
		for _, err := range []error{
			sg.AllowIn(ctx, "web-from-alb", web.ID(), 8080, sg.Group(alb.ID()), "From the ALB"),
			sg.AllowOut(ctx, "alb-to-web", alb.ID(), 8080, sg.Group(web.ID()), "To the web servers"),
			sg.AllowIn(ctx, "alb-from-bar", alb.ID(), 80, sg.Cidr("10.3.1.0/24"), "From bar"),
			sg.AllowOut(ctx, "web-s3", web.ID(), 443, sg.PrefixList(pulumi.String("pl-61a54008")), "To S3"),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	assert.ElementsMatch(t, []string{
		"web in 8080 sg:alb", "alb out 8080 sg:web", "alb in 80 10.3.1.0/24", "web out 443 pl:pl-61a54008",
	}, g.RuleStrings(t))

	for _, s := range g.OfType(awstype.SecurityGroup) {
		assert.Nil(t, s.Prop("ingress"), "%s has no inline rules", s.Name)
		assert.Nil(t, s.Prop("egress"), "%s has no inline rules", s.Name)
		assert.Equal(t, "vpc-foo", s.String("vpcId"), s.Name)
		assert.Equal(t, map[string]any{"Name": s.Name}, s.Prop("tags"))
	}
	assert.Equal(t, "Web servers", g.Named(t, awstype.SecurityGroup, "web").String("description"))

	in := g.Named(t, awstype.SecurityGroupIngressRule, "web-from-alb")
	assert.Equal(t, "From the ALB", in.String("description"))
	assert.Equal(t, map[string]any{"Name": "web-from-alb"}, in.Prop("tags"))
	assert.Contains(t, in.Dependencies, g.Named(t, awstype.SecurityGroup, "alb").URN, "a group reference waits for the group")
	for _, r := range append(g.OfType(awstype.SecurityGroupIngressRule), g.OfType(awstype.SecurityGroupEgressRule)...) {
		set := 0
		for _, k := range []string{"cidrIpv4", "referencedSecurityGroupId", "prefixListId"} {
			if r.String(k) != "" {
				set++
			}
		}
		assert.Equal(t, 1, set, "%s has exactly one peer", r.Name)
	}
}

// A rule with no peer is refused before anything is registered.
func TestEmptyPeerIsRefused(t *testing.T) {
	for name, allow := range map[string]func(*pulumi.Context) error{
		"in": func(ctx *pulumi.Context) error {
			return sg.AllowIn(ctx, "web-in", pulumi.String("sg-web"), 22, sg.Peer{}, "SSH")
		},
		"out": func(ctx *pulumi.Context) error {
			return sg.AllowOut(ctx, "web-out", pulumi.String("sg-web"), 22, sg.Peer{}, "SSH")
		},
	} {
		t.Run(name, func(t *testing.T) {
			g, err := plantest.RunErr(allow)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "rule web-"+name+": the peer has no CIDR, group or prefix list")
			assert.Empty(t, g.Graph)
		})
	}
}
