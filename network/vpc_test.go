package network_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/network"
)

const ami = "ami-0a1b2c3d4e5f60718"

var azs = []string{"ap-northeast-1a", "ap-northeast-1c"}

// seedArgs are the args the stack gives a VPC of the seed's layout (foo
// serves the ALB to bar): two AZs, /24 subnets, no NAT, the S3 gateway
// endpoint, a bastion for 203.0.113.0/24, and the network ACL flows of its
// part in the mission.
func seedArgs(name string) *network.VpcArgs {
	a := &network.VpcArgs{
		AvailabilityZones: azs, SubnetPrefixLength: 24, Nat: network.NatNone, S3GatewayEndpoint: true, Region: plantest.Region,
		Admin: &network.AdminArgs{Bastion: &network.Bastion{AdminCidrs: []string{"203.0.113.0/24"}, InstanceType: "t3.micro", Ami: pulumi.String(ami)}},
	}
	switch name {
	case "foo": // the ALB's nodes forward across its private subnets; bar's clients reach the listener
		a.Cidr = "10.2.0.0/16"
		a.Flows = append(network.Within(8080, a.Cidr), network.Flow{Port: 80, Cidr: "10.3.0.0/16", Inbound: true})
	case "bar": // clients call the Lambda endpoint and the ALB in foo
		a.Cidr = "10.3.0.0/16"
		a.Flows = append(network.Within(443, a.Cidr), network.Flow{Port: 80, Cidr: "10.2.0.0/16"})
	}
	return a
}

// runVpcs creates a VPC per name, each with the args args(name) gives.
func runVpcs(t *testing.T, args func(name string) *network.VpcArgs, names ...string) (plantest.Graph, map[string]*network.Vpc) {
	t.Helper()
	vpcs := map[string]*network.Vpc{}
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		for _, n := range names {
			v, err := network.NewVpc(ctx, n, args(n))
			if err != nil {
				return err
			}
			vpcs[n] = v
		}
		return nil
	})
	return g, vpcs
}

func with(change func(name string, a *network.VpcArgs)) func(string) *network.VpcArgs {
	return func(name string) *network.VpcArgs {
		a := seedArgs(name)
		change(name, a)
		return a
	}
}

// A VPC has DNS on (private zones and endpoint private DNS need both), its
// block, its default group managed with no rules, and everything it creates
// is its child, named after it.
func TestVpcHasDnsAndItsBlock(t *testing.T) {
	g, vpcs := runVpcs(t, seedArgs, "foo", "bar")
	cidrs := map[string]string{}
	for _, v := range g.OfType(awstype.Vpc) {
		assert.Equal(t, true, v.Prop("enableDnsSupport"), v.Name)
		assert.Equal(t, true, v.Prop("enableDnsHostnames"), v.Name)
		cidrs[v.Name] = v.String("cidrBlock")
	}
	assert.Equal(t, map[string]string{"foo": "10.2.0.0/16", "bar": "10.3.0.0/16"}, cidrs)

	var defaults []string
	for _, d := range g.OfType(awstype.DefaultSecurityGroup) {
		assert.Nil(t, d.Prop("ingress"), d.Name)
		assert.Nil(t, d.Prop("egress"), d.Name)
		defaults = append(defaults, g.Ref(t, d.Prop("vpcId")).Name)
	}
	assert.ElementsMatch(t, []string{"foo", "bar"}, defaults)

	for _, igw := range g.OfType(awstype.InternetGateway) {
		assert.Equal(t, strings.TrimSuffix(igw.Name, "-igw"), g.Ref(t, igw.Prop("vpcId")).Name)
	}
	assert.Len(t, g.OfType(awstype.InternetGateway), 2)
	g.ChildrenOf(t, "internal-alb:network:Vpc")

	assert.Equal(t, "foo", vpcs["foo"].Name())
	assert.Equal(t, "10.2.0.0/16", vpcs["foo"].Cidr)
	assert.Equal(t, []string{"10.3.1.0/24", "10.3.2.0/24"}, vpcs["bar"].PrivateSubnetCidrs, "known at composition time")
}

