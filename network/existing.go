package network

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ExistingVpcArgs describe a VPC the stack does not own, as the program
// looked it up: the stack adds routes, endpoints and instances to it and
// never changes or deletes what was there.
type ExistingVpcArgs struct {
	VpcID string
	Cidr  string
	// Subnets are the subnets the stack connects, with their route tables.
	Subnets []ExistingSubnet
	// EnableDNSSupport and EnableDNSHostnames are the VPC's DNS attributes;
	// both must be on for the private zone and the endpoint's private DNS.
	EnableDNSSupport, EnableDNSHostnames bool
	// AccountID is the account the VPC is in, recorded in the outputs;
	// Owner is set only when that is not the stack's own.
	AccountID string
	Owner     Owner
}

// ExistingSubnet is one subnet of an existing VPC.
type ExistingSubnet struct {
	ID               string `json:"id"`
	Cidr             string `json:"cidr"`
	AvailabilityZone string `json:"availabilityZone"`
	RouteTableID     string `json:"routeTableId"`
}

// Check returns what NewExistingVpc would refuse, before anything is created.
func (args *ExistingVpcArgs) Check(name string) error {
	switch {
	case len(args.Subnets) == 0:
		return fmt.Errorf("network: vpc %s (%s) has no subnet to connect", name, args.VpcID)
	case !args.EnableDNSSupport || !args.EnableDNSHostnames:
		return fmt.Errorf("network: vpc %s (%s) has DNS support %s and DNS hostnames %s; the private zone and the Lambda endpoint's private DNS need both on: aws ec2 modify-vpc-attribute --vpc-id %s --enable-dns-support and again with --enable-dns-hostnames", name, args.VpcID, onOff(args.EnableDNSSupport), onOff(args.EnableDNSHostnames), args.VpcID)
	}
	for _, s := range args.Subnets {
		if s.RouteTableID == "" {
			return fmt.Errorf("network: vpc %s: subnet %s has no route table", name, s.ID)
		}
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// NewExistingVpc records an existing VPC as a component, with what was
// looked up as its outputs (what the verifier models it from), and returns
// it as a Vpc whose private tier is the subnets to connect. It creates no
// resource: connecting the VPC adds routes to its route tables, and each
// route is the stack's own.
func NewExistingVpc(ctx *pulumi.Context, name string, args *ExistingVpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	if err := args.Check(name); err != nil {
		return nil, err
	}
	v := &Vpc{name: name, Cidr: args.Cidr, Owner: args.Owner, Existing: true}
	str := func(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }
	seenTable, seenAz := map[string]bool{}, map[string]bool{}
	subnets := pulumi.Array{}
	for _, s := range args.Subnets {
		v.PrivateSubnetIDs = append(v.PrivateSubnetIDs, str(s.ID))
		v.PrivateSubnetCidrs = append(v.PrivateSubnetCidrs, s.Cidr)
		if !seenTable[s.RouteTableID] { // one route per table, however many subnets share it
			seenTable[s.RouteTableID] = true
			v.PrivateRouteTableIDs = append(v.PrivateRouteTableIDs, str(s.RouteTableID))
		}
		if !seenAz[s.AvailabilityZone] {
			seenAz[s.AvailabilityZone] = true
			v.attachmentSubnetIDs = append(v.attachmentSubnetIDs, str(s.ID))
		}
		subnets = append(subnets, pulumi.Map{
			"id": pulumi.String(s.ID), "cidr": pulumi.String(s.Cidr),
			"availabilityZone": pulumi.String(s.AvailabilityZone), "routeTableId": pulumi.String(s.RouteTableID),
		})
	}
	// The look-ups are the component's inputs (in the state, and in a
	// plan) and its outputs.
	looked := pulumi.Map{
		"vpcId":              pulumi.String(args.VpcID),
		"cidr":               pulumi.String(args.Cidr),
		"account":            pulumi.String(args.AccountID),
		"enableDnsSupport":   pulumi.Bool(args.EnableDNSSupport),
		"enableDnsHostnames": pulumi.Bool(args.EnableDNSHostnames),
		"subnets":            subnets,
	}
	if err := ctx.RegisterComponentResourceV2("internal-alb:network:ExistingVpc", name, looked, v, args.Owner.ComponentOptions(opts...)...); err != nil {
		return nil, err
	}
	v.VpcID = str(args.VpcID)
	if err := ctx.RegisterResourceOutputs(v, looked); err != nil {
		return nil, err
	}
	return v, nil
}
