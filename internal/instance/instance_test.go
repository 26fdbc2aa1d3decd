package instance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
)

const (
	ami = "ami-0a1b2c3d4e5f60718"
	// testPublicKey is an ed25519 public key made for the tests; its
	// private half was thrown away.
	testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1TMpj18d6PWUerVOp4V9LZISxA8YEgkR/j3Pkcuohg test@internal-alb"
)

// Every instance requires IMDSv2 tokens with one hop, has an encrypted gp3
// root volume of the AMI's minimum size deleted with it, runs the AMI it
// is given, and is tagged with its name and role; nothing optional is set
// unless asked for, and no instance asks for an auto-assigned public address.
func TestInstancesAreHardened(t *testing.T) {
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		if _, err := instance.New(ctx, "bar-bastion", instance.Args{
			Ami: pulumi.String(ami), InstanceType: "t3.micro", SubnetID: pulumi.String("subnet-bar-public-1"),
			SecurityGroupIDs: pulumi.StringArray{pulumi.String("sg-bar-bastion")}, ElasticIP: true, Role: "bastion",
		}); err != nil {
			return err
		}
		_, err := instance.New(ctx, "web-web1", instance.Args{
			Ami: pulumi.String(ami), InstanceType: "t3.small", SubnetID: pulumi.String("subnet-foo-private-1"),
			SecurityGroupIDs: pulumi.StringArray{pulumi.String("sg-web-web")},
			InstanceProfile:  pulumi.String("web-web"), KeyName: pulumi.String("admin-key"),
			UserData: "#!/bin/sh\necho hi\n", Role: "web",
		})
		return err
	})
	require.Len(t, g.OfType(awstype.Instance), 2)
	for _, i := range g.OfType(awstype.Instance) {
		assert.Equal(t, map[string]any{"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1.0},
			i.Prop("metadataOptions"), i.Name)
		md := plantest.Obj(i.Prop("metadataOptions"))
		assert.Equal(t, "required", md["httpTokens"], i.Name)
		assert.Equal(t, 1, plantest.Num(md["httpPutResponseHopLimit"]), i.Name)
		rb := plantest.Obj(i.Prop("rootBlockDevice"))
		assert.Equal(t, true, rb["encrypted"], i.Name)
		assert.Equal(t, "gp3", rb["volumeType"], i.Name)
		assert.Equal(t, instance.RootVolumeGiB, plantest.Num(rb["volumeSize"]), i.Name)
		assert.Equal(t, true, rb["deleteOnTermination"], i.Name)
		assert.Equal(t, ami, i.String("ami"), i.Name)
	}

	bastion := g.Named(t, awstype.Instance, "bar-bastion")
	assert.Equal(t, map[string]any{"Name": "bar-bastion", "Role": "bastion"}, bastion.Prop("tags"))
	assert.Nil(t, bastion.Inputs["associatePublicIpAddress"], "an Elastic IP's instance leaves it to AWS, which shows the association")
	assert.Equal(t, "t3.micro", bastion.String("instanceType"))
	assert.Equal(t, "subnet-bar-public-1", bastion.String("subnetId"))
	assert.Equal(t, []any{"sg-bar-bastion"}, bastion.Prop("vpcSecurityGroupIds"))
	for _, k := range []string{"iamInstanceProfile", "keyName", "userData", "userDataReplaceOnChange"} {
		assert.Nil(t, bastion.Inputs[k], "%s unset unless asked for", k)
	}

	web := g.Named(t, awstype.Instance, "web-web1")
	assert.Equal(t, false, web.Prop("associatePublicIpAddress"), "no public address unless asked for")
	assert.Equal(t, "web-web", web.String("iamInstanceProfile"))
	assert.Equal(t, "admin-key", web.String("keyName"))
	assert.Equal(t, "#!/bin/sh\necho hi\n", web.String("userData"))
	assert.Equal(t, true, web.Prop("userDataReplaceOnChange"), "a new script is a new instance")

	// Each instance is declared running, so one stopped outside the stack
	// is drift that `up --refresh` repairs.
	states := g.OfType(awstype.InstanceState)
	require.Len(t, states, 2)
	for _, s := range states {
		in := g.Named(t, awstype.Instance, strings.TrimSuffix(s.Name, "-running"))
		assert.Equal(t, "running", s.String("state"), s.Name)
		assert.Equal(t, in.ID, s.String("instanceId"), s.Name)
	}
}

// A public key becomes one EC2 key pair in a component of its own; its
// name is what the instances take.
func TestKeyPair(t *testing.T) {
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		kp, err := instance.NewKeyPair(ctx, "admin", testPublicKey)
		if err != nil {
			return err
		}
		_, err = instance.New(ctx, "bar-client", instance.Args{
			Ami: pulumi.String(ami), InstanceType: "t3.micro", SubnetID: pulumi.String("subnet-bar-private-1"),
			KeyName: kp.KeyName, Role: "client",
		})
		return err
	})
	kp := g.One(t, awstype.KeyPair)
	assert.Equal(t, testPublicKey, kp.String("publicKey"))
	assert.Equal(t, map[string]any{"Name": "admin"}, kp.Prop("tags"))
	parent, ok := g.ByURN(kp.Parent)
	require.True(t, ok)
	assert.Equal(t, "internal-alb:instance:KeyPair", parent.Type)
	assert.Equal(t, "admin", parent.Name)
	assert.NotEmpty(t, kp.String("keyName"))
	assert.Equal(t, kp.String("keyName"), g.One(t, awstype.Instance).String("keyName"))
}
