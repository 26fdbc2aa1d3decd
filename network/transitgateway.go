package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ram"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
)

// TransitGatewayArgs name the hub (the service VPC) and its spokes.
type TransitGatewayArgs struct {
	Hub    *Vpc
	Spokes []*Vpc
	// Sharing is how spokes of other accounts get the gateway
	// (ShareInOrganization when empty).
	Sharing Sharing
}

// TransitGateway connects the hub to every spoke through one Transit Gateway,
// hub-and-spoke: the hub's attachment is associated with a "hub" route table
// that learns every spoke, and the spokes' attachments with a "spokes" route
// table that learns only the hub, so spokes cannot reach each other. Each
// attachment sits in its VPC's private subnets, and every private route
// table of both sides routes the other side's block to the gateway.
type TransitGateway struct {
	pulumi.ResourceState

	TransitGatewayID pulumi.StringOutput
	// AttachmentIDs are the VPC attachments: the hub's first, then each spoke's.
	AttachmentIDs []pulumi.StringOutput
}

// NewTransitGateway creates the gateway, its attachments, route tables and
// the VPC routes.
func NewTransitGateway(ctx *pulumi.Context, name string, args *TransitGatewayArgs, opts ...pulumi.ResourceOption) (*TransitGateway, error) {
	if args.Hub == nil || len(args.Spokes) == 0 {
		return nil, fmt.Errorf("network: transit gateway %s needs a hub and at least one spoke", name)
	}
	t := &TransitGateway{}
	if err := ctx.RegisterComponentResource("internal-alb:network:TransitGateway", name, t, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(t)

	tgw, err := ec2transitgateway.NewTransitGateway(ctx, name, &ec2transitgateway.TransitGatewayArgs{
		Description:                  pulumi.String("hub-and-spoke between the service VPC and its consumers"),
		AutoAcceptSharedAttachments:  pulumi.String("disable"),
		DefaultRouteTableAssociation: pulumi.String("disable"),
		DefaultRouteTablePropagation: pulumi.String("disable"),
		DnsSupport:                   pulumi.String("enable"),
		Tags:                         pulumi.StringMap{"Name": pulumi.String(name)},
	}, in)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	t.TransitGatewayID = tgw.ID().ToStringOutput()

	table := func(n string) (*ec2transitgateway.RouteTable, error) {
		rt, err := ec2transitgateway.NewRouteTable(ctx, n, &ec2transitgateway.RouteTableArgs{
			TransitGatewayId: tgw.ID(),
			Tags:             pulumi.StringMap{"Name": pulumi.String(n)},
		}, in)
		if err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
		return rt, nil
	}
	hubTable, err := table(name + "-hub")
	if err != nil {
		return nil, err
	}
	spokeTable, err := table(name + "-spokes")
	if err != nil {
		return nil, err
	}

	share, err := shareWithSpokes(ctx, name, tgw, args, in)
	if err != nil {
		return nil, err
	}
	attach := func(v *Vpc, assoc, learnedBy *ec2transitgateway.RouteTable) (pulumi.StringOutput, error) {
		n := name + "-" + v.Name()
		attachOpts := v.Options(in)
		if v.Owner.Foreign() {
			// The gateway is visible in the spoke's account once shared.
			attachOpts = append(attachOpts, pulumi.DependsOn(share))
		}
		attArgs := &ec2transitgateway.VpcAttachmentArgs{
			TransitGatewayId: tgw.ID(),
			VpcId:            v.VpcID,
			SubnetIds:        inputs.StringArray(v.AttachmentSubnetIDs()),
			DnsSupport:       pulumi.String("enable"),
			TransitGatewayDefaultRouteTableAssociation: pulumi.Bool(false),
			TransitGatewayDefaultRouteTablePropagation: pulumi.Bool(false),
			Tags: pulumi.StringMap{"Name": pulumi.String(n)},
		}
		if v.Owner.Foreign() {
			// Only the gateway's account sets these, on the accepter; read
			// from the attaching account they are not there to compare.
			attArgs.TransitGatewayDefaultRouteTableAssociation = nil
			attArgs.TransitGatewayDefaultRouteTablePropagation = nil
		}
		att, err := ec2transitgateway.NewVpcAttachment(ctx, n, attArgs, attachOpts...)
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
		}
		id := att.ID().ToStringOutput()
		if v.Owner.Foreign() {
			// Shared attachments wait for the owner's acceptance (the gateway
			// does not accept them on its own); the id is known once accepted.
			acc, err := ec2transitgateway.NewVpcAttachmentAccepter(ctx, n+"-accept", &ec2transitgateway.VpcAttachmentAccepterArgs{
				TransitGatewayAttachmentId:                 att.ID(),
				TransitGatewayDefaultRouteTableAssociation: pulumi.Bool(false),
				TransitGatewayDefaultRouteTablePropagation: pulumi.Bool(false),
				Tags: pulumi.StringMap{"Name": pulumi.String(n)},
			}, in)
			if err != nil {
				return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
			}
			id = acc.TransitGatewayAttachmentId
		}
		if _, err := ec2transitgateway.NewRouteTableAssociation(ctx, n, &ec2transitgateway.RouteTableAssociationArgs{
			TransitGatewayAttachmentId: id,
			TransitGatewayRouteTableId: assoc.ID(),
		}, in); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
		}
		if _, err := ec2transitgateway.NewRouteTablePropagation(ctx, n, &ec2transitgateway.RouteTablePropagationArgs{
			TransitGatewayAttachmentId: id,
			TransitGatewayRouteTableId: learnedBy.ID(),
		}, in); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
		}
		t.AttachmentIDs = append(t.AttachmentIDs, id)
		return id, nil
	}

	hub := args.Hub
	hubAtt, err := attach(hub, hubTable, spokeTable)
	if err != nil {
		return nil, err
	}
	for _, spoke := range args.Spokes {
		spokeAtt, err := attach(spoke, spokeTable, hubTable)
		if err != nil {
			return nil, err
		}
		// A VPC route to a gateway is refused until the VPC is attached:
		// the gateway id each route takes is known once its side's
		// attachment is (accepted, for a spoke in another account).
		if err := routeTo(ctx, name+"-"+hub.Name()+"-to-"+spoke.Name(), hub, spoke.Cidr, viaGateway(tgw, hubAtt), in); err != nil {
			return nil, err
		}
		if err := routeTo(ctx, name+"-"+spoke.Name()+"-to-"+hub.Name(), spoke, hub.Cidr, viaGateway(tgw, spokeAtt), in); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(t, pulumi.Map{
		"transitGatewayId": t.TransitGatewayID,
		"attachmentIds":    inputs.StringArray(t.AttachmentIDs),
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// viaGateway routes through the gateway once the attachment is known.
func viaGateway(tgw *ec2transitgateway.TransitGateway, attachment pulumi.StringOutput) func(*ec2.RouteArgs) {
	id := pulumi.All(tgw.ID(), attachment).ApplyT(func(v []any) string { return string(v[0].(pulumi.ID)) }).(pulumi.StringOutput)
	return func(a *ec2.RouteArgs) { a.TransitGatewayId = id }
}

// shareWithSpokes shares the gateway, through AWS RAM, with the accounts of
// the spokes that are in another account, and returns what an attachment
// from those accounts waits for (nothing when every spoke is local): the
// share's associations, and, by invitation, each account's acceptance.
func shareWithSpokes(ctx *pulumi.Context, name string, tgw *ec2transitgateway.TransitGateway, args *TransitGatewayArgs, in pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var accounts []Owner
	seen := map[string]bool{}
	for _, s := range args.Spokes {
		if s.Owner.Foreign() && !seen[s.Owner.Account] {
			seen[s.Owner.Account] = true
			accounts = append(accounts, s.Owner)
		}
	}
	if len(accounts) == 0 {
		return nil, nil
	}
	byInvitation := args.Sharing == ShareByInvitation
	share, err := ram.NewResourceShare(ctx, name, &ram.ResourceShareArgs{
		Name:                    pulumi.String(name),
		AllowExternalPrincipals: pulumi.Bool(byInvitation),
		Tags:                    pulumi.StringMap{"Name": pulumi.String(name)},
	}, in)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	res, err := ram.NewResourceAssociation(ctx, name, &ram.ResourceAssociationArgs{
		ResourceArn:      tgw.Arn,
		ResourceShareArn: share.Arn,
	}, in)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	waits := []pulumi.Resource{res}
	for _, a := range accounts {
		p, err := ram.NewPrincipalAssociation(ctx, name+"-"+a.Account, &ram.PrincipalAssociationArgs{
			Principal:        pulumi.String(a.Account),
			ResourceShareArn: share.Arn,
		}, in)
		if err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
		waits = append(waits, p)
		if !byInvitation {
			continue
		}
		acc, err := ram.NewResourceShareAccepter(ctx, name+"-"+a.Account+"-accept", &ram.ResourceShareAccepterArgs{
			ShareArn: share.Arn,
		}, a.options(in, pulumi.DependsOn([]pulumi.Resource{p, res}))...)
		if err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
		waits = append(waits, acc)
	}
	return waits, nil
}
