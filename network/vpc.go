// Package network builds the VPCs of the stack (subnets, gateways, route
// tables, endpoints, bastion), the client instances in them, and the
// connectivity between them (VPC peering or a Transit Gateway).
package network

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/ipam"
	"github.com/internal-alb/internal-alb/internal/policy"
	"github.com/internal-alb/internal-alb/internal/sg"
)

// VpcArgs configure one VPC.
type VpcArgs struct {
	Cidr               string   // the VPC's IPv4 block
	AvailabilityZones  []string // one public and one private subnet in each
	SubnetPrefixLength int
	Nat                NatMode
	S3GatewayEndpoint  bool
	Region             string // for endpoint service names
	// Admin is how administrators reach the instances (nil: no way in).
	Admin *AdminArgs
	// Flows are the traffic the private tier's network ACL admits besides
	// administrators' SSH and HTTPS out through S3 or NAT.
	Flows []Flow
	// S3Writable are object ARN patterns the S3 gateway endpoint lets
	// through for writing; reading is only the Amazon Linux repositories.
	S3Writable []pulumi.StringInput
	// FlowLogDestination is an S3 ARN (with a folder) for the VPC's flow
	// logs (nil: no flow log).
	FlowLogDestination pulumi.StringInput
	// Owner is the account the VPC is created in (zero: the stack's own).
	Owner Owner
}

// Owner is the AWS account a VPC lives in, and the provider that acts there.
type Owner struct {
	// Account is the 12-digit account id, "" for the stack's own account.
	Account string
	// Provider acts in Account (nil for the stack's own account).
	Provider pulumi.ProviderResource
}

// Foreign reports whether the VPC is in another account than the stack's.
func (o Owner) Foreign() bool { return o.Account != "" }

// options are what a resource in the owner's account needs: its provider.
func (o Owner) options(opts ...pulumi.ResourceOption) []pulumi.ResourceOption {
	if o.Provider == nil {
		return opts
	}
	return append(opts, pulumi.Provider(o.Provider))
}

// ComponentOptions hand the owner's provider to a component's children.
func (o Owner) ComponentOptions(opts ...pulumi.ResourceOption) []pulumi.ResourceOption {
	if o.Provider == nil {
		return opts
	}
	return append(opts, pulumi.Providers(o.Provider))
}

// AdminArgs configure administrators' SSH into the VPC: through a bastion
// with a public address, or through an EC2 Instance Connect Endpoint.
type AdminArgs struct {
	// Bastion, when set, is a bastion in the first public subnet; otherwise
	// an Instance Connect Endpoint in the first private subnet.
	Bastion *Bastion
}

// Bastion configures the VPC's SSH bastion.
type Bastion struct {
	AdminCidrs   []string
	InstanceType string
	Ami          pulumi.StringInput
	KeyName      pulumi.StringInput // optional: an EC2 key pair
}

// Admin is the VPC's administrative entry point.
type Admin struct {
	// SecurityGroupID is the group the private instances admit SSH from.
	SecurityGroupID pulumi.StringOutput
	// Bastion is set in bastion mode, EndpointID otherwise.
	Bastion    *BastionHost
	EndpointID pulumi.StringOutput
}

// BastionHost is the bastion instance.
type BastionHost struct {
	InstanceID pulumi.StringOutput
	PublicIP   pulumi.StringOutput
}

// Vpc is a VPC with public and private subnets in every AZ, an internet
// gateway, a route table per public tier and per private subnet, optional
// NAT gateways, an S3 gateway endpoint and an optional bastion. Its default
// security group is managed with no rules, so nothing can use it by accident.
type Vpc struct {
	pulumi.ResourceState

	name string
	// Cidr is the VPC's block (known at composition time).
	Cidr string
	// PrivateSubnetCidrs are the private subnets' blocks, index i in AZ i.
	PrivateSubnetCidrs []string

	VpcID                pulumi.StringOutput
	PublicSubnetIDs      []pulumi.StringOutput // index i in AZ i
	PrivateSubnetIDs     []pulumi.StringOutput // index i in AZ i
	PrivateRouteTableIDs []pulumi.StringOutput // index i for private subnet i
	// S3 is the S3 gateway endpoint (nil without one).
	S3 *GatewayEndpoint
	// Admin is nil when no administrator can reach the VPC.
	Admin *Admin
	// Owner is the account the VPC is in.
	Owner Owner
	// Existing is set for a VPC the stack looked up instead of creating.
	Existing bool
	// attachmentSubnetIDs are the subnets a Transit Gateway attachment
	// uses: at most one per AZ.
	attachmentSubnetIDs []pulumi.StringOutput
}

