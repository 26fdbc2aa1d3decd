// Package instance creates EC2 instances hardened the same way everywhere:
// IMDSv2 required, an encrypted gp3 root volume, no auto-assigned public
// address (it would change on every stop and start; a bastion's is an
// Elastic IP), and user data that replaces the instance when it changes.
package instance

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args are the few things that differ between the stack's instances.
type Args struct {
	Ami              pulumi.StringInput // AMI id, from a lookup
	InstanceType     string
	SubnetID         pulumi.StringInput
	SecurityGroupIDs pulumi.StringArrayInput
	InstanceProfile  pulumi.StringInput // optional
	KeyName          pulumi.StringInput // optional: an EC2 key pair for SSH
	UserData         string             // optional
	// ElasticIP: the instance's public address is an Elastic IP associated
	// after launch. The launch then leaves associatePublicIpAddress unset
	// (the subnets assign no address themselves): AWS reports it true once
	// the address is associated, and an explicit false would be a change
	// on every refresh.
	ElasticIP bool
	Role      string // "bastion", "web" or "client": the Role tag
}

// RootVolumeGiB is the root volume size: the Amazon Linux 2023 AMI's minimum.
const RootVolumeGiB = 8

// New creates the instance.
func New(ctx *pulumi.Context, name string, a Args, opts ...pulumi.ResourceOption) (*ec2.Instance, error) {
	args := &ec2.InstanceArgs{
		Ami:                      a.Ami,
		InstanceType:             pulumi.String(a.InstanceType),
		SubnetId:                 a.SubnetID,
		VpcSecurityGroupIds:      a.SecurityGroupIDs,
		AssociatePublicIpAddress: pulumi.Bool(false),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted:           pulumi.Bool(true),
			VolumeType:          pulumi.String("gp3"),
			VolumeSize:          pulumi.Int(RootVolumeGiB),
			DeleteOnTermination: pulumi.Bool(true),
		},
		Tags: pulumi.StringMap{
			"Name": pulumi.String(name),
			"Role": pulumi.String(a.Role),
		},
	}
	if a.ElasticIP {
		args.AssociatePublicIpAddress = nil
	}
	if a.InstanceProfile != nil {
		args.IamInstanceProfile = a.InstanceProfile
	}
	if a.KeyName != nil {
		args.KeyName = a.KeyName
	}
	if a.UserData != "" {
		args.UserData = pulumi.String(a.UserData)
		args.UserDataReplaceOnChange = pulumi.Bool(true)
	}
	inst, err := ec2.NewInstance(ctx, name, args, opts...)
	if err != nil {
		return nil, fmt.Errorf("instance %s: %w", name, err)
	}
	// The stack declares that the instance runs: one stopped outside the
	// stack is drift that `pulumi up --refresh` repairs by starting it.
	if _, err := ec2transitgateway.NewInstanceState(ctx, name+"-running", &ec2transitgateway.InstanceStateArgs{
		InstanceId: inst.ID(),
		State:      pulumi.String("running"),
	}, opts...); err != nil {
		return nil, fmt.Errorf("instance %s: its state: %w", name, err)
	}
	return inst, nil
}

// KeyPair is an OpenSSH public key imported as an EC2 key pair, shared by
// every instance of the stack.
type KeyPair struct {
	pulumi.ResourceState

	KeyName pulumi.StringOutput
}

// NewKeyPair imports publicKey as an EC2 key pair.
func NewKeyPair(ctx *pulumi.Context, name, publicKey string, opts ...pulumi.ResourceOption) (*KeyPair, error) {
	k := &KeyPair{}
	if err := ctx.RegisterComponentResource("internal-alb:instance:KeyPair", name, k, opts...); err != nil {
		return nil, err
	}
	kp, err := ec2.NewKeyPair(ctx, name, &ec2.KeyPairArgs{
		PublicKey: pulumi.String(publicKey),
		Tags:      pulumi.StringMap{"Name": pulumi.String(name)},
	}, pulumi.Parent(k))
	if err != nil {
		return nil, fmt.Errorf("key pair %s: %w", name, err)
	}
	k.KeyName = kp.KeyName
	if err := ctx.RegisterResourceOutputs(k, pulumi.Map{"keyName": k.KeyName}); err != nil {
		return nil, err
	}
	return k, nil
}
