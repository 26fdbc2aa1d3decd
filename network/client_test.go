package network_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/internal/sg"
	"github.com/internal-alb/internal-alb/network"
)

// runClient composes bar (with args) and its client, next to the group of
// a Lambda endpoint the way lambda.NewPrivateFunction makes one.
func runClient(t *testing.T, change func(string, *network.VpcArgs), keyName pulumi.StringInput) (plantest.Graph, *network.Client) {
	t.Helper()
	var client *network.Client
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		v, err := network.NewVpc(ctx, "bar", with(change)("bar"))
		if err != nil {
			return err
		}
		endpoint, err := sg.NewGroup(ctx, "hello-world-bar-endpoint", v.VpcID, "Lambda interface endpoint")
		if err != nil {
			return err
		}
		client, err = network.NewClient(ctx, "bar-client", &network.ClientArgs{
			Vpc: v, Ami: pulumi.String(ami), InstanceType: "t3.micro", ServiceCidr: "10.2.0.0/16",
			EndpointSecurityGroupID: endpoint.ID(), InstanceProfile: pulumi.String("hello-world-invoker"), KeyName: keyName,
		})
		return err
	})
	return g, client
}

// The client's paths: HTTP to the service VPC, HTTPS to its endpoint (and
// the endpoint admits it, by group) and to S3, SSH from its VPC's admin
// entry point; the instance in the first private subnet, with the invoker
// profile and no public address.
func TestClient(t *testing.T) {
	g, _ := runClient(t, func(string, *network.VpcArgs) {}, nil)
	assert.ElementsMatch(t, []string{
		"bar-bastion in 22 203.0.113.0/24", "bar-bastion out 22 10.3.0.0/16", // the VPC's own
		"bar-client out 80 10.2.0.0/16", "bar-client out 443 sg:hello-world-bar-endpoint",
		"bar-client out 443 pl:pl-61a54008", "bar-client in 22 sg:bar-bastion",
		"hello-world-bar-endpoint in 443 sg:bar-client",
	}, g.RuleStrings(t))

	c := g.Named(t, awstype.Instance, "bar-client")
	assert.Equal(t, "client", plantest.Obj(c.Prop("tags"))["Role"])
	assert.Equal(t, "bar-private-1", g.Ref(t, c.Prop("subnetId")).Name)
	assert.Equal(t, "private", g.Tier(t, c.Prop("subnetId")))
	assert.Equal(t, false, c.Prop("associatePublicIpAddress"))
	assert.Equal(t, "hello-world-invoker", c.String("iamInstanceProfile"))
	assert.Equal(t, []string{"bar-client"}, g.Names(t, c.Prop("vpcSecurityGroupIds")))
	assert.Equal(t, ami, c.String("ami"))
	assert.Nil(t, c.Inputs["keyName"], "no key pair unless given")
	assert.Equal(t, "bar", g.Ref(t, g.Named(t, awstype.SecurityGroup, "bar-client").Prop("vpcId")).Name)

	// Only the bastion has a public address, in a public subnet.
	for _, i := range g.OfType(awstype.Instance) {
		if plantest.Obj(i.Prop("tags"))["Role"] == "bastion" {
			assert.Nil(t, i.Inputs["associatePublicIpAddress"], "%s: its address is an Elastic IP", i.Name)
			assert.Equal(t, "public", g.Tier(t, i.Prop("subnetId")), i.Name)
		} else {
			assert.Equal(t, false, i.Prop("associatePublicIpAddress"), i.Name)
			assert.Equal(t, "private", g.Tier(t, i.Prop("subnetId")), i.Name)
		}
	}

	// The client's own resources are the component's children.
	comp := g.Named(t, "internal-alb:network:Client", "bar-client")
	for _, r := range g.Graph {
		if r.Custom && strings.HasPrefix(r.Name, "bar-client") {
			assert.Equal(t, comp.URN, r.Parent, "%s %s", r.Type, r.Name)
		}
	}
}

// Without the S3 endpoint the client sends nothing to S3; with an Instance
// Connect Endpoint it admits SSH from the endpoint's group; with no admin
// access, from nobody; a key pair given is on the instance.
func TestClientFollowsItsVpc(t *testing.T) {
	noS3, _ := runClient(t, func(_ string, a *network.VpcArgs) { a.S3GatewayEndpoint = false }, nil)
	for _, r := range noS3.Rules(t) {
		assert.False(t, strings.HasPrefix(r.Peer, "pl:"), "no S3 rule without the endpoint: %s", r)
	}

	eice, _ := runClient(t, func(_ string, a *network.VpcArgs) { a.Admin = &network.AdminArgs{} }, pulumi.String("admin-key"))
	var ssh []string
	for _, r := range eice.Rules(t) {
		if r.Port == 22 {
			ssh = append(ssh, r.String())
		}
	}
	assert.ElementsMatch(t, []string{"bar-eice out 22 10.3.0.0/16", "bar-client in 22 sg:bar-eice"}, ssh)
	assert.Equal(t, "admin-key", eice.One(t, awstype.Instance).String("keyName"))

	none, client := runClient(t, func(_ string, a *network.VpcArgs) { a.Admin = nil }, nil)
	for _, r := range none.Rules(t) {
		assert.NotEqual(t, 22, r.Port, r.String())
	}
	require.NotNil(t, client)
	ip := make(chan string, 1)
	client.PrivateIP.ApplyT(func(s string) string { ip <- s; return s })
	assert.Regexp(t, `^10\.3\.1\.\d+$`, <-ip)
}
