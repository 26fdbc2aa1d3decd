package network_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/network"
)

// The network ACLs, exactly: each VPC's private tier admits the flows given
// and their replies, administrators' SSH from inside the VPC, and HTTPS out
// with replies on the instances' own ephemeral range; the public tier
// admits the admins' SSH to the bastion and its hop inside.
func TestNetworkAclsAreExactlyTheFlows(t *testing.T) {
	g, _ := runVpcs(t, seedArgs, "foo", "bar")
	for _, a := range g.OfType(awstype.NetworkAcl) {
		assert.ElementsMatch(t, []string{a.Name + "-1", a.Name + "-2"}, g.Names(t, a.Prop("subnetIds")), "%s covers its tier", a.Name)
		assert.Equal(t, a.Name[:3], g.Ref(t, a.Prop("vpcId")).Name, a.Name)
	}
	assert.Equal(t, map[string][]string{
		"foo-private": {
			"ingress 100 allow 10.2.0.0/16 8080-8080", // ALB nodes to the web servers across subnets
			"ingress 110 allow 10.2.0.0/16 1024-65535",
			"ingress 120 allow 10.3.0.0/16 80-80", // bar's clients to the ALB
			"ingress 130 allow 10.2.0.0/16 22-22", // the bastion's hop
			"ingress 140 allow 0.0.0.0/0 32768-65535",
			"egress 100 allow 10.2.0.0/16 1024-65535",
			"egress 110 allow 10.2.0.0/16 8080-8080",
			"egress 120 allow 10.3.0.0/16 1024-65535",
			"egress 130 allow 0.0.0.0/0 443-443", // S3 through the gateway endpoint
		},
		"foo-public": {
			"ingress 100 allow 203.0.113.0/24 22-22",
			"ingress 110 allow 10.2.0.0/16 1024-65535",
			"egress 100 allow 203.0.113.0/24 1024-65535",
			"egress 110 allow 10.2.0.0/16 22-22",
		},
		"bar-private": {
			"ingress 100 allow 10.3.0.0/16 443-443", // clients to the Lambda endpoint across subnets
			"ingress 110 allow 10.3.0.0/16 1024-65535",
			"ingress 120 allow 10.2.0.0/16 1024-65535", // the ALB's replies
			"ingress 130 allow 10.3.0.0/16 22-22",
			"ingress 140 allow 0.0.0.0/0 32768-65535",
			"egress 100 allow 10.3.0.0/16 1024-65535",
			"egress 110 allow 10.3.0.0/16 443-443",
			"egress 120 allow 10.2.0.0/16 80-80",
			"egress 130 allow 0.0.0.0/0 443-443",
		},
		"bar-public": {
			"ingress 100 allow 203.0.113.0/24 22-22",
			"ingress 110 allow 10.3.0.0/16 1024-65535",
			"egress 100 allow 203.0.113.0/24 1024-65535",
			"egress 110 allow 10.3.0.0/16 22-22",
		},
	}, g.AclEntries(t))
}

