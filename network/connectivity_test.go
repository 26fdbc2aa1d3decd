package network_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/network"
)

var (
	oneConsumer    = map[string]string{"bar": "10.3.0.0/16"}
	threeConsumers = map[string]string{"bar": "10.3.0.0/16", "baz": "10.4.0.0/16", "qux": "10.5.0.0/16"}
)

// runConnected composes the service VPC foo, the consumers and the
// connectivity between them.
func runConnected(t *testing.T, mode network.Connectivity, consumers map[string]string) (plantest.Graph, []pulumi.StringOutput) {
	t.Helper()
	var ids []pulumi.StringOutput
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		hub, err := network.NewVpc(ctx, "foo", seedArgs("foo"))
		if err != nil {
			return err
		}
		var spokes []*network.Vpc
		for _, name := range []string{"bar", "baz", "qux"} {
			cidr, ok := consumers[name]
			if !ok {
				continue
			}
			a := seedArgs("bar")
			a.Cidr, a.Flows = cidr, nil
			v, err := network.NewVpc(ctx, name, a)
			if err != nil {
				return err
			}
			spokes = append(spokes, v)
		}
		switch mode {
		case network.ByPeering:
			p, err := network.NewPeering(ctx, "peering", &network.PeeringArgs{Hub: hub, Spokes: spokes})
			if err != nil {
				return err
			}
			ids = p.ConnectionIDs
		case network.ByTransitGateway:
			tgw, err := network.NewTransitGateway(ctx, "tgw", &network.TransitGatewayArgs{Hub: hub, Spokes: spokes})
			if err != nil {
				return err
			}
			ids = append([]pulumi.StringOutput{tgw.TransitGatewayID}, tgw.AttachmentIDs...)
		}
		return nil
	})
	return g, ids
}

// crossRoutes lists the graph's routes to another VPC (peering or Transit
// Gateway) as "<route table> -> <destination>", checking on the way that
// each peering route uses a connection of its own VPC to the peer's block.
func crossRoutes(t *testing.T, g plantest.Graph) []string {
	var got []string
	for _, r := range g.OfType(awstype.Route) {
		dest := r.String("destinationCidrBlock")
		if dest == "0.0.0.0/0" {
			continue
		}
		via := r.String("vpcPeeringConnectionId") + r.String("transitGatewayId")
		require.NotEmpty(t, via, r.Name)
		target := g.Ref(t, via)
		if target.Type == awstype.VpcPeeringConnection {
			// The connection must join the route's VPC and the destination's.
			a, b := g.Ref(t, target.Prop("vpcId")), g.Ref(t, target.Prop("peerVpcId"))
			from := g.Ref(t, g.Ref(t, r.Prop("routeTableId")).Prop("vpcId"))
			other := a
			if from.ID == a.ID {
				other = b
			} else {
				require.Equal(t, from.ID, b.ID, "%s uses a connection of another VPC", r.Name)
			}
			require.Equal(t, other.String("cidrBlock"), dest, "%s routes the peer's block", r.Name)
		}
		got = append(got, g.Ref(t, r.Prop("routeTableId")).Name+" -> "+dest)
	}
	return got
}

func wantCrossRoutes(consumers map[string]string) []string {
	var want []string
	for name, cidr := range consumers {
		for _, i := range []string{"1", "2"} {
			want = append(want, "foo-private-"+i+" -> "+cidr, name+"-private-"+i+" -> 10.2.0.0/16")
		}
	}
	return want
}

// Every private route table of the hub routes each spoke's block, and each
// spoke's routes the hub's; public tables get none, spokes none to each
// other.
func TestCrossVpcRoutesBothWays(t *testing.T) {
	for _, mode := range network.Connectivities {
		for _, want := range []map[string]string{oneConsumer, threeConsumers} {
			t.Run(fmt.Sprintf("%s/%d", mode, len(want)), func(t *testing.T) {
				g, ids := runConnected(t, mode, want)
				assert.ElementsMatch(t, wantCrossRoutes(want), crossRoutes(t, g))
				if mode == network.ByPeering {
					assert.Len(t, g.OfType(awstype.VpcPeeringConnection), len(want), "hub-and-spoke: one connection per consumer")
					assert.Len(t, ids, len(want))
					for _, p := range g.OfType(awstype.VpcPeeringConnection) {
						assert.Equal(t, "foo", g.Ref(t, p.Prop("vpcId")).Name)
						assert.Equal(t, true, p.Prop("autoAccept"))
						assert.Equal(t, "peering-foo-"+g.Ref(t, p.Prop("peerVpcId")).Name, p.Name)
					}
					assert.Empty(t, g.OfType(awstype.TransitGateway))
				} else {
					assert.Empty(t, g.OfType(awstype.VpcPeeringConnection))
					assert.Len(t, g.OfType(awstype.TgwVpcAttachment), len(want)+1)
					assert.Len(t, ids, len(want)+2, "the gateway, then an attachment per VPC")
				}
			})
		}
	}
}