// The subnets follow ipam's layout across the zones given, tagged with
// their tier; none gives instances a public address by default.
func TestSubnetLayoutAcrossTheZones(t *testing.T) {
	g, _ := runVpcs(t, seedArgs, "foo", "bar")
	got := map[string]string{}
	for _, s := range g.OfType(awstype.Subnet) {
		got[s.Name] = s.String("cidrBlock") + " " + s.String("availabilityZone") + " " + plantest.Obj(s.Prop("tags"))["Tier"].(string)
		assert.Equal(t, false, s.Prop("mapPublicIpOnLaunch"), s.Name)
		assert.Equal(t, strings.Split(s.Name, "-")[0], g.Ref(t, s.Prop("vpcId")).Name, s.Name)
	}
	assert.Equal(t, map[string]string{
		"foo-private-1": "10.2.1.0/24 ap-northeast-1a private", "foo-private-2": "10.2.2.0/24 ap-northeast-1c private",
		"foo-public-1": "10.2.129.0/24 ap-northeast-1a public", "foo-public-2": "10.2.130.0/24 ap-northeast-1c public",
		"bar-private-1": "10.3.1.0/24 ap-northeast-1a private", "bar-private-2": "10.3.2.0/24 ap-northeast-1c private",
		"bar-public-1": "10.3.129.0/24 ap-northeast-1a public", "bar-public-2": "10.3.130.0/24 ap-northeast-1c public",
	}, got)

	three, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) {
		a.AvailabilityZones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
	}), "foo")
	got = map[string]string{}
	for _, s := range three.OfType(awstype.Subnet) {
		got[s.Name] = s.String("cidrBlock") + " " + s.String("availabilityZone")
	}
	assert.Equal(t, map[string]string{
		"foo-private-1": "10.2.1.0/24 ap-northeast-1a", "foo-private-2": "10.2.2.0/24 ap-northeast-1c", "foo-private-3": "10.2.3.0/24 ap-northeast-1d",
		"foo-public-1": "10.2.129.0/24 ap-northeast-1a", "foo-public-2": "10.2.130.0/24 ap-northeast-1c", "foo-public-3": "10.2.131.0/24 ap-northeast-1d",
	}, got)
}

// One route table for the public tier with the default route to the
// internet gateway; one per private subnet, with no default route unless
// there is NAT.
func TestPublicSubnetsRouteToInternetPrivateOnesDoNot(t *testing.T) {
	g, vpcs := runVpcs(t, seedArgs, "foo", "bar")
	tier := map[string]string{} // route table id → tier of the subnets associated with it
	assoc := map[string]string{}
	for _, a := range g.OfType(awstype.RouteTableAssociation) {
		s := g.Ref(t, a.Prop("subnetId"))
		tier[a.String("routeTableId")] = plantest.Obj(s.Prop("tags"))["Tier"].(string)
		assoc[s.Name] = g.Ref(t, a.Prop("routeTableId")).Name
	}
	n := 0
	for _, r := range g.OfType(awstype.Route) {
		if r.String("destinationCidrBlock") != "0.0.0.0/0" {
			continue
		}
		n++
		assert.Equal(t, "public", tier[r.String("routeTableId")], "default route %s", r.Name)
		assert.True(t, strings.HasPrefix(r.String("gatewayId"), "igw-"), r.Name)
	}
	assert.Equal(t, 2, n, "one default route per VPC")
	assert.Equal(t, map[string]string{
		"foo-public-1": "foo-public", "foo-public-2": "foo-public", "foo-private-1": "foo-private-1", "foo-private-2": "foo-private-2",
		"bar-public-1": "bar-public", "bar-public-2": "bar-public", "bar-private-1": "bar-private-1", "bar-private-2": "bar-private-2",
	}, assoc)
	for _, rt := range g.OfType(awstype.RouteTable) {
		assert.Equal(t, strings.Split(rt.Name, "-")[0], g.Ref(t, rt.Prop("vpcId")).Name, rt.Name)
	}

	assert.Len(t, vpcs["foo"].PrivateRouteTableIDs, 2)
	assert.Len(t, vpcs["foo"].PrivateSubnetIDs, 2)
	assert.Len(t, vpcs["foo"].PublicSubnetIDs, 2)
}