// With NAT the public tier forwards the private tier's HTTPS and takes the
// replies on the gateway's ports, with RDP denied ahead of them; with an
// Instance Connect Endpoint the SSH hop stays inside the private tier and
// the public tier admits nothing; with neither S3 nor NAT nothing leaves.
func TestNetworkAclsOfTheOtherModes(t *testing.T) {
	nat, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Nat = network.NatSingle }), "foo")
	assert.Equal(t, []string{
		"ingress 100 allow 203.0.113.0/24 22-22",
		"ingress 110 allow 10.2.0.0/16 1024-65535",
		"ingress 120 allow 10.2.0.0/16 443-443", // the private tier's HTTPS to the NAT gateway
		"ingress 130 deny 0.0.0.0/0 3389-3389",
		"ingress 140 allow 0.0.0.0/0 1024-65535", // the replies to the NAT gateway
		"egress 100 allow 203.0.113.0/24 1024-65535",
		"egress 110 allow 10.2.0.0/16 22-22",
		"egress 120 allow 10.2.0.0/16 1024-65535",
		"egress 130 allow 0.0.0.0/0 443-443",
	}, nat.AclEntries(t)["foo-public"])

	eice, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Admin = &network.AdminArgs{} }), "bar")
	assert.Equal(t, map[string][]string{
		"bar-private": {
			"ingress 100 allow 10.3.0.0/16 443-443",
			"ingress 110 allow 10.3.0.0/16 1024-65535",
			"ingress 120 allow 10.2.0.0/16 1024-65535",
			"ingress 130 allow 10.3.0.0/16 22-22", // from the endpoint, in another private subnet
			"ingress 140 allow 0.0.0.0/0 32768-65535",
			"egress 100 allow 10.3.0.0/16 1024-65535",
			"egress 110 allow 10.3.0.0/16 443-443",
			"egress 120 allow 10.2.0.0/16 80-80",
			"egress 130 allow 10.3.0.0/16 22-22", // the endpoint's SSH out
			"egress 140 allow 0.0.0.0/0 443-443",
		},
	}, eice.AclEntries(t))
	assert.Len(t, eice.OfType(awstype.NetworkAcl), 2, "the public tier has its ACL, with no entries")

	closed, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.S3GatewayEndpoint, a.Admin = false, nil }), "bar")
	assert.Equal(t, map[string][]string{
		"bar-private": {
			"ingress 100 allow 10.3.0.0/16 443-443",
			"ingress 110 allow 10.3.0.0/16 1024-65535",
			"ingress 120 allow 10.2.0.0/16 1024-65535",
			"egress 100 allow 10.3.0.0/16 1024-65535",
			"egress 110 allow 10.3.0.0/16 443-443",
			"egress 120 allow 10.2.0.0/16 80-80",
		},
	}, closed.AclEntries(t))
}

// No network ACL admits SSH or RDP from the internet, in any mode.
func TestNoAclAdmitsAdminPortsFromTheInternet(t *testing.T) {
	threeConsumers := func(name string, a *network.VpcArgs) {
		if name == "foo" {
			for _, c := range []string{"10.4.0.0/16", "10.5.0.0/16"} {
				a.Flows = append(a.Flows, network.Flow{Port: 80, Cidr: c, Inbound: true})
			}
		}
	}
	for name, change := range map[string]func(string, *network.VpcArgs){
		"default":         func(string, *network.VpcArgs) {},
		"nat":             func(_ string, a *network.VpcArgs) { a.Nat = network.NatOnePerAz },
		"nat, no s3":      func(_ string, a *network.VpcArgs) { a.Nat, a.S3GatewayEndpoint = network.NatSingle, false },
		"eice":            func(_ string, a *network.VpcArgs) { a.Admin = &network.AdminArgs{} },
		"three consumers": threeConsumers,
	} {
		t.Run(name, func(t *testing.T) {
			g, _ := runVpcs(t, with(change), "foo", "bar")
			require.NotEmpty(t, g.OfType(awstype.NetworkAcl))
			for _, a := range g.OfType(awstype.NetworkAcl) {
				entries, _ := a.Prop("ingress").([]any)
				for _, port := range []int{22, 3389} {
					// The first entry by rule number that matches decides.
					decided, best := "", 1<<30
					for _, x := range entries {
						e := plantest.Obj(x)
						if e["cidrBlock"] == "0.0.0.0/0" && plantest.Num(e["fromPort"]) <= port && port <= plantest.Num(e["toPort"]) && plantest.Num(e["ruleNo"]) < best {
							decided, best = e["action"].(string), plantest.Num(e["ruleNo"])
						}
					}
					assert.NotEqual(t, "allow", decided, "%s admits %d from the internet", a.Name, port)
				}
			}
		})
	}
}

// An ACL over AWS's default quota is refused, naming the quota; at the
// quota it passes.
func TestAclQuota(t *testing.T) {
	consumers := func(n int) func(string, *network.VpcArgs) {
		return func(_ string, a *network.VpcArgs) {
			a.Flows = network.Within(8080, a.Cidr)
			for i := 0; i < n; i++ {
				a.Flows = append(a.Flows, network.Flow{Port: 80, Cidr: fmt.Sprintf("10.%d.0.0/16", 10+i), Inbound: true})
			}
		}
	}
	assert.NoError(t, with(consumers(16))("foo").Check("foo"), "20 inbound rules")
	assert.ErrorContains(t, with(consumers(17))("foo").Check("foo"), "its private network ACL needs 21 inbound rules, over AWS's default quota of 20 per direction")
	assert.Equal(t, 20, network.AclQuota)
}