// Check returns the error NewVpc would return for these args before
// creating anything, so a caller can check every VPC before the first
// resource of the stack.
func (args *VpcArgs) Check(name string) error {
	_, err := args.plan(name)
	return err
}

// vpcPlan is what NewVpc computes before creating anything.
type vpcPlan struct {
	layout   ipam.Layout
	natCount int
	acls     tierAcls
}

func (args *VpcArgs) plan(name string) (vpcPlan, error) {
	var p vpcPlan
	if err := OneOf(args.Nat, NatModes); err != nil {
		return p, fmt.Errorf("network: vpc %s: NAT mode %q %v", name, args.Nat, err)
	}
	natCount := args.Nat.gateways(len(args.AvailabilityZones))
	block, err := ipam.ParseIPv4Cidr(args.Cidr)
	if err != nil {
		return p, fmt.Errorf("network: vpc %s: cidr %q: %v", name, args.Cidr, err)
	}
	layout, err := ipam.Split(block, args.SubnetPrefixLength, len(args.AvailabilityZones))
	if err != nil {
		return p, fmt.Errorf("network: vpc %s: %v", name, err)
	}
	acls := aclsFor(args.Cidr, args.Flows, args.Admin, args.S3GatewayEndpoint, natCount > 0)
	if err := acls.checkQuota(); err != nil {
		return p, fmt.Errorf("network: vpc %s: %v", name, err)
	}
	return vpcPlan{layout: layout, natCount: natCount, acls: acls}, nil
}

// NewVpc creates the VPC named name.
func NewVpc(ctx *pulumi.Context, name string, args *VpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	p, err := args.plan(name)
	if err != nil {
		return nil, err
	}
	layout, natCount, acls := p.layout, p.natCount, p.acls

	v := &Vpc{name: name, Cidr: args.Cidr, Owner: args.Owner}
	for _, p := range layout.Private {
		v.PrivateSubnetCidrs = append(v.PrivateSubnetCidrs, p.String())
	}
	if err := ctx.RegisterComponentResource("internal-alb:network:Vpc", name, v, args.Owner.ComponentOptions(opts...)...); err != nil {
		return nil, err
	}
	b := &vpcBuilder{ctx: ctx, v: v, args: args, layout: layout, in: pulumi.Parent(v)}
	for _, step := range []func() error{
		b.vpc, b.publicTier, func() error { return b.natGateways(natCount) }, b.privateTier, b.s3Endpoint,
		func() error { return b.networkAcls(acls) }, b.flowLog, b.admin,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}

	outs := pulumi.Map{
		"vpcId":                v.VpcID,
		"publicSubnetIds":      inputs.StringArray(v.PublicSubnetIDs),
		"privateSubnetIds":     inputs.StringArray(v.PrivateSubnetIDs),
		"privateRouteTableIds": inputs.StringArray(v.PrivateRouteTableIDs),
	}
	if v.S3 != nil {
		outs["s3PrefixListId"] = v.S3.PrefixListID
	}
	if v.Admin != nil {
		outs["adminSecurityGroupId"] = v.Admin.SecurityGroupID
	}
	if err := ctx.RegisterResourceOutputs(v, outs); err != nil {
		return nil, err
	}
	return v, nil
}

// vpcBuilder holds what NewVpc's steps share; each step adds one part of
// the VPC, in order.
type vpcBuilder struct {
	ctx    *pulumi.Context
	v      *Vpc
	args   *VpcArgs
	layout ipam.Layout
	in     pulumi.ResourceOption

	ec2Vpc *ec2.Vpc
	igw    *ec2.InternetGateway
	nats   []*ec2.NatGateway
}

func tags(n string, kv ...string) pulumi.StringMap {
	m := pulumi.StringMap{"Name": pulumi.String(n)}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = pulumi.String(kv[i+1])
	}
	return m
}