// NAT: none, one in the first AZ, or one per AZ, each in a public subnet
// after the internet gateway; each private route table's default route
// goes to its AZ's NAT, or the first. A VPC's own mode is its own.
func TestNatModes(t *testing.T) {
	for mode, perVpc := range map[network.NatMode]int{network.NatNone: 0, network.NatSingle: 1, network.NatOnePerAz: 2} {
		t.Run(string(mode), func(t *testing.T) {
			g, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Nat = mode }), "foo", "bar")
			assert.Len(t, g.OfType(awstype.NatGateway), 2*perVpc)
			var natEips []string // the others are the bastions'
			for _, e := range g.OfType(awstype.Eip) {
				if e.Inputs["instance"] == nil {
					natEips = append(natEips, e.Name)
				}
			}
			assert.Len(t, natEips, 2*perVpc)
			natRoutes := map[string]string{} // private route table → NAT
			for _, r := range g.OfType(awstype.Route) {
				if r.String("natGatewayId") != "" {
					assert.Equal(t, "0.0.0.0/0", r.String("destinationCidrBlock"))
					natRoutes[g.Ref(t, r.Prop("routeTableId")).Name] = g.Ref(t, r.Prop("natGatewayId")).Name
				}
			}
			want := map[string]string{}
			if perVpc > 0 {
				for _, v := range []string{"foo", "bar"} {
					want[v+"-private-1"] = v + "-nat-1"
					want[v+"-private-2"] = v + "-nat-" + fmt.Sprint(perVpc)
				}
			}
			assert.Equal(t, want, natRoutes)
			for _, n := range g.OfType(awstype.NatGateway) {
				assert.Equal(t, "public", plantest.Obj(g.Ref(t, n.Prop("subnetId")).Prop("tags"))["Tier"])
				assert.Equal(t, n.Name, g.Ref(t, n.Prop("allocationId")).Name, "its own address")
				vpc := strings.Split(n.Name, "-")[0]
				assert.Contains(t, n.Dependencies, g.Named(t, awstype.InternetGateway, vpc+"-igw").URN, "%s waits for the internet gateway", n.Name)
			}
			for _, e := range g.OfType(awstype.Eip) {
				assert.Equal(t, "vpc", e.String("domain"))
			}
		})
	}

	// Each VPC takes its own mode: the service VPC single, the consumer none.
	g, _ := runVpcs(t, with(func(name string, a *network.VpcArgs) {
		if name == "foo" {
			a.Nat = network.NatSingle
		}
	}), "foo", "bar")
	require.Len(t, g.OfType(awstype.NatGateway), 1)
	assert.Equal(t, "foo-nat-1", g.One(t, awstype.NatGateway).Name)
}

// The S3 gateway endpoint sits on every private route table (and no public
// one) when asked for, and its prefix list is the component's output.
func TestS3GatewayEndpointOnEveryPrivateRouteTable(t *testing.T) {
	g, vpcs := runVpcs(t, seedArgs, "foo", "bar")
	n := 0
	for _, e := range g.OfType(awstype.VpcEndpoint) {
		require.Equal(t, "Gateway", e.String("vpcEndpointType"))
		n++
		assert.Equal(t, "com.amazonaws.ap-northeast-1.s3", e.String("serviceName"))
		vpc := g.Ref(t, e.Prop("vpcId")).Name
		assert.Equal(t, vpc+"-s3", e.Name)
		assert.ElementsMatch(t, []string{vpc + "-private-1", vpc + "-private-2"}, g.Names(t, e.Prop("routeTableIds")))
	}
	assert.Equal(t, 2, n)
	require.NotNil(t, vpcs["foo"].S3)
	prefixList := make(chan string, 1)
	vpcs["foo"].S3.PrefixListID.ApplyT(func(s string) string { prefixList <- s; return s })
	assert.Equal(t, "pl-61a54008", <-prefixList)

	off, offVpcs := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.S3GatewayEndpoint = false }), "foo", "bar")
	assert.Empty(t, off.OfType(awstype.VpcEndpoint))
	assert.Nil(t, offVpcs["foo"].S3)
}

