package twin

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// The pure core: the Spec of a graph, asserted as data (no root needed).

func planOf(t *testing.T, g graph.Graph) *Spec {
	t.Helper()
	s, err := Plan(verify.BuildModel(g))
	require.NoError(t, err)
	return s
}

func eniNamed(t *testing.T, s *Spec, name string) *ENI {
	t.Helper()
	for _, e := range s.ENIs {
		if e.Name == name {
			return e
		}
	}
	require.FailNowf(t, "no ENI", "%s", name)
	return nil
}

func vpcNamed(t *testing.T, s *Spec, name string) *VPCSpec {
	t.Helper()
	for _, v := range s.VPCs {
		if v.Name == name {
			return v
		}
	}
	require.FailNowf(t, "no VPC", "%s", name)
	return nil
}

func tableOf(s *Spec, num int) *Table {
	for _, v := range s.VPCs {
		for _, t := range v.Tables {
			if t.Num == num {
				return t
			}
		}
	}
	return nil
}

func prefixes(rs []FwRule, proto string, port int) []string {
	var out []string
	for _, r := range rs {
		if (r.Proto == proto || r.Proto == "-1") && (r.From <= port && port <= r.To || r.From < 0) {
			for _, p := range r.Peers {
				out = append(out, p.String())
			}
		}
	}
	return out
}

func routeTo(t *Table, dest string) *RouteSpec {
	for i, r := range t.Routes {
		if r.Dest.String() == dest {
			return &t.Routes[i]
		}
	}
	return nil
}

func TestPlanDevStack(t *testing.T) {
	dev := fixture.Default()
	s := planOf(t, dev)
	require.Len(t, s.VPCs, 2)
	foo := vpcNamed(t, s, "foo")
	assert.Equal(t, "10.2.0.2", foo.Resolver.String(), "the resolver is at the VPC's base + 2")

	// Instances keep their graph addresses; ALB nodes and endpoint ENIs get
	// picked ones, in their subnets, and the notes say so.
	web1 := eniNamed(t, s, "web-web1")
	assert.Equal(t, "10.2.1.10/24", web1.Addr.String())
	assert.False(t, web1.Picked)
	assert.Equal(t, "10.2.1.1", web1.Gateway.String())
	require.Len(t, s.LBs, 1)
	require.Len(t, s.LBs[0].Nodes, 2)
	for i, n := range s.LBs[0].Nodes {
		assert.True(t, n.Picked)
		assert.True(t, netip.MustParsePrefix([]string{"10.2.1.0/24", "10.2.2.0/24"}[i]).Contains(n.Addr.Addr()), n.Addr)
	}
	assert.Equal(t, "10.2.1.254/24", s.LBs[0].Nodes[0].Addr.String(), "the highest address AWS would hand out")
	assert.Contains(t, strings.Join(s.Notes, "\n"), "the twin picked 10.2.1.254")
	require.Len(t, s.Lambda, 1)
	require.Len(t, s.Lambda[0].ENIs, len(fixture.Get(dev, awstype.VpcEndpoint, "hello-world-bar-endpoint").Prop("subnetIds").([]any)), "one endpoint ENI per endpoint subnet")

	// The listener forwards to the group with both web servers on 8080.
	g := s.LBs[0].Listeners[0].Group
	require.NotNil(t, g)
	assert.Equal(t, 80, s.LBs[0].Listeners[0].Port)
	var targets []string
	for _, tg := range g.Targets {
		targets = append(targets, tg.Addr.String())
	}
	assert.Equal(t, []string{"10.2.1.10:8080", "10.2.2.10:8080"}, targets)
	assert.Equal(t, "/", g.HCPath)
	assert.Equal(t, "200", g.HCMatcher)

	// Security groups, resolved to addresses: the web servers admit 8080
	// only from the ALB's nodes; the ALB admits 80 from bar's client group,
	// that is from the client's address.
	var nodes []string
	for _, n := range s.LBs[0].Nodes {
		nodes = append(nodes, netip.PrefixFrom(n.Addr.Addr(), 32).String())
	}
	assert.ElementsMatch(t, nodes, prefixes(web1.Ingress, "tcp", 8080))
	assert.Equal(t, []string{"10.3.1.10/32"}, prefixes(s.LBs[0].Nodes[0].Ingress, "tcp", 80))
	client := eniNamed(t, s, "bar-client")
	assert.Equal(t, []string{"10.2.0.0/16"}, prefixes(client.Egress, "tcp", 80))
	assert.Empty(t, prefixes(client.Egress, "tcp", 8081), "nothing else leaves the client")

	// One active peering link; bar's private table sends foo's block over
	// it, and foo's sends bar's back.
	require.Len(t, s.Peerings, 1)
	pcx := s.Peerings[0]
	ct := tableOf(s, client.Table)
	require.NotNil(t, ct)
	r := routeTo(ct, "10.2.0.0/16")
	require.NotNil(t, r, "bar → foo route")
	assert.Contains(t, []string{pcx.AName, pcx.BName}, r.Link)
	wt := tableOf(s, web1.Table)
	require.NotNil(t, routeTo(wt, "10.3.0.0/16"), "foo → bar route")
	// The local route: each ENI of the VPC, the rest dropped.
	assert.Equal(t, client.Link, routeTo(ct, "10.3.1.10/32").Link)
	assert.True(t, routeTo(ct, "10.3.0.0/16").Blackhole)
	// The public tables send the internet to the internet namespace, which
	// routes nothing back to a private address.
	require.NotNil(t, s.Internet)
	require.Len(t, s.Internet.Links, 2)
	bastion := eniNamed(t, s, "foo-bastion")
	r = routeTo(tableOf(s, bastion.Table), "0.0.0.0/0")
	require.NotNil(t, r)
	var fooInternet []string // foo's link to the internet (its gateway's)
	for _, l := range s.Internet.Links {
		if l.AVPC == foo.ID {
			fooInternet = append(fooInternet, l.AName)
		}
	}
	assert.Equal(t, []string{r.Link}, fooInternet)
	assert.False(t, r.Blackhole)
	assert.Nil(t, routeTo(wt, "0.0.0.0/0"), "the private tables have no internet route (no NAT)")
}