// vpc creates the VPC with DNS on, its default group managed with no
// rules, and its internet gateway.
func (b *vpcBuilder) vpc() error {
	name := b.v.name
	vpc, err := ec2.NewVpc(b.ctx, name, &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.args.Cidr),
		EnableDnsSupport:   pulumi.Bool(true), // private zones and endpoint private DNS need both
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               tags(name),
	}, b.in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	b.ec2Vpc = vpc
	b.v.VpcID = vpc.ID().ToStringOutput()
	if _, err := ec2.NewDefaultSecurityGroup(b.ctx, name+"-default", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  tags(name + "-default (no rules)"),
	}, b.in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	b.igw, err = ec2.NewInternetGateway(b.ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(name + "-igw"),
	}, b.in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// publicTier creates one route table with the default route to the
// internet gateway, and a public subnet per AZ.
func (b *vpcBuilder) publicTier() error {
	name := b.v.name
	rt, err := ec2.NewRouteTable(b.ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: b.ec2Vpc.ID(),
		Tags:  tags(name+"-public", "Tier", "public"),
	}, b.in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if _, err := ec2.NewRoute(b.ctx, name+"-public-internet", &ec2.RouteArgs{
		RouteTableId:         rt.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            b.igw.ID(),
	}, b.in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	for i, az := range b.args.AvailabilityZones {
		s, err := newSubnet(b.ctx, fmt.Sprintf("%s-public-%d", name, i+1), b.ec2Vpc, b.layout.Public[i], az, "public", rt, b.in)
		if err != nil {
			return err
		}
		b.v.PublicSubnetIDs = append(b.v.PublicSubnetIDs, s)
	}
	return nil
}

// natGateways creates count NAT gateways: one in the first AZ, or one per AZ.
func (b *vpcBuilder) natGateways(count int) error {
	for i := 0; i < count; i++ {
		n := fmt.Sprintf("%s-nat-%d", b.v.name, i+1)
		eip, err := ec2.NewEip(b.ctx, n, &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: tags(n)}, b.in)
		if err != nil {
			return fmt.Errorf("network: %w", err)
		}
		nat, err := ec2.NewNatGateway(b.ctx, n, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     b.v.PublicSubnetIDs[i],
			Tags:         tags(n),
		}, b.in, pulumi.DependsOn([]pulumi.Resource{b.igw}))
		if err != nil {
			return fmt.Errorf("network: %w", err)
		}
		b.nats = append(b.nats, nat)
	}
	return nil
}

// privateTier creates a route table per private subnet, so per-AZ NAT and
// cross-VPC routes have one place each.
func (b *vpcBuilder) privateTier() error {
	for i, az := range b.args.AvailabilityZones {
		n := fmt.Sprintf("%s-private-%d", b.v.name, i+1)
		rt, err := ec2.NewRouteTable(b.ctx, n, &ec2.RouteTableArgs{
			VpcId: b.ec2Vpc.ID(),
			Tags:  tags(n, "Tier", "private"),
		}, b.in)
		if err != nil {
			return fmt.Errorf("network: %w", err)
		}
		if len(b.nats) > 0 {
			if _, err := ec2.NewRoute(b.ctx, n+"-internet", &ec2.RouteArgs{
				RouteTableId:         rt.ID(),
				DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
				NatGatewayId:         b.nats[min(i, len(b.nats)-1)].ID(),
			}, b.in); err != nil {
				return fmt.Errorf("network: %w", err)
			}
		}
		s, err := newSubnet(b.ctx, n, b.ec2Vpc, b.layout.Private[i], az, "private", rt, b.in)
		if err != nil {
			return err
		}
		b.v.PrivateSubnetIDs = append(b.v.PrivateSubnetIDs, s)
		b.v.PrivateRouteTableIDs = append(b.v.PrivateRouteTableIDs, rt.ID().ToStringOutput())
	}
	return nil
}

// s3Endpoint creates the S3 gateway endpoint on the private route tables,
// when asked for.
func (b *vpcBuilder) s3Endpoint() error {
	if !b.args.S3GatewayEndpoint {
		return nil
	}
	name := b.v.name
	ep, err := ec2.NewVpcEndpoint(b.ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           b.ec2Vpc.ID(),
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", b.args.Region),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   inputs.StringArray(b.v.PrivateRouteTableIDs),
		Policy:          s3EndpointPolicy(b.args.Region, b.args.S3Writable),
		Tags:            tags(name + "-s3"),
	}, b.in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	b.v.S3 = &GatewayEndpoint{ID: ep.ID().ToStringOutput(), PrefixListID: ep.PrefixListId}
	return nil
}

