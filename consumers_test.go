package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
)

// The VPC the consumer tests connect: two private subnets (one on the
// main table, one with a table of its own) and a public one.
const existingID = "vpc-0a1b2c3d4e5f60718"

func existingVpcs(dnsHostnames bool) map[string]plan.ExistingVpc {
	return map[string]plan.ExistingVpc{existingID: {
		Cidr: "10.40.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: dnsHostnames,
		Subnets: []plan.ExistingSubnet{
			{ID: "subnet-0000000000000000a", Cidr: "10.40.1.0/24", Zone: "ap-northeast-1a"},
			{ID: "subnet-0000000000000000b", Cidr: "10.40.2.0/24", Zone: "ap-northeast-1c", RouteTable: "rtb-0000000000000000b"},
			{ID: "subnet-0000000000000000c", Cidr: "10.40.100.0/24", Zone: "ap-northeast-1a", RouteTable: "rtb-0000000000000000c", Public: true},
		},
	}}
}

const (
	otherRole    = "arn:aws:iam::111111111111:role/internal-alb-consumer"
	anotherRole  = "arn:aws:iam::222222222222:role/internal-alb-consumer"
	otherAccount = "111111111111"
)

// planConsumers runs the program under mocks with the dev config, the
// overrides and the existing VPCs.
func planConsumers(t *testing.T, overrides map[string]string, existing map[string]plan.ExistingVpc) (tg, error) {
	t.Helper()
	cfg := devConfig(t)
	for k, v := range overrides {
		cfg["internal-alb:"+k] = v
	}
	g, err := plan.Run(program, plan.Options{Config: cfg, Existing: existing})
	return tg{g}, err
}

// customs are the custom resources of type typ, by name.
func (g tg) customs(typ string) map[string]graph.Resource {
	out := map[string]graph.Resource{}
	for _, r := range g.OfType(typ) {
		out[r.Name] = r
	}
	return out
}

// An existing VPC gets only what the connection needs: routes in the
// route tables of its private subnets (the main table once, however many
// subnets share it; the public subnet's table none), the zone association,
// the Lambda endpoint and its group admitting those subnets, and no VPC,
// subnet, route table, ACL, client or bastion of the stack's.
func TestExistingVpcGetsOnlyTheConnection(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"legacy","vpcId":"` + existingID + `"}]`,
	}, existingVpcs(true))
	require.NoError(t, err)

	for _, typ := range []string{awstype.Vpc, awstype.Subnet, awstype.RouteTable, awstype.NetworkAcl, awstype.Instance} {
		for _, r := range g.OfType(typ) {
			assert.False(t, strings.HasPrefix(r.Name, "legacy"), "%s %s is the existing VPC's own", typ, r.Name)
		}
	}
	var tables []string
	for _, r := range g.OfType(awstype.Route) {
		if strings.Contains(r.Name, "-legacy-to-foo") {
			tables = append(tables, r.String("routeTableId"))
			assert.Equal(t, "10.2.0.0/16", r.String("destinationCidrBlock"))
		}
	}
	assert.ElementsMatch(t, []string{plan.MainTable(existingID), "rtb-0000000000000000b"}, tables)

	// The service side admits the looked-up block.
	var fromLegacy []string
	for _, r := range g.rules(t) {
		if r.Peer == "10.40.1.0/24" || r.Peer == "10.40.2.0/24" {
			fromLegacy = append(fromLegacy, r.String())
		}
	}
	assert.Len(t, fromLegacy, 4, "ALB in from each subnet, endpoint in from each subnet: %v", fromLegacy)

	// Every consumer is associated by a resource, none inline.
	z := g.one(t, awstype.Zone)
	require.Len(t, z.Prop("vpcs").([]any), 1)
	assert.Equal(t, "foo", g.byID(t, obj(z.Prop("vpcs").([]any)[0])["vpcId"]).Name)
	assocs := g.customs(awstype.ZoneAssociation)
	assert.Len(t, assocs, 2)
	assert.Equal(t, existingID, assocs["zone-legacy"].String("vpcId"))
	assert.Empty(t, g.OfType(awstype.VpcAssociationAuthorization), "same account: no authorization")

	ext := g.named(t, "internal-alb:network:ExistingVpc", "legacy")
	assert.Equal(t, "10.40.0.0/16", ext.Outputs["cidr"])
	assert.Len(t, ext.Outputs["subnets"], 2, "the public subnet is not connected")
}

// With subnetIds, exactly those subnets are connected, and client: true
// puts a client in the first.
func TestExistingVpcSubnetsAndClientOnRequest(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"legacy","vpcId":"` + existingID + `","subnetIds":["subnet-0000000000000000b"],"client":true}]`,
	}, existingVpcs(true))
	require.NoError(t, err)
	var tables []string
	for _, r := range g.OfType(awstype.Route) {
		if strings.Contains(r.Name, "-legacy-to-foo") {
			tables = append(tables, r.String("routeTableId"))
		}
	}
	assert.Equal(t, []string{"rtb-0000000000000000b"}, tables)
	client := g.named(t, awstype.Instance, "legacy-client")
	assert.Equal(t, "subnet-0000000000000000b", client.String("subnetId"))
	// The VPC's own instances still call: the ALB and the endpoint admit
	// the subnet, beside the client's group.
	var fromSubnet []string
	for _, r := range g.rules(t) {
		if r.Peer == "10.40.2.0/24" && r.Dir == "in" {
			fromSubnet = append(fromSubnet, r.String())
		}
	}
	assert.Len(t, fromSubnet, 2, "%v", fromSubnet)
}