// Through the gateway endpoint pass only reads of the Amazon Linux
// repositories and writes of the objects given (the web servers' log
// prefix, in the service VPC only).
func TestS3EndpointPolicyIsExact(t *testing.T) {
	web := "arn:aws:s3:::internal-alb-logs-1234567/web/*"
	g, _ := runVpcs(t, with(func(name string, a *network.VpcArgs) {
		if name == "foo" {
			a.S3Writable = []pulumi.StringInput{pulumi.String(web)}
		}
	}), "foo", "bar")
	repos := `{"Sid":"AmazonLinuxRepositories","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::al2023-repos-ap-northeast-1-de612dc2/*"}`
	assert.JSONEq(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[%s,
		{"Sid":"StackObjects","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":["%s"]}]}`, repos, web),
		g.Named(t, awstype.VpcEndpoint, "foo-s3").String("policy"))
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[`+repos+`]}`, g.Named(t, awstype.VpcEndpoint, "bar-s3").String("policy"))

	doc, err := network.S3EndpointPolicy("eu-west-1", nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"AmazonLinuxRepositories","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::al2023-repos-eu-west-1-de612dc2/*"}]}`, doc)
	assert.Equal(t, "arn:aws:s3:::al2023-repos-eu-west-1-de612dc2", network.AmazonLinuxRepos("eu-west-1"))
}

// A flow log records all of the VPC's traffic into the destination given,
// and there is none without one.
func TestFlowLog(t *testing.T) {
	dest := "arn:aws:s3:::internal-alb-logs-1234567/flow-logs/"
	g, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.FlowLogDestination = pulumi.String(dest) }), "foo", "bar")
	var vpcs []string
	for _, f := range g.OfType(awstype.FlowLog) {
		vpcs = append(vpcs, g.Ref(t, f.Prop("vpcId")).Name)
		assert.Equal(t, "s3", f.String("logDestinationType"))
		assert.Equal(t, dest, f.String("logDestination"))
		assert.Equal(t, "ALL", f.String("trafficType"))
		assert.Equal(t, 600, plantest.Num(f.Prop("maxAggregationInterval")))
	}
	assert.ElementsMatch(t, []string{"foo", "bar"}, vpcs)

	none, _ := runVpcs(t, seedArgs, "foo")
	assert.Empty(t, none.OfType(awstype.FlowLog))
}

// Bastion mode: a bastion with a public address in the first public
// subnet, SSH in from each admin CIDR and out to its own VPC only.
func TestBastion(t *testing.T) {
	g, vpcs := runVpcs(t, with(func(_ string, a *network.VpcArgs) {
		a.Admin.Bastion.AdminCidrs = []string{"198.51.100.7/32", "203.0.113.0/24"}
		a.Admin.Bastion.KeyName = pulumi.String("admin-key")
	}), "foo", "bar")
	assert.ElementsMatch(t, []string{
		"foo-bastion in 22 198.51.100.7/32", "foo-bastion in 22 203.0.113.0/24", "foo-bastion out 22 10.2.0.0/16",
		"bar-bastion in 22 198.51.100.7/32", "bar-bastion in 22 203.0.113.0/24", "bar-bastion out 22 10.3.0.0/16",
	}, g.RuleStrings(t))
	var bastions []string
	for _, i := range g.OfType(awstype.Instance) {
		bastions = append(bastions, i.Name)
		vpc := strings.TrimSuffix(i.Name, "-bastion")
		assert.Equal(t, "bastion", plantest.Obj(i.Prop("tags"))["Role"])
		assert.Nil(t, i.Inputs["associatePublicIpAddress"], "%s: no auto-assigned address; AWS shows the Elastic IP's association", i.Name)
		assert.Equal(t, vpc+"-public-1", g.Ref(t, i.Prop("subnetId")).Name)
		assert.Equal(t, []string{vpc + "-bastion"}, g.Names(t, i.Prop("vpcSecurityGroupIds")))
		assert.Equal(t, ami, i.String("ami"))
		assert.Equal(t, "t3.micro", i.String("instanceType"))
		assert.Equal(t, "admin-key", i.String("keyName"))
	}
	assert.ElementsMatch(t, []string{"foo-bastion", "bar-bastion"}, bastions)
	// Each bastion's public address is an Elastic IP: an auto-assigned one
	// changes on every stop and start. It is associated once the VPC has
	// its internet gateway, and it is the address the VPC reports.
	var eips []string
	for _, e := range g.OfType(awstype.Eip) {
		eips = append(eips, e.Name)
		vpc := strings.TrimSuffix(e.Name, "-bastion")
		assert.Equal(t, "vpc", e.String("domain"), e.Name)
		assert.Equal(t, e.Name, g.Ref(t, e.Prop("instance")).Name, "%s: the bastion's own address", e.Name)
		assert.Contains(t, e.Dependencies, g.Named(t, awstype.InternetGateway, vpc+"-igw").URN, "%s waits for the internet gateway", e.Name)
	}
	assert.ElementsMatch(t, []string{"foo-bastion", "bar-bastion"}, eips)
	require.NotNil(t, vpcs["bar"].Admin)
	require.NotNil(t, vpcs["bar"].Admin.Bastion)
	addr := make(chan string, 1)
	vpcs["bar"].Admin.Bastion.PublicIP.ApplyT(func(s string) string { addr <- s; return s })
	assert.Equal(t, g.Named(t, awstype.Eip, "bar-bastion").String("publicIp"), <-addr)
	assert.Empty(t, g.OfType(awstype.InstanceConnectEndpoint))
	require.NotNil(t, vpcs["foo"].Admin)
	assert.NotNil(t, vpcs["foo"].Admin.Bastion)

	// 0.0.0.0/0 is the config's to refuse: the component opens what it is given.
	open, _ := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Admin.Bastion.AdminCidrs = []string{"0.0.0.0/0"} }), "foo", "bar")
	var anywhere []string
	for _, r := range open.Rules(t) {
		if r.Peer == "0.0.0.0/0" {
			anywhere = append(anywhere, r.String())
		}
	}
	assert.ElementsMatch(t, []string{"foo-bastion in 22 0.0.0.0/0", "bar-bastion in 22 0.0.0.0/0"}, anywhere)
}

// Instance Connect Endpoint mode: an endpoint in each VPC's first private
// subnet whose group sends SSH to its own VPC only; the instances see the
// endpoint's address, so its group can be referenced; no bastion, no
// public address.
func TestInstanceConnectEndpoint(t *testing.T) {
	g, vpcs := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Admin = &network.AdminArgs{} }), "foo", "bar")
	var in []string
	for _, e := range g.OfType(awstype.InstanceConnectEndpoint) {
		subnet := g.Ref(t, e.Prop("subnetId"))
		vpc := g.Ref(t, subnet.Prop("vpcId")).Name
		in = append(in, vpc)
		assert.Equal(t, vpc+"-private-1", subnet.Name)
		assert.Equal(t, false, e.Prop("preserveClientIp"), "the instances see the endpoint's address, so its group can be referenced")
		assert.Equal(t, []string{vpc + "-eice"}, g.Names(t, e.Prop("securityGroupIds")))
	}
	assert.ElementsMatch(t, []string{"foo", "bar"}, in)
	assert.Empty(t, g.OfType(awstype.Instance), "no bastion")
	assert.ElementsMatch(t, []string{"foo-eice out 22 10.2.0.0/16", "bar-eice out 22 10.3.0.0/16"}, g.RuleStrings(t))
	require.NotNil(t, vpcs["foo"].Admin)
	assert.Nil(t, vpcs["foo"].Admin.Bastion)
}

// No admin access: no bastion, no endpoint, no SSH rule.
func TestNoAdminAccess(t *testing.T) {
	g, vpcs := runVpcs(t, with(func(_ string, a *network.VpcArgs) { a.Admin = nil }), "foo", "bar")
	assert.Empty(t, g.OfType(awstype.Instance))
	assert.Empty(t, g.OfType(awstype.InstanceConnectEndpoint))
	assert.Empty(t, g.OfType(awstype.SecurityGroup))
	assert.Empty(t, g.Rules(t))
	assert.Nil(t, vpcs["foo"].Admin)
}

// The component checks its own args, before registering anything, in its
// own terms: no stack key in the error. Check is what NewVpc would say.
func TestVpcRefusesBadArgs(t *testing.T) {
	seventeen := func(_ string, a *network.VpcArgs) { // the service VPC's flows with 17 consumers
		a.Flows = network.Within(8080, a.Cidr)
		for i := 0; i < 17; i++ {
			a.Flows = append(a.Flows, network.Flow{Port: 80, Cidr: fmt.Sprintf("10.%d.0.0/16", 10+i), Inbound: true})
		}
	}
	for name, c := range map[string]struct {
		change func(string, *network.VpcArgs)
		want   string
	}{
		"nat":       {func(_ string, a *network.VpcArgs) { a.Nat = "always" }, `network: vpc foo: NAT mode "always" is not one of none, single, onePerAz`},
		"too small": {func(_ string, a *network.VpcArgs) { a.Cidr = "10.2.0.0/24" }, "network: vpc foo: subnets of 10.2.0.0/24 must be /26 to /28"},
		"cidr":      {func(_ string, a *network.VpcArgs) { a.Cidr = "10.2.0.1/16" }, `network: vpc foo: cidr "10.2.0.1/16": host bits set (did you mean 10.2.0.0/16?)`},
		"no room":   {func(_ string, a *network.VpcArgs) { a.Cidr = "10.2.0.0/22" }, "network: vpc foo: at most 1 private and 1 public /24 subnets fit in 10.2.0.0/22"},
		"acl quota": {seventeen, "network: vpc foo: its private network ACL needs 21 inbound rules, over AWS's default quota of 20 per direction (fewer flows or admin CIDRs, or raise the quota to 40 and AclQuota with it)"},
	} {
		t.Run(name, func(t *testing.T) {
			args := with(c.change)("foo")
			assert.EqualError(t, args.Check("foo"), c.want)
			g, err := plantest.RunErr(func(ctx *pulumi.Context) error {
				_, err := network.NewVpc(ctx, "foo", args)
				return err
			})
			require.Error(t, err)
			assert.Equal(t, c.want, plantest.Message(err))
			assert.Empty(t, g.Graph, "nothing registered")
		})
	}
	assert.NoError(t, seedArgs("foo").Check("foo"))
}

func TestOneOf(t *testing.T) {
	assert.NoError(t, network.OneOf(network.NatSingle, network.NatModes))
	assert.EqualError(t, network.OneOf(network.NatMode("perAz"), network.NatModes), "is not one of none, single, onePerAz")
	assert.EqualError(t, network.OneOf(network.Connectivity("vpn"), network.Connectivities), "is not one of peering, transitGateway")
	assert.EqualError(t, network.OneOf(network.AdminAccess("ssm"), network.AdminAccesses), "is not one of bastion, instanceConnectEndpoint, none")
}