// networkAcls creates a network ACL per tier: the stack's flows and their
// replies, nothing else.
func (b *vpcBuilder) networkAcls(acls tierAcls) error {
	if err := newAcl(b.ctx, b.v.name+"-public", b.ec2Vpc.ID(), acls.public, b.v.PublicSubnetIDs, b.in); err != nil {
		return err
	}
	return newAcl(b.ctx, b.v.name+"-private", b.ec2Vpc.ID(), acls.private, b.v.PrivateSubnetIDs, b.in)
}

// flowLog records all of the VPC's traffic to the destination, when given.
func (b *vpcBuilder) flowLog() error {
	if b.args.FlowLogDestination == nil {
		return nil
	}
	if _, err := ec2.NewFlowLog(b.ctx, b.v.name, &ec2.FlowLogArgs{
		VpcId:                  b.ec2Vpc.ID(),
		LogDestinationType:     pulumi.String("s3"),
		LogDestination:         b.args.FlowLogDestination,
		TrafficType:            pulumi.String("ALL"),
		MaxAggregationInterval: pulumi.Int(600),
		Tags:                   tags(b.v.name + "-flow-log"),
	}, b.in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// admin adds the administrators' entry point, when asked for.
func (b *vpcBuilder) admin() error {
	switch a := b.args.Admin; {
	case a == nil:
		return nil
	case a.Bastion != nil:
		return b.v.addBastion(b.ctx, b.v.name+"-bastion", b.ec2Vpc, b.igw, a.Bastion, b.in)
	default:
		return b.v.addConnectEndpoint(b.ctx, b.v.name+"-eice", b.ec2Vpc, b.in)
	}
}

// Name is the VPC's name in the stack ("foo").
func (v *Vpc) Name() string { return v.name }

// AttachmentSubnetIDs are the private subnets a Transit Gateway attachment
// takes: one per AZ.
func (v *Vpc) AttachmentSubnetIDs() []pulumi.StringOutput {
	if v.attachmentSubnetIDs != nil {
		return v.attachmentSubnetIDs
	}
	return v.PrivateSubnetIDs
}

// Options are the resource options of a resource created in the VPC's
// account, opts first.
func (v *Vpc) Options(opts ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return v.Owner.options(opts...)
}

// ComponentOptions are the options of a component whose resources are all
// in the VPC's account.
func (v *Vpc) ComponentOptions(opts ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return v.Owner.ComponentOptions(opts...)
}

// GatewayEndpoint is a gateway VPC endpoint.
type GatewayEndpoint struct {
	ID pulumi.StringOutput
	// PrefixListID is the service's prefix list, for security group rules.
	PrefixListID pulumi.StringOutput
}

func newSubnet(ctx *pulumi.Context, name string, vpc *ec2.Vpc, block netip.Prefix, az, tier string, rt *ec2.RouteTable, in pulumi.ResourceOption) (pulumi.StringOutput, error) {
	s, err := ec2.NewSubnet(ctx, name, &ec2.SubnetArgs{
		VpcId:            vpc.ID(),
		CidrBlock:        pulumi.String(block.String()),
		AvailabilityZone: pulumi.String(az),
		// Nothing gets a public address by accident; the bastion asks for one.
		MapPublicIpOnLaunch: pulumi.Bool(false),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name), "Tier": pulumi.String(tier)},
	}, in)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, name, &ec2.RouteTableAssociationArgs{
		SubnetId:     s.ID(),
		RouteTableId: rt.ID(),
	}, in); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("network: %w", err)
	}
	return s.ID().ToStringOutput(), nil
}