func TestPlanPeeringNotActive(t *testing.T) {
	g := fixture.Set(fixture.Default(), awstype.VpcPeeringConnection, "peering-foo-bar", "autoAccept", false)
	g = fixture.Set(g, awstype.VpcPeeringConnection, "peering-foo-bar", "acceptStatus", "pending-acceptance")
	s := planOf(t, g)
	assert.Empty(t, s.Peerings)
	assert.Contains(t, strings.Join(s.Notes, "\n"), "peering peering-foo-bar is not active")
	client := eniNamed(t, s, "bar-client")
	assert.Nil(t, routeTo(tableOf(s, client.Table), "10.2.0.0/16"), "no route to an inactive peering")
}

func TestPlanTransitGateway(t *testing.T) {
	s := planOf(t, fixture.Load(fixture.TransitGateway))
	require.Len(t, s.TGWs, 1)
	tg := s.TGWs[0]
	require.Len(t, tg.Links, 2)
	require.Len(t, tg.Tables, 2)
	// Each attachment is associated with its table; the spoke (bar's) table
	// learns only foo's block, the hub only bar's.
	for _, l := range tg.Links {
		num, ok := tg.Assoc[l.BName]
		require.True(t, ok, l.Name)
		var tab *Table
		for _, x := range tg.Tables {
			if x.Num == num {
				tab = x
			}
		}
		require.NotNil(t, tab)
		require.Len(t, tab.Routes, 1, tab.Name)
		want := map[string]string{"tgw-foo": "10.3.0.0/16", "tgw-bar": "10.2.0.0/16"}[l.Name]
		assert.Equal(t, want, tab.Routes[0].Dest.String(), l.Name)
	}
	// The SG reference of the web servers' group does not reach across the
	// TGW (referencing support off), and nothing needs it to.
	client := eniNamed(t, s, "bar-client")
	assert.NotNil(t, routeTo(tableOf(s, client.Table), "10.2.0.0/16"))
}

