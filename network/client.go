package network

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/sg"
)

// ClientArgs configure a client instance in a consumer VPC.
type ClientArgs struct {
	Vpc          *Vpc
	Ami          pulumi.StringInput
	InstanceType string
	// ServiceCidr is the service VPC's block, where the ALB's nodes are.
	ServiceCidr string
	// EndpointSecurityGroupID is the group of the Lambda interface endpoint
	// in this VPC: the client sends HTTPS to it, and it admits the client.
	EndpointSecurityGroupID pulumi.StringInput
	// InstanceProfile lets the client invoke the function.
	InstanceProfile pulumi.StringInput
	// KeyName is an EC2 key pair for SSH (optional).
	KeyName pulumi.StringInput
}

// Client is the instance in a consumer VPC's first private subnet from which
// the mission's paths are tried: HTTP to the ALB in the service VPC, HTTPS to
// the Lambda endpoint in its own VPC, and S3 through the gateway endpoint.
type Client struct {
	pulumi.ResourceState

	InstanceID      pulumi.StringOutput
	PrivateIP       pulumi.StringOutput
	SecurityGroupID pulumi.StringOutput
}

// NewClient creates the client's security group and instance.
func NewClient(ctx *pulumi.Context, name string, args *ClientArgs, opts ...pulumi.ResourceOption) (*Client, error) {
	c := &Client{}
	if err := ctx.RegisterComponentResource("internal-alb:network:Client", name, c, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(c)
	v := args.Vpc

	group, err := sg.NewGroup(ctx, name, v.VpcID, "Client: HTTP to the service VPC, HTTPS to the Lambda endpoint and S3", in)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	if err := sg.AllowOut(ctx, name+"-http-out", group.ID(), 80, sg.Cidr(args.ServiceCidr), "HTTP to the internal ALB in the service VPC", in); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	// Both ends of the path to the endpoint: the endpoint's group admits
	// exactly the groups of the clients that invoke through it.
	if err := sg.AllowOut(ctx, name+"-lambda-out", group.ID(), 443, sg.Group(args.EndpointSecurityGroupID), "HTTPS to the Lambda interface endpoint", in); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	if err := sg.AllowIn(ctx, name+"-lambda-in", args.EndpointSecurityGroupID, 443, sg.Group(group.ID()), "HTTPS from "+name, in); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	if v.S3 != nil {
		if err := sg.AllowOut(ctx, name+"-s3-out", group.ID(), 443, sg.PrefixList(v.S3.PrefixListID), "HTTPS to S3 through the gateway endpoint", in); err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
	}
	if v.Admin != nil {
		if err := sg.AllowIn(ctx, name+"-ssh-in", group.ID(), 22, sg.Group(v.Admin.SecurityGroupID), "SSH from this VPC's administrative entry point", in); err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
	}

	inst, err := instance.New(ctx, name, instance.Args{
		Ami:              args.Ami,
		InstanceType:     args.InstanceType,
		SubnetID:         v.PrivateSubnetIDs[0],
		SecurityGroupIDs: pulumi.StringArray{group.ID()},
		InstanceProfile:  args.InstanceProfile,
		KeyName:          args.KeyName,
		Role:             "client",
	}, in)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	c.InstanceID = inst.ID().ToStringOutput()
	c.PrivateIP = inst.PrivateIp
	c.SecurityGroupID = group.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"instanceId": c.InstanceID,
		"privateIp":  c.PrivateIP,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
