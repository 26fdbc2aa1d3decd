package twin

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

func TestPlanDefaultFixture(t *testing.T) {
	s := planOf(t, fixture.Default())
	require.Len(t, s.VPCs, 2)
	assert.Equal(t, "10.2.0.2", s.VPCs[0].Resolver.String(), "the resolver is at the VPC's base + 2")

	// Instances keep their graph addresses; ALB nodes and endpoint ENIs get
	// picked ones, in their subnets, and the notes say so.
	web1 := eniNamed(t, s, "foo-web-1")
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
	require.Len(t, s.Lambda[0].ENIs, 2, "one endpoint ENI per endpoint subnet")

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
	// only from the ALB's nodes; the ALB admits 80 from bar's block.
	var nodes []string
	for _, n := range s.LBs[0].Nodes {
		nodes = append(nodes, netip.PrefixFrom(n.Addr.Addr(), 32).String())
	}
	assert.ElementsMatch(t, nodes, prefixes(web1.Ingress, "tcp", 8080))
	assert.Equal(t, []string{"10.3.0.0/16"}, prefixes(s.LBs[0].Nodes[0].Ingress, "tcp", 80))
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
	assert.Equal(t, s.Internet.Links[0].AName, r.Link)
	assert.False(t, r.Blackhole)
	assert.Nil(t, routeTo(wt, "0.0.0.0/0"), "the private tables have no internet route (no NAT)")
}

func TestPlanPeeringNotActive(t *testing.T) {
	g := fixture.Set(fixture.Default(), "foo-bar", "autoAccept", false)
	s := planOf(t, g)
	assert.Empty(t, s.Peerings)
	assert.Contains(t, strings.Join(s.Notes, "\n"), "peering foo-bar is not active")
	client := eniNamed(t, s, "bar-client")
	assert.Nil(t, routeTo(tableOf(s, client.Table), "10.2.0.0/16"), "no route to an inactive peering")
}

func TestPlanTransitGateway(t *testing.T) {
	s := planOf(t, fixture.Build(fixture.Options{TransitGateway: true}))
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
	g := fixture.Add(fixture.Build(fixture.Options{DefaultNACL: true}), "aws:ec2/networkAcl:NetworkAcl", "foo-private-nacl", map[string]any{"vpcId": "foo-id", "subnetIds": []any{"foo-private-1-id", "foo-private-2-id"},
		"ingress": []any{
			map[string]any{"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"},
			map[string]any{"ruleNo": 100, "action": "deny", "protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlock": "0.0.0.0/0"}},
		"egress": []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}}})
	s := planOf(t, g)
	foo := s.VPCs[0]
	require.Len(t, foo.NACLs, 1)
	n := foo.NACLs[0]
	require.Len(t, n.Subnets, 2)
	assert.Equal(t, 100, n.Rules[0].Num, "rules in rule-number order")
	assert.False(t, n.Rules[0].Allow)
	// Both ALB nodes and the web server of the first subnet are guarded.
	assert.Len(t, n.Subnets[0].Links, 2)
	assert.Empty(t, s.VPCs[1].NACLs, "bar keeps the default NACL (allow all)")
}

func TestPlanRefusesAGraphWithoutInstances(t *testing.T) {
	var g graph.Graph
	for _, r := range fixture.Default() {
		if r.Type != "aws:ec2/instance:Instance" {
			g = append(g, r)
		}
	}
	_, err := Plan(verify.BuildModel(g))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no EC2 instances")
}

func TestFirewallRuleset(t *testing.T) {
	s := planOf(t, fixture.Default())
	web1 := eniNamed(t, s, "foo-web-1")
	rs := eniFirewall(web1, s.VPCs[0].Resolver)
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
	g := fixture.Add(fixture.Default(), "aws:networkfirewall/firewall:Firewall", "inspect", map[string]any{"vpcId": "foo-id"})
	g = fixture.Add(g, "aws:s3/bucket:Bucket", "logs", map[string]any{})
	notes := strings.Join(planOf(t, g).Notes, "\n")
	assert.Contains(t, notes, "the twin does not model aws:networkfirewall/firewall:Firewall (1): it may matter to a probe")
	assert.Contains(t, notes, "the twin does not model aws:s3/bucket:Bucket (1): it does not touch a probe's path")
	assert.NotContains(t, notes, "aws:cloudwatch/logGroup:LogGroup", "a type left out on purpose is not reported")
}

// A refreshed state lists a route both in its table's routes and as its
// own resource: the table gets it once.
func TestPlanRouteListedTwice(t *testing.T) {
	g := fixture.Set(fixture.Default(), "bar-private-rt", "routes", []any{map[string]any{"cidrBlock": "10.2.0.0/16", "vpcPeeringConnectionId": "foo-bar-id"}})
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