// Hub-and-spoke on a Transit Gateway: no default route table and no
// auto-accept; each attachment in its VPC's private subnets; the hub's
// table learns every consumer, the spokes' only the hub; every VPC route
// to the gateway waits for its VPC's attachment.
func TestTransitGatewayIsHubAndSpoke(t *testing.T) {
	g, ids := runConnected(t, network.ByTransitGateway, threeConsumers)
	gw := g.One(t, awstype.TransitGateway)
	assert.Equal(t, "disable", gw.String("autoAcceptSharedAttachments"))
	assert.Equal(t, "disable", gw.String("defaultRouteTableAssociation"))
	assert.Equal(t, "disable", gw.String("defaultRouteTablePropagation"))
	gwID := make(chan string, 1)
	ids[0].ApplyT(func(s string) string { gwID <- s; return s })
	assert.Equal(t, "tgw-tgw", <-gwID)

	attVpc := map[string]string{} // attachment id → VPC name
	for _, a := range g.OfType(awstype.TgwVpcAttachment) {
		assert.Equal(t, gw.ID, a.String("transitGatewayId"))
		assert.Equal(t, false, a.Prop("transitGatewayDefaultRouteTableAssociation"))
		assert.Equal(t, false, a.Prop("transitGatewayDefaultRouteTablePropagation"))
		vpc := g.Ref(t, a.Prop("vpcId")).Name
		attVpc[a.ID] = vpc
		assert.ElementsMatch(t, []string{vpc + "-private-1", vpc + "-private-2"}, g.Names(t, a.Prop("subnetIds")))
	}
	table := func(r graph.Resource) string { return g.Ref(t, r.Prop("transitGatewayRouteTableId")).Name }
	assoc, props := map[string]string{}, map[string][]string{}
	for _, a := range g.OfType(awstype.TgwRouteTableAssociation) {
		assoc[attVpc[a.String("transitGatewayAttachmentId")]] = table(a)
	}
	for _, p := range g.OfType(awstype.TgwRouteTablePropagation) {
		props[table(p)] = append(props[table(p)], attVpc[p.String("transitGatewayAttachmentId")])
	}
	assert.Equal(t, map[string]string{"foo": "tgw-hub", "bar": "tgw-spokes", "baz": "tgw-spokes", "qux": "tgw-spokes"}, assoc)
	assert.ElementsMatch(t, []string{"bar", "baz", "qux"}, props["tgw-hub"], "the hub learns every consumer")
	assert.Equal(t, []string{"foo"}, props["tgw-spokes"], "consumers learn only the hub")

	for _, r := range g.OfType(awstype.Route) {
		if r.String("transitGatewayId") == "" {
			continue
		}
		vpc := g.Ref(t, g.Ref(t, r.Prop("routeTableId")).Prop("vpcId")).Name
		var deps []string
		for _, d := range r.Dependencies {
			if dr, ok := g.ByURN(d); ok && dr.Type == awstype.TgwVpcAttachment {
				deps = append(deps, attVpc[dr.ID])
			}
		}
		assert.Contains(t, deps, vpc, "%s depends on its VPC's attachment", r.Name)
	}
}

// The connectivity components own the connections and routes they make.
func TestConnectivityOwnsItsResources(t *testing.T) {
	for mode, typ := range map[network.Connectivity]string{
		network.ByPeering: "internal-alb:network:Peering", network.ByTransitGateway: "internal-alb:network:TransitGateway",
	} {
		g, _ := runConnected(t, mode, oneConsumer)
		comp := g.One(t, typ)
		n := 0
		for _, r := range g.Graph {
			if r.Parent == comp.URN {
				n++
				assert.True(t, strings.HasPrefix(r.Name, comp.Name), "%s is named after %s", r.Name, comp.Name)
			}
		}
		assert.Positive(t, n, mode)
		for _, r := range g.OfType(awstype.Route) {
			if r.String("destinationCidrBlock") != "0.0.0.0/0" {
				assert.Equal(t, comp.URN, r.Parent, r.Name)
			}
		}
	}
}

func TestConnectivityRefusesNoSpokes(t *testing.T) {
	for want, build := range map[string]func(*pulumi.Context) error{
		"network: peering p needs a hub and at least one spoke": func(ctx *pulumi.Context) error {
			_, err := network.NewPeering(ctx, "p", &network.PeeringArgs{})
			return err
		},
		"network: transit gateway t needs a hub and at least one spoke": func(ctx *pulumi.Context) error {
			_, err := network.NewTransitGateway(ctx, "t", &network.TransitGatewayArgs{})
			return err
		},
	} {
		g, err := plantest.RunErr(build)
		require.Error(t, err)
		assert.Equal(t, want, plantest.Message(err))
		assert.Empty(t, g.Graph, "nothing registered")
	}
}