// Look-ups that refuse the existing VPC fail before any AWS resource.
func TestExistingVpcRefusedBeforeAnyResource(t *testing.T) {
	cases := map[string]struct {
		consumers string
		existing  map[string]plan.ExistingVpc
		want      string
	}{
		"dns hostnames off": {`[{"name":"legacy","vpcId":"` + existingID + `"}]`, existingVpcs(false),
			`internal-alb:consumerVpcs[0].vpcId: network: vpc legacy (` + existingID + `) has DNS support on and DNS hostnames off; the private zone and the Lambda endpoint's private DNS need both on: aws ec2 modify-vpc-attribute --vpc-id ` + existingID + ` --enable-dns-support and again with --enable-dns-hostnames`},
		"no such vpc": {`[{"name":"legacy","vpcId":"vpc-0fffffffffffffff0"}]`, existingVpcs(true),
			`internal-alb:consumerVpcs[0].vpcId: "vpc-0fffffffffffffff0" is not a VPC in the stack's account and the stack's region`},
		"a subnet of another vpc": {`[{"name":"legacy","vpcId":"` + existingID + `","subnetIds":["subnet-0ddddddddddddddd0"]}]`, existingVpcs(true),
			`internal-alb:consumerVpcs[0].subnetIds[0]: "subnet-0ddddddddddddddd0" is not a subnet of ` + existingID},
		"overlapping the service vpc": {`[{"name":"legacy","vpcId":"` + existingID + `"}]`,
			map[string]plan.ExistingVpc{existingID: {Cidr: "10.2.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true, Subnets: existingVpcs(true)[existingID].Subnets}},
			`internal-alb:consumerVpcs[0]`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := planConsumers(t, map[string]string{"consumerVpcs": c.consumers}, c.existing)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, g.countByType(), "no AWS resource is registered")
		})
	}
}

// A consumer in another account: its VPC, routes, endpoint, client, key
// pair and invoker are made by that account's provider; the service side
// requests the peering, the consumer accepts it; the zone's account
// authorizes the association the consumer makes; the function's resource
// policy names the consumer's invoker role; the ALB admits its subnets.
func TestConsumerInAnotherAccountOverPeering(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + otherRole + `"}}]`,
		"sshPublicKey": testPublicKey,
	}, nil)
	require.NoError(t, err)
	providers := g.OfType("pulumi:providers:aws")
	require.Len(t, providers, 1)
	assert.Equal(t, "account-"+otherAccount, providers[0].Name)
	assert.Equal(t, otherRole, obj(providers[0].Inputs["assumeRole"])["roleArn"])

	inOther := func(r graph.Resource) bool { return strings.Contains(r.Provider, "::account-"+otherAccount+"::") }
	for _, typ := range []string{awstype.Vpc, awstype.Subnet, awstype.Instance, awstype.VpcEndpoint, awstype.KeyPair} {
		for _, r := range g.OfType(typ) {
			isBar := strings.HasPrefix(r.Name, "bar") || strings.Contains(r.Name, "-bar-") || r.Name == "admin-"+otherAccount
			assert.Equal(t, isBar, inOther(r), "%s %s", typ, r.Name)
		}
	}
	pcx := g.one(t, awstype.VpcPeeringConnection)
	assert.Equal(t, otherAccount, pcx.String("peerOwnerId"))
	assert.Nil(t, pcx.Inputs["autoAccept"], "the requester cannot accept across accounts")
	assert.False(t, inOther(pcx))
	acc := g.one(t, awstype.VpcPeeringConnectionAccepter)
	assert.True(t, inOther(acc))
	assert.Equal(t, true, acc.Inputs["autoAccept"])

	auth := g.one(t, awstype.VpcAssociationAuthorization)
	assoc := g.customs(awstype.ZoneAssociation)["zone-bar"]
	assert.False(t, inOther(auth))
	assert.True(t, inOther(assoc))
	assert.Equal(t, auth.String("vpcId"), assoc.String("vpcId"))
	assert.Contains(t, assoc.Dependencies, auth.URN)

	perm := g.one(t, awstype.LambdaPermission)
	role := g.named(t, awstype.Role, "hello-world-invoker-"+otherAccount)
	assert.True(t, inOther(role))
	assert.Equal(t, role.String("arn"), perm.String("principal"))
	assert.Equal(t, "lambda:InvokeFunction", perm.String("action"))
	assert.Equal(t, "arn:aws:iam::"+otherAccount+":role/internal-alb/"+role.String("name"), role.String("arn"))
	client := g.named(t, awstype.Instance, "bar-client")
	profile := g.named(t, awstype.InstanceProfile, "hello-world-invoker-"+otherAccount)
	assert.Equal(t, profile.String("name"), client.String("iamInstanceProfile"))

	var albFromBar []string
	for _, r := range g.rules(t) {
		if strings.HasPrefix(r.Peer, "10.3.") && r.Port == 80 && r.Dir == "in" {
			albFromBar = append(albFromBar, r.Peer)
		}
	}
	assert.ElementsMatch(t, []string{"10.3.1.0/24", "10.3.2.0/24"}, albFromBar, "no group reference across accounts")
}

