// Package sg builds security groups the way every component here wants them:
// a described group with no inline rules, and one resource per rule.
package sg

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NewGroup creates a security group with a description and no rules. AWS's
// default allow-all egress rule is removed by the provider, so a group
// allows nothing until rules are added.
func NewGroup(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, description string, opts ...pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	g, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       vpcID,
		Description: pulumi.String(description),
		Tags:        pulumi.StringMap{"Name": pulumi.String(name)},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("security group %s: %w", name, err)
	}
	return g, nil
}

// Peer is the other end of a TCP rule: exactly one of its fields is set.
type Peer struct {
	Cidr       string             // an IPv4 block
	Group      pulumi.StringInput // a security group id
	PrefixList pulumi.StringInput // a managed prefix list id (e.g. S3's)
}

// Cidr is a Peer given by an IPv4 block.
func Cidr(c string) Peer { return Peer{Cidr: c} }

// Group is a Peer given by a security group id.
func Group(id pulumi.StringInput) Peer { return Peer{Group: id} }

// PrefixList is a Peer given by a managed prefix list id.
func PrefixList(id pulumi.StringInput) Peer { return Peer{PrefixList: id} }

// AllowIn admits TCP port from peer into group.
func AllowIn(ctx *pulumi.Context, name string, group pulumi.StringInput, port int, peer Peer, description string, opts ...pulumi.ResourceOption) error {
	r, err := rule(name, group, port, peer, description)
	if err != nil {
		return err
	}
	args := &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: r.group, IpProtocol: r.protocol, FromPort: r.port, ToPort: r.port,
		Description: r.description, Tags: r.tags,
		CidrIpv4: r.cidr, ReferencedSecurityGroupId: r.referenced, PrefixListId: r.prefixList,
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name, args, opts...); err != nil {
		return fmt.Errorf("ingress rule %s: %w", name, err)
	}
	return nil
}

// AllowOut lets group send TCP port to peer.
func AllowOut(ctx *pulumi.Context, name string, group pulumi.StringInput, port int, peer Peer, description string, opts ...pulumi.ResourceOption) error {
	r, err := rule(name, group, port, peer, description)
	if err != nil {
		return err
	}
	args := &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: r.group, IpProtocol: r.protocol, FromPort: r.port, ToPort: r.port,
		Description: r.description, Tags: r.tags,
		CidrIpv4: r.cidr, ReferencedSecurityGroupId: r.referenced, PrefixListId: r.prefixList,
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name, args, opts...); err != nil {
		return fmt.Errorf("egress rule %s: %w", name, err)
	}
	return nil
}

// ruleInputs are what an ingress and an egress rule share: the two
// resource types differ only in their args' type.
type ruleInputs struct {
	group                        pulumi.StringInput
	protocol, description        pulumi.String
	port                         pulumi.Int
	tags                         pulumi.StringMap
	cidr, referenced, prefixList pulumi.StringPtrInput
}

func rule(name string, group pulumi.StringInput, port int, peer Peer, description string) (ruleInputs, error) {
	r := ruleInputs{
		group: group, protocol: "tcp", port: pulumi.Int(port), description: pulumi.String(description),
		tags: pulumi.StringMap{"Name": pulumi.String(name)},
	}
	switch {
	case peer.Cidr != "":
		r.cidr = pulumi.StringPtr(peer.Cidr)
	case peer.Group != nil:
		r.referenced = peer.Group.ToStringOutput().ToStringPtrOutput()
	case peer.PrefixList != nil:
		r.prefixList = peer.PrefixList.ToStringOutput().ToStringPtrOutput()
	default:
		return r, fmt.Errorf("rule %s: the peer has no CIDR, group or prefix list", name)
	}
	return r, nil
}
