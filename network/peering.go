package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
)

// PeeringArgs name the hub (the service VPC) and its spokes (the consumers).
type PeeringArgs struct {
	Hub    *Vpc
	Spokes []*Vpc
}

// Peering is hub-and-spoke VPC peering: one accepted connection from the hub
// to each spoke (requested from the hub's account, accepted in a spoke's
// own when it is another), and routes for the other side's block in every private route
// table of both. Spokes are not peered with each other, and public route
// tables get no cross-VPC routes: only the private tiers talk.
type Peering struct {
	pulumi.ResourceState

	// ConnectionIDs are the peering connection ids, index i for spoke i.
	ConnectionIDs []pulumi.StringOutput
}

// NewPeering creates the peering connections and their routes.
func NewPeering(ctx *pulumi.Context, name string, args *PeeringArgs, opts ...pulumi.ResourceOption) (*Peering, error) {
	if args.Hub == nil || len(args.Spokes) == 0 {
		return nil, fmt.Errorf("network: peering %s needs a hub and at least one spoke", name)
	}
	p := &Peering{}
	if err := ctx.RegisterComponentResource("internal-alb:network:Peering", name, p, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(p)
	hub := args.Hub
	for _, spoke := range args.Spokes {
		n := fmt.Sprintf("%s-%s-%s", name, hub.Name(), spoke.Name())
		id, err := connect(ctx, n, hub, spoke, in)
		if err != nil {
			return nil, err
		}
		p.ConnectionIDs = append(p.ConnectionIDs, id)
		via := func(a *ec2.RouteArgs) { a.VpcPeeringConnectionId = id }
		if err := routeTo(ctx, n+"-to-"+spoke.Name(), hub, spoke.Cidr, via, in); err != nil {
			return nil, err
		}
		if err := routeTo(ctx, n+"-to-"+hub.Name(), spoke, hub.Cidr, via, in); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"connectionIds": inputs.StringArray(p.ConnectionIDs)}); err != nil {
		return nil, err
	}
	return p, nil
}

// connect requests the connection from the hub and, for a spoke in another
// account, accepts it there. The id it returns is known once the
// connection is active, so what uses it (routes, group references) waits
// for the acceptance.
func connect(ctx *pulumi.Context, n string, hub, spoke *Vpc, in pulumi.ResourceOption) (pulumi.StringOutput, error) {
	args := &ec2.VpcPeeringConnectionArgs{
		VpcId:      hub.VpcID,
		PeerVpcId:  spoke.VpcID,
		AutoAccept: pulumi.Bool(true), // same account and region
		Tags:       pulumi.StringMap{"Name": pulumi.String(n)},
	}
	if spoke.Owner.Foreign() {
		// The other account accepts; the requester cannot.
		args.AutoAccept, args.PeerOwnerId = nil, pulumi.String(spoke.Owner.Account)
	}
	pcx, err := ec2.NewVpcPeeringConnection(ctx, n, args, hub.Options(in)...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
	}
	if !spoke.Owner.Foreign() {
		return pcx.ID().ToStringOutput(), nil
	}
	acc, err := ec2.NewVpcPeeringConnectionAccepter(ctx, n+"-accept", &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: pcx.ID(),
		AutoAccept:             pulumi.Bool(true),
		Tags:                   pulumi.StringMap{"Name": pulumi.String(n)},
	}, spoke.Options(in)...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
	}
	return acc.VpcPeeringConnectionId, nil
}

// routeTo adds a route for dest to every private route table of from, through
// the target that via sets, in from's account.
func routeTo(ctx *pulumi.Context, name string, from *Vpc, dest string, via func(*ec2.RouteArgs), opts ...pulumi.ResourceOption) error {
	for i, rt := range from.PrivateRouteTableIDs {
		args := &ec2.RouteArgs{RouteTableId: rt, DestinationCidrBlock: pulumi.String(dest)}
		via(args)
		if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-%d", name, i+1), args, from.Options(opts...)...); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	return nil
}
