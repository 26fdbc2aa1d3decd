package dns_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
)

const (
	albDNSName = "internal-foo-internal-alb-123456789.ap-northeast-1.elb.amazonaws.com"
	albZoneID  = "Z14GRHDCWA56QT"
)

var vpcs = []string{"vpc-foo", "vpc-bar", "vpc-baz", "vpc-qux"}

func runZone(t *testing.T, domain string) (plantest.Graph, *dns.PrivateZone) {
	t.Helper()
	var z *dns.PrivateZone
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		var ids []pulumi.StringInput
		for _, v := range vpcs {
			ids = append(ids, pulumi.String(v))
		}
		var err error
		z, err = dns.NewPrivateZone(ctx, "zone", &dns.PrivateZoneArgs{
			Name: domain, Region: plantest.Region, VpcIDs: ids,
			Aliases: []dns.Alias{{Name: "alb", DNSName: pulumi.String(albDNSName), ZoneID: pulumi.String(albZoneID)}},
		})
		return err
	})
	return g, z
}

// The zone is private to every VPC given, in their region, and its alias
// record points at the load balancer given, evaluating its health.
func TestPrivateZoneAssociatedWithEveryVpcAndAliasesTheAlb(t *testing.T) {
	g, z := runZone(t, "home")
	zone := g.One(t, awstype.Zone)
	assert.Equal(t, "home", zone.String("name"))
	var got []string
	for _, v := range zone.Prop("vpcs").([]any) {
		got = append(got, plantest.Obj(v)["vpcId"].(string))
		assert.Equal(t, "ap-northeast-1", plantest.Obj(v)["vpcRegion"])
	}
	assert.ElementsMatch(t, vpcs, got)

	rec := g.One(t, awstype.Record)
	assert.Equal(t, "zone-alb", rec.Name)
	assert.Equal(t, zone.String("zoneId"), rec.String("zoneId"))
	assert.Equal(t, "alb.home", rec.String("name"))
	assert.Equal(t, "A", rec.String("type"))
	alias := plantest.Obj(rec.Prop("aliases"))
	assert.Equal(t, albDNSName, alias["name"])
	assert.Equal(t, albZoneID, alias["zoneId"])
	assert.Equal(t, true, alias["evaluateTargetHealth"])
	g.ChildrenOf(t, "internal-alb:dns:PrivateZone")

	require.Len(t, z.Fqdns, 1)
	fqdn := make(chan string, 1)
	z.Fqdns[0].ApplyT(func(s string) string { fqdn <- s; return s })
	assert.Equal(t, "alb.home", <-fqdn)
	id := make(chan string, 1)
	z.ZoneID.ApplyT(func(s string) string { id <- s; return s })
	assert.Equal(t, zone.String("zoneId"), <-id)
}

// A domain written with its final dot is the same zone.
func TestTrailingDotIsTrimmed(t *testing.T) {
	g, _ := runZone(t, "home.example.")
	assert.Equal(t, "home.example", g.One(t, awstype.Zone).String("name"))
	assert.Equal(t, "alb.home.example", g.One(t, awstype.Record).String("name"))
}

// The component checks its own args, before registering anything.
func TestZoneRefusesBadArgs(t *testing.T) {
	for want, args := range map[string]*dns.PrivateZoneArgs{
		`dns: zone "home" needs at least one VPC to be private`: {Name: "home"},
		"dns: zone zone needs a domain name":                    {Name: ".", VpcIDs: []pulumi.StringInput{pulumi.String("vpc-foo")}},
	} {
		g, err := plantest.RunErr(func(ctx *pulumi.Context) error {
			_, err := dns.NewPrivateZone(ctx, "zone", args)
			return err
		})
		require.Error(t, err)
		assert.Equal(t, want, plantest.Message(err))
		assert.Empty(t, g.Graph, "nothing registered")
	}
}
