package network_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/network"
)

func existingArgs() *network.ExistingVpcArgs {
	return &network.ExistingVpcArgs{
		VpcID: "vpc-0a1b2c3d4e5f60718", Cidr: "10.40.0.0/16", AccountID: "123456789012",
		EnableDNSSupport: true, EnableDNSHostnames: true,
		Subnets: []network.ExistingSubnet{
			{ID: "subnet-a1", Cidr: "10.40.1.0/24", AvailabilityZone: "ap-northeast-1a", RouteTableID: "rtb-shared"},
			{ID: "subnet-a2", Cidr: "10.40.3.0/24", AvailabilityZone: "ap-northeast-1a", RouteTableID: "rtb-shared"},
			{ID: "subnet-c1", Cidr: "10.40.2.0/24", AvailabilityZone: "ap-northeast-1c", RouteTableID: "rtb-c"},
		},
	}
}

// An existing VPC, peered with a created one: a route once per route
// table however many subnets share it, and nothing else in it.
func TestExistingVpcIsConnectedNotCreated(t *testing.T) {
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		hub, err := network.NewVpc(ctx, "foo", seedArgs("foo"))
		if err != nil {
			return err
		}
		spoke, err := network.NewExistingVpc(ctx, "legacy", existingArgs())
		if err != nil {
			return err
		}
		assert.Len(t, spoke.PrivateSubnetIDs, 3)
		assert.Len(t, spoke.PrivateRouteTableIDs, 2)
		assert.Len(t, spoke.AttachmentSubnetIDs(), 2, "one subnet per AZ for a Transit Gateway attachment")
		_, err = network.NewPeering(ctx, "peering", &network.PeeringArgs{Hub: hub, Spokes: []*network.Vpc{spoke}})
		return err
	})
	var tables []string
	for _, r := range g.OfType(awstype.Route) {
		if r.String("destinationCidrBlock") == "10.2.0.0/16" {
			tables = append(tables, r.String("routeTableId"))
		}
	}
	assert.ElementsMatch(t, []string{"rtb-shared", "rtb-c"}, tables)
	for _, r := range g.Graph {
		if r.Custom && r.Type != awstype.Route && r.Type != awstype.VpcPeeringConnection {
			assert.NotEqual(t, "vpc-0a1b2c3d4e5f60718", r.String("vpcId"), "%s %s in the existing VPC", r.Type, r.Name)
		}
	}
	ext := g.Named(t, "internal-alb:network:ExistingVpc", "legacy")
	assert.Equal(t, "10.40.0.0/16", ext.Inputs["cidr"], "the look-ups are in the state")
}

func TestExistingVpcRefused(t *testing.T) {
	a := existingArgs()
	a.EnableDNSHostnames = false
	require.ErrorContains(t, a.Check("legacy"), "has DNS support on and DNS hostnames off")
	a = existingArgs()
	a.Subnets = nil
	require.ErrorContains(t, a.Check("legacy"), "has no subnet to connect")
}