// addBastion creates the bastion's group and instance in the first public
// subnet. SSH comes in only from the admin CIDRs and goes out only to the
// VPC's own block, where the private instances admit it from this group.
func (v *Vpc) addBastion(ctx *pulumi.Context, name string, vpc *ec2.Vpc, igw *ec2.InternetGateway, b *Bastion, in pulumi.ResourceOption) error {
	group, err := sg.NewGroup(ctx, name, vpc.ID(), "SSH bastion: in from the admin CIDRs, out to this VPC", in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	for i, cidr := range b.AdminCidrs {
		if err := sg.AllowIn(ctx, fmt.Sprintf("%s-ssh-in-%d", name, i+1), group.ID(), 22, sg.Cidr(cidr), "SSH from admin CIDR "+cidr, in); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	if err := sg.AllowOut(ctx, name+"-ssh-out", group.ID(), 22, sg.Cidr(v.Cidr), "SSH to the private instances of this VPC", in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	inst, err := instance.New(ctx, name, instance.Args{
		Ami:              b.Ami,
		InstanceType:     b.InstanceType,
		SubnetID:         v.PublicSubnetIDs[0],
		SecurityGroupIDs: pulumi.StringArray{group.ID()},
		KeyName:          b.KeyName,
		Role:             "bastion",
		ElasticIP:        true,
	}, in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	// The bastion's address is an Elastic IP: an auto-assigned one changes
	// on every stop and start, and the outputs and commands naming it would
	// go stale. AWS associates one only once the VPC has its internet gateway.
	eip, err := ec2.NewEip(ctx, name, &ec2.EipArgs{
		Domain:   pulumi.String("vpc"),
		Instance: inst.ID(),
		Tags:     tags(name),
	}, in, pulumi.DependsOn([]pulumi.Resource{igw}))
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	v.Admin = &Admin{
		SecurityGroupID: group.ID().ToStringOutput(),
		Bastion:         &BastionHost{InstanceID: inst.ID().ToStringOutput(), PublicIP: eip.PublicIp},
	}
	return nil
}

// addConnectEndpoint creates an EC2 Instance Connect Endpoint in the first
// private subnet: administrators reach the instances through AWS's API with
// IAM, and no instance needs a public address. The endpoint sends SSH from
// its own address (client addresses not preserved), so the instances can
// admit its group by reference.
func (v *Vpc) addConnectEndpoint(ctx *pulumi.Context, name string, vpc *ec2.Vpc, in pulumi.ResourceOption) error {
	group, err := sg.NewGroup(ctx, name, vpc.ID(), "EC2 Instance Connect Endpoint: SSH out to this VPC", in)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := sg.AllowOut(ctx, name+"-ssh-out", group.ID(), 22, sg.Cidr(v.Cidr), "SSH to the private instances of this VPC", in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	ep, err := ec2transitgateway.NewInstanceConnectEndpoint(ctx, name, &ec2transitgateway.InstanceConnectEndpointArgs{
		SubnetId:         v.PrivateSubnetIDs[0],
		SecurityGroupIds: pulumi.StringArray{group.ID()},
		PreserveClientIp: pulumi.Bool(false),
		Tags:             pulumi.StringMap{"Name": pulumi.String(name)},
	}, in, pulumi.DeleteBeforeReplace(true)) // AWS allows one endpoint per VPC
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	v.Admin = &Admin{SecurityGroupID: group.ID().ToStringOutput(), EndpointID: ep.ID().ToStringOutput()}
	return nil
}

// AmazonLinuxRepos is the S3 bucket that serves a region's Amazon Linux 2023
// package repositories; dnf reaches it through the S3 gateway endpoint.
func AmazonLinuxRepos(region string) string {
	return "arn:aws:s3:::al2023-repos-" + region + "-de612dc2"
}

// s3EndpointPolicy lets through the gateway endpoint only reads of the
// Amazon Linux repositories and writes to the writable object patterns.
// Principal "*": dnf's requests are anonymous; the resources are the limit.
func s3EndpointPolicy(region string, writable []pulumi.StringInput) pulumi.StringOutput {
	var ins []any
	for _, w := range writable {
		ins = append(ins, w)
	}
	return pulumi.All(ins...).ApplyT(func(v []any) (string, error) {
		var objects []string
		for _, o := range v {
			objects = append(objects, o.(string))
		}
		return S3EndpointPolicy(region, objects)
	}).(pulumi.StringOutput)
}

// S3EndpointPolicy is the document s3EndpointPolicy resolves to.
func S3EndpointPolicy(region string, writable []string) (string, error) {
	s := []policy.Statement{{
		Sid: "AmazonLinuxRepositories", Effect: "Allow", Principal: "*",
		Action: "s3:GetObject", Resource: AmazonLinuxRepos(region) + "/*",
	}}
	if len(writable) > 0 {
		s = append(s, policy.Statement{
			Sid: "StackObjects", Effect: "Allow", Principal: "*",
			Action: "s3:PutObject", Resource: writable,
		})
	}
	return policy.Of(s...).JSON()
}