// Over a Transit Gateway, the gateway is shared with the other accounts
// through RAM, each attachment is made in its account after the share and
// accepted in the service account, and the gateway's tables use the
// accepted id.
func TestConsumersInOtherAccountsOverTransitGateway(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"connectivity": "transitGateway",
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + otherRole + `"}},` +
			`{"name":"baz","cidr":"10.4.0.0/16","account":{"roleArn":"` + anotherRole + `"}},{"name":"qux","cidr":"10.5.0.0/16"}]`,
	}, nil)
	require.NoError(t, err)
	share := g.one(t, awstype.RamResourceShare)
	assert.Equal(t, false, share.Inputs["allowExternalPrincipals"])
	tgw := g.one(t, awstype.TransitGateway)
	assert.Equal(t, tgw.String("arn"), g.one(t, awstype.RamResourceAssociation).String("resourceArn"))
	var principals []string
	for _, p := range g.OfType(awstype.RamPrincipalAssociation) {
		principals = append(principals, p.String("principal"))
	}
	assert.ElementsMatch(t, []string{"111111111111", "222222222222"}, principals, "local spokes are not shared with")

	atts := g.customs(awstype.TgwVpcAttachment)
	accepters := g.customs(awstype.TgwVpcAttachmentAccepter)
	assert.Len(t, accepters, 2)
	for _, n := range []string{"bar", "baz"} {
		att := atts["tgw-"+n]
		assert.Contains(t, att.Provider, "::account-")
		for _, p := range g.OfType(awstype.RamPrincipalAssociation) {
			assert.Contains(t, att.Dependencies, p.URN, "the attachment waits for the share")
		}
		acc := accepters["tgw-"+n+"-accept"]
		assert.Equal(t, att.ID, acc.String("transitGatewayAttachmentId"))
		assert.Empty(t, acc.Provider)
	}
	assert.Empty(t, atts["tgw-qux"].Provider)
}

// A role in the stack's own account is not another account.
func TestAccountOfTheStackItselfIsRefused(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::` + plan.Account + `:role/x"}}]`,
	}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `internal-alb:consumerVpcs[0].account.roleArn: "arn:aws:iam::123456789012:role/x" is in the stack's own account 123456789012; remove internal-alb:consumerVpcs[0].account for a consumer in this account`)
	assert.Empty(t, g.countByType())
}

// A consumer in another region is refused before any look-up in its account.
func TestConsumerInAnotherRegionIsRefused(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"legacy","vpcId":"` + existingID + `","account":{"roleArn":"` + otherRole + `","region":"eu-west-1"}}]`,
	}, existingVpcs(true))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `internal-alb:consumerVpcs[0].account.region: "eu-west-1" is not the stack's region ap-northeast-1 (aws:region); consumers in another region are not supported`)
	assert.Empty(t, g.Graph, "nothing is registered, not even the account's provider")
}

// By invitation, the share allows external principals and each account
// accepts it before its attachment.
func TestTransitGatewaySharedByInvitation(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"connectivity": "transitGateway", "transitGatewaySharing": "invitation",
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + otherRole + `"}}]`,
	}, nil)
	require.NoError(t, err)
	share := g.one(t, awstype.RamResourceShare)
	assert.Equal(t, true, share.Inputs["allowExternalPrincipals"])
	acc := g.one(t, "aws:ram/resourceShareAccepter:ResourceShareAccepter")
	assert.Contains(t, acc.Provider, "::account-"+otherAccount+"::")
	assert.Equal(t, share.String("arn"), acc.String("shareArn"))
	assert.Contains(t, g.customs(awstype.TgwVpcAttachment)["tgw-bar"].Dependencies, acc.URN)
}

// The key pair goes to every account where the stack has instances, and to
// no other: an existing VPC without a client gets none.
func TestKeyPairOnlyWhereTheStackHasInstances(t *testing.T) {
	g, err := planConsumers(t, map[string]string{
		"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + otherRole + `"}},` +
			`{"name":"legacy","vpcId":"` + existingID + `","account":{"roleArn":"` + anotherRole + `"}}]`,
		"sshPublicKey": testPublicKey,
	}, existingVpcs(true))
	require.NoError(t, err)
	var names []string
	for _, k := range g.OfType(awstype.KeyPair) {
		names = append(names, k.Name)
	}
	assert.ElementsMatch(t, []string{"admin", "admin-" + otherAccount}, names)
}