func TestPlanNACL(t *testing.T) {
	dev := fixture.Default()
	id := func(typ, name string) string { return fixture.ID(dev, typ, name) }
	// The plan's subnets back on their VPCs' default NACLs (allow all), but
	// for one NACL on foo's private subnets.
	g := fixture.Add(fixture.RemoveType(dev, awstype.NetworkAcl), awstype.NetworkAcl, "foo-private-nacl", map[string]any{"vpcId": id(awstype.Vpc, "foo"),
		"subnetIds": []any{id(awstype.Subnet, "foo-private-1"), id(awstype.Subnet, "foo-private-2")},
		"ingress": []any{
			map[string]any{"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"},
			map[string]any{"ruleNo": 100, "action": "deny", "protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlock": "0.0.0.0/0"}},
		"egress": []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}}})
	s := planOf(t, g)
	foo := vpcNamed(t, s, "foo")
	require.Len(t, foo.NACLs, 1)
	n := foo.NACLs[0]
	require.Len(t, n.Subnets, 2)
	assert.Equal(t, 100, n.Rules[0].Num, "rules in rule-number order")
	assert.False(t, n.Rules[0].Allow)
	// Both ALB nodes and the web server of the first subnet are guarded.
	assert.Len(t, n.Subnets[0].Links, 2)
	assert.Empty(t, vpcNamed(t, s, "bar").NACLs, "bar keeps the default NACL (allow all)")
}

func TestPlanRefusesAGraphWithoutInstances(t *testing.T) {
	_, err := Plan(verify.BuildModel(fixture.RemoveType(fixture.Default(), awstype.Instance)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no EC2 instances")
}

func TestFirewallRuleset(t *testing.T) {
	s := planOf(t, fixture.Default())
	web1 := eniNamed(t, s, "web-web1")
	rs := eniFirewall(web1, vpcNamed(t, s, "foo").Resolver)
	require.Len(t, rs.chains, 2)
	in, out := rs.chains[0], rs.chains[1]
	// lo, established, then one accept per peer of each rule: 8080 from
	// two ALB nodes, 22 from the bastion.
	assert.Len(t, in.rules, 2+2+1)
	// The prefix-list egress (S3) matches nothing in the twin: only lo,
	// established and the resolver's two protocols.
	assert.Len(t, out.rules, 2+2)
}

func TestPlanNamesWhatItDoesNotModel(t *testing.T) {
	dev := fixture.Default()
	g := fixture.Add(dev, awstype.NetworkFirewall, "inspect", map[string]any{"vpcId": fixture.ID(dev, awstype.Vpc, "foo")})
	g = fixture.Add(g, awstype.Bucket, "logs", map[string]any{})
	notes := strings.Join(planOf(t, g).Notes, "\n")
	assert.Contains(t, notes, "the twin does not model "+awstype.NetworkFirewall+" (1): it may matter to a probe")
	assert.Contains(t, notes, "the twin does not model "+awstype.Bucket+" (1): it does not touch a probe's path")
	assert.NotContains(t, notes, awstype.LogGroup, "a type left out on purpose is not reported")
}

// A refreshed state lists a route both in its table's routes and as its
// own resource: the table gets it once.
func TestPlanRouteListedTwice(t *testing.T) {
	dev := fixture.Default()
	g := fixture.Set(dev, awstype.RouteTable, "bar-private-1", "routes", []any{map[string]any{"cidrBlock": "10.2.0.0/16",
		"vpcPeeringConnectionId": fixture.ID(dev, awstype.VpcPeeringConnection, "peering-foo-bar")}})
	s := planOf(t, g)
	client := eniNamed(t, s, "bar-client")
	n := 0
	for _, r := range tableOf(s, client.Table).Routes {
		if r.Dest.String() == "10.2.0.0/16" {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

// A refreshed state may keep the function's files only in its inputs.
func TestCodeFromInputsWhenOutputsLackIt(t *testing.T) {
	r := &graph.Resource{
		Inputs:  map[string]any{"code": map[string]any{"assets": map[string]any{"index.mjs": map[string]any{"text": "export const handler = async () => 1"}}}},
		Outputs: map[string]any{"code": map[string]any{"hash": "abc"}},
	}
	assert.Equal(t, map[string]string{"index.mjs": "export const handler = async () => 1"}, codeOf(r))
	r.Outputs["code"] = map[string]any{"archive": map[string]any{"index.mjs": "from outputs"}}
	assert.Equal(t, "from outputs", codeOf(r)["index.mjs"])
}
