package resolver_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/twin/resolver"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// The dev plan (verify/fixture's golden file) and the ids of the resources
// the tests use.
var (
	dev      = fixture.Default()
	foo      = fixture.ID(dev, awstype.Vpc, "foo")
	bar      = fixture.ID(dev, awstype.Vpc, "bar")
	albID    = fixture.ID(dev, awstype.LoadBalancer, "web")
	lambdaID = fixture.ID(dev, awstype.VpcEndpoint, "hello-world-bar-endpoint")
	home     = fixture.Get(dev, awstype.Zone, "zone").String("zoneId") // the zone home's id, as records name it
	albDNS   = fixture.Get(dev, awstype.LoadBalancer, "web").String("dnsName")
)

const lambda = "lambda." + fixture.Region + ".amazonaws.com"

// addrs are the addresses the twin would assign to the plan's ALB nodes
// and Lambda endpoint ENIs.
var addrs = resolver.Addrs{
	LBNodes: map[string][]netip.Addr{
		albID: {netip.MustParseAddr("10.2.1.100"), netip.MustParseAddr("10.2.2.100")},
	},
	Endpoints: map[string][]netip.Addr{
		lambdaID:         {netip.MustParseAddr("10.3.1.200"), netip.MustParseAddr("10.3.2.200")},
		"bar-ecr-api-id": {netip.MustParseAddr("10.3.1.201")},
	},
}

// Expected answers, as rrs prints them.
var (
	albA = []string{
		"alb.home. 60 IN A 10.2.1.100",
		"alb.home. 60 IN A 10.2.2.100",
	}
	lambdaA = []string{
		lambda + ". 60 IN A 10.3.1.200",
		lambda + ". 60 IN A 10.3.2.200",
	}
)

// rrs prints records one per line with single spaces, TTL included.
func rrs(l []dns.RR) []string {
	out := []string{}
	for _, rr := range l {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return out
}

// record adds a Route 53 record to a copy of g.
func record(g graph.Graph, name, zone, rname, typ string, values ...string) graph.Graph {
	var vs []any
	for _, v := range values {
		vs = append(vs, v)
	}
	return fixture.Add(g, awstype.Record, name, map[string]any{"zoneId": zone, "name": rname, "type": typ, "records": vs})
}

// zone adds a private hosted zone associated with vpcs to a copy of g; its
// id is "<name>-id".
func zone(g graph.Graph, name, domain string, vpcs ...string) graph.Graph {
	var assoc []any
	for _, v := range vpcs {
		assoc = append(assoc, map[string]any{"vpcId": v, "vpcRegion": fixture.Region})
	}
	return fixture.Add(g, awstype.Zone, name, map[string]any{"name": domain, "vpcs": assoc})
}

// nested adds a zone svc.home, associated with bar only, below the plan's
// home zone (associated with foo and bar).
func nested() graph.Graph {
	g := zone(fixture.Default(), "svc", "svc.home", bar)
	g = record(g, "svc-alb", "svc-id", "alb", "A", "10.3.9.9")
	g = record(g, "home-svc-alb", home, "alb.svc", "A", "10.2.9.9")
	return record(g, "home-svc-only", home, "only.svc", "A", "10.2.8.8")
}

// corp adds a zone corp associated with foo only.
func corp() graph.Graph {
	g := zone(fixture.Default(), "corp", "corp", foo)
	return record(g, "corp-db", "corp-id", "db", "A", "10.2.5.5")
}

// records adds plain, CNAME, TXT and alias records to the home zone.
func records() graph.Graph {
	g := record(fixture.Default(), "static", home, "static", "A", "10.2.7.7", "not-an-address")
	g = record(g, "www", home, "www", "CNAME", "alb.home")
	g = record(g, "ext", home, "ext", "CNAME", "example.com")
	g = record(g, "dangling", home, "dangling", "CNAME", "gone.home")
	g = record(g, "loop1", home, "loop1", "CNAME", "loop2.home")
	g = record(g, "loop2", home, "loop2", "CNAME", "loop1.home")
	g = record(g, "note", home, "note.deep", "TXT", "hello")
	g = record(g, "v6", home, "v6", "AAAA", "fd00::1")
	return fixture.Add(g, awstype.Record, "api-alias", map[string]any{"zoneId": home, "name": "api", "type": "A",
		"aliases": []any{map[string]any{"name": lambda, "zoneId": "Zvpce", "evaluateTargetHealth": false}}})
}

// ecr adds an interface endpoint for ECR's API, private DNS on, in bar.
func ecr() graph.Graph {
	return fixture.Add(fixture.Default(), awstype.VpcEndpoint, "bar-ecr-api", map[string]any{"vpcId": bar,
		"serviceName": "com.amazonaws." + fixture.Region + ".ecr.api", "vpcEndpointType": "Interface", "privateDnsEnabled": true})
}

type question struct {
	name   string // what the case proves
	g      graph.Graph
	a      *resolver.Addrs // nil: addrs
	vpc, q string
	qtype  uint16
	rcode  int
	want   []string
}

func TestAnswer(t *testing.T) {
	base := fixture.Default()
	for _, c := range []question{
		// Private zones, through verify.Resolve.
		{name: "alias to the ALB answers its nodes in the consumer VPC", vpc: bar, q: "alb.home", rcode: dns.RcodeSuccess, want: albA},
		{name: "and in the ALB's own VPC", vpc: foo, q: "alb.home.", rcode: dns.RcodeSuccess, want: albA},
		{name: "questions are case-insensitive and the answer echoes the question", vpc: bar, q: "ALB.Home.", rcode: dns.RcodeSuccess,
			want: []string{"ALB.Home. 60 IN A 10.2.1.100", "ALB.Home. 60 IN A 10.2.2.100"}},
		{name: "ANY is answered as A", vpc: bar, q: "alb.home", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, want: albA},
		{name: "AAAA for a name that exists is NODATA", vpc: bar, q: "alb.home", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess},
		{name: "MX for a name that exists is NODATA", vpc: bar, q: "alb.home", qtype: dns.TypeMX, rcode: dns.RcodeSuccess},
		{name: "a name the zone lacks is NXDOMAIN", vpc: bar, q: "nope.home", rcode: dns.RcodeNameError},
		{name: "the zone apex without an A record is NODATA", vpc: bar, q: "home", rcode: dns.RcodeSuccess},
		{name: "without addresses for the ALB's nodes the alias cannot be answered", a: &resolver.Addrs{}, vpc: bar, q: "alb.home", rcode: dns.RcodeServerFailure},

		{name: "the most specific associated zone wins", g: nested(), vpc: bar, q: "alb.svc.home", rcode: dns.RcodeSuccess,
			want: []string{"alb.svc.home. 300 IN A 10.3.9.9"}},
		{name: "a zone not associated with the VPC is skipped for the less specific one", g: nested(), vpc: foo, q: "alb.svc.home", rcode: dns.RcodeSuccess,
			want: []string{"alb.svc.home. 300 IN A 10.2.9.9"}},
		{name: "the more specific zone hides the parent zone's record", g: nested(), vpc: bar, q: "only.svc.home", rcode: dns.RcodeNameError},
		{name: "where it is not associated, the parent zone's record shows", g: nested(), vpc: foo, q: "only.svc.home", rcode: dns.RcodeSuccess,
			want: []string{"only.svc.home. 300 IN A 10.2.8.8"}},
		{name: "names outside the nested zone still come from the parent", g: nested(), vpc: bar, q: "alb.home", rcode: dns.RcodeSuccess, want: albA},
		{name: "a zone associated with the VPC answers", g: corp(), vpc: foo, q: "db.corp", rcode: dns.RcodeSuccess,
			want: []string{"db.corp. 300 IN A 10.2.5.5"}},
		{name: "a zone not associated with the VPC is not seen: the upstream is unreachable", g: corp(), vpc: bar, q: "db.corp", rcode: dns.RcodeServerFailure},
		{name: "DNS hostnames off: no private zone answers", g: fixture.Set(base, awstype.Vpc, "bar", "enableDnsHostnames", false), vpc: bar, q: "alb.home", rcode: dns.RcodeServerFailure},
		{name: "DNS hostnames off elsewhere does not matter", g: fixture.Set(base, awstype.Vpc, "foo", "enableDnsHostnames", false), vpc: bar, q: "alb.home", rcode: dns.RcodeSuccess, want: albA},

		// Records of each kind.
		{name: "an A record answers its IPv4 values", g: records(), vpc: foo, q: "static.home", rcode: dns.RcodeSuccess,
			want: []string{"static.home. 300 IN A 10.2.7.7"}},
		{name: "a CNAME is followed to the target's addresses", g: records(), vpc: bar, q: "www.home", rcode: dns.RcodeSuccess,
			want: append([]string{"www.home. 300 IN CNAME alb.home."}, albA...)},
		{name: "a CNAME question gets the CNAME only", g: records(), vpc: bar, q: "www.home", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess,
			want: []string{"www.home. 300 IN CNAME alb.home."}},
		{name: "a CNAME to a name the twin cannot reach is SERVFAIL", g: records(), vpc: bar, q: "ext.home", rcode: dns.RcodeServerFailure,
			want: []string{"ext.home. 300 IN CNAME example.com."}},
		{name: "a CNAME to a missing name is NXDOMAIN", g: records(), vpc: bar, q: "dangling.home", rcode: dns.RcodeNameError,
			want: []string{"dangling.home. 300 IN CNAME gone.home."}},
		{name: "a CNAME loop ends in SERVFAIL", g: records(), vpc: bar, q: "loop1.home", rcode: dns.RcodeServerFailure,
			want: []string{
				"loop1.home. 300 IN CNAME loop2.home.", "loop2.home. 300 IN CNAME loop1.home.",
				"loop1.home. 300 IN CNAME loop2.home.", "loop2.home. 300 IN CNAME loop1.home.",
				"loop1.home. 300 IN CNAME loop2.home.", "loop2.home. 300 IN CNAME loop1.home.",
				"loop1.home. 300 IN CNAME loop2.home.", "loop2.home. 300 IN CNAME loop1.home.",
			}},
		{name: "a name with only a TXT record is NODATA, not NXDOMAIN", g: records(), vpc: bar, q: "note.deep.home", rcode: dns.RcodeSuccess},
		{name: "a name above a record is NODATA, not NXDOMAIN", g: records(), vpc: bar, q: "deep.home", rcode: dns.RcodeSuccess},
		{name: "an AAAA record gives no A and no IPv6", g: records(), vpc: bar, q: "v6.home", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess},
		{name: "an alias to a name that is not a load balancer resolves that name", g: records(), vpc: bar, q: "api.home", rcode: dns.RcodeSuccess,
			want: []string{"api.home. 60 IN A 10.3.1.200", "api.home. 60 IN A 10.3.2.200"}},
		{name: "and fails where that name does not resolve", g: records(), vpc: foo, q: "api.home", rcode: dns.RcodeServerFailure},

		// Names AWS publishes.
		{name: "the ALB's own name resolves in every VPC", vpc: bar, q: albDNS, rcode: dns.RcodeSuccess,
			want: []string{albDNS + ". 60 IN A 10.2.1.100", albDNS + ". 60 IN A 10.2.2.100"}},
		{name: "the ALB's name without node addresses cannot be answered", a: &resolver.Addrs{}, vpc: bar, q: albDNS, rcode: dns.RcodeServerFailure},
		{name: "its dualstack name too", vpc: foo, q: "dualstack." + strings.ToUpper(albDNS), rcode: dns.RcodeSuccess,
			want: []string{"dualstack." + strings.ToUpper(albDNS) + ". 60 IN A 10.2.1.100", "dualstack." + strings.ToUpper(albDNS) + ". 60 IN A 10.2.2.100"}},
		{name: "the ALB's name is public DNS: private zones off do not hide it", g: fixture.Set(base, awstype.Vpc, "bar", "enableDnsHostnames", false), vpc: bar, q: albDNS, rcode: dns.RcodeSuccess,
			want: []string{albDNS + ". 60 IN A 10.2.1.100", albDNS + ". 60 IN A 10.2.2.100"}},
		{name: "the Lambda API resolves to the endpoint in the endpoint's VPC", vpc: bar, q: lambda, rcode: dns.RcodeSuccess, want: lambdaA},
		{name: "the Lambda API does not resolve in a VPC without the endpoint", vpc: foo, q: lambda, rcode: dns.RcodeServerFailure},
		{name: "nor when the twin assigned the endpoint no addresses", a: &resolver.Addrs{LBNodes: addrs.LBNodes}, vpc: bar, q: lambda, rcode: dns.RcodeServerFailure},
		{name: "nor when the endpoint's private DNS is off", g: fixture.Set(base, awstype.VpcEndpoint, "hello-world-bar-endpoint", "privateDnsEnabled", false), vpc: bar, q: lambda, rcode: dns.RcodeServerFailure},
		{name: "nor when the VPC's DNS hostnames are off", g: fixture.Set(base, awstype.Vpc, "bar", "enableDnsHostnames", false), vpc: bar, q: lambda, rcode: dns.RcodeServerFailure},
		{name: "a service of several labels reads backwards", g: ecr(), vpc: bar, q: "api.ecr." + fixture.Region + ".amazonaws.com", rcode: dns.RcodeSuccess,
			want: []string{"api.ecr." + fixture.Region + ".amazonaws.com. 60 IN A 10.3.1.201"}},
		{name: "a gateway endpoint adds no name", vpc: foo, q: "s3." + fixture.Region + ".amazonaws.com", rcode: dns.RcodeServerFailure},
		{name: "an instance's private hostname resolves in its own VPC", vpc: foo, q: "ip-10-2-1-10." + fixture.Region + ".compute.internal", rcode: dns.RcodeSuccess,
			want: []string{"ip-10-2-1-10." + fixture.Region + ".compute.internal. 60 IN A 10.2.1.10"}},
		{name: "and in the other VPCs", vpc: bar, q: "ip-10-2-1-10." + fixture.Region + ".compute.internal", rcode: dns.RcodeSuccess,
			want: []string{"ip-10-2-1-10." + fixture.Region + ".compute.internal. 60 IN A 10.2.1.10"}},
		{name: "but not in a VPC with DNS hostnames off", g: fixture.Set(base, awstype.Vpc, "bar", "enableDnsHostnames", false), vpc: bar, q: "ip-10-2-1-10." + fixture.Region + ".compute.internal", rcode: dns.RcodeServerFailure},
		{name: "a hostname of no instance is unknown", vpc: foo, q: "ip-10-2-1-99." + fixture.Region + ".compute.internal", rcode: dns.RcodeServerFailure},

		// Everything else.
		{name: "the internet is unreachable: SERVFAIL", vpc: bar, q: "example.com", rcode: dns.RcodeServerFailure},
		{name: "for every type", vpc: bar, q: "example.com", qtype: dns.TypeAAAA, rcode: dns.RcodeServerFailure},
		{name: "a VPC without DNS support answers nothing", g: fixture.Set(base, awstype.Vpc, "bar", "enableDnsSupport", false), vpc: bar, q: albDNS, rcode: dns.RcodeServerFailure},
		{name: "a VPC not in the model answers nothing", vpc: "vpc-none", q: albDNS, rcode: dns.RcodeServerFailure},
	} {
		t.Run(c.name, func(t *testing.T) {
			check(t, c, base)
		})
	}
}

// check asks the question of c and compares the answer.
func check(t *testing.T, c question, base graph.Graph) {
	t.Helper()
	g, a, qtype := c.g, addrs, c.qtype
	if g == nil {
		g = base
	}
	if c.a != nil {
		a = *c.a
	}
	if qtype == 0 {
		qtype = dns.TypeA
	}
	got, rcode := resolver.NewView(verify.BuildModel(g), c.vpc, a).Answer(c.q, qtype)
	if rcode != c.rcode {
		t.Errorf("%s %s from %s: rcode %s, want %s", c.q, dns.TypeToString[qtype], c.vpc, dns.RcodeToString[rcode], dns.RcodeToString[c.rcode])
	}
	want := c.want
	if want == nil {
		want = []string{}
	}
	if lines := rrs(got); !slices.Equal(lines, want) {
		t.Errorf("%s %s from %s: answer\n%s\nwant\n%s", c.q, dns.TypeToString[qtype], c.vpc, strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestEnabled(t *testing.T) {
	base := fixture.Default()
	for _, c := range []struct {
		name string
		g    graph.Graph
		vpc  string
		want bool
	}{
		{"DNS support on", base, bar, true},
		{"DNS support off", fixture.Set(base, awstype.Vpc, "bar", "enableDnsSupport", false), bar, false},
		{"DNS hostnames off still has a resolver", fixture.Set(base, awstype.Vpc, "bar", "enableDnsHostnames", false), bar, true},
		{"unknown VPC", base, "vpc-none", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := resolver.NewView(verify.BuildModel(c.g), c.vpc, addrs)
			if v.Enabled() != c.want {
				t.Errorf("Enabled() = %v, want %v", v.Enabled(), c.want)
			}
			if v.VPC() != c.vpc {
				t.Errorf("VPC() = %q, want %q", v.VPC(), c.vpc)
			}
		})
	}
}

func TestViewCopiesAddrs(t *testing.T) {
	a := resolver.Addrs{LBNodes: map[string][]netip.Addr{albID: {netip.MustParseAddr("10.2.1.100")}}}
	v := resolver.NewView(verify.BuildModel(fixture.Default()), bar, a)
	a.LBNodes[albID][0] = netip.MustParseAddr("10.9.9.9")
	got, _ := v.Answer("alb.home", dns.TypeA)
	if lines := rrs(got); !slices.Equal(lines, []string{"alb.home. 60 IN A 10.2.1.100"}) {
		t.Errorf("answer changed with the caller's Addrs: %v", lines)
	}
}

func TestHostname(t *testing.T) {
	a := netip.MustParseAddr("10.2.1.10")
	for region, want := range map[string]string{
		"ap-northeast-1": "ip-10-2-1-10.ap-northeast-1.compute.internal",
		"us-east-1":      "ip-10-2-1-10.ec2.internal",
	} {
		if got := resolver.Hostname(a, region); got != want {
			t.Errorf("Hostname(%s, %s) = %q, want %q", a, region, got, want)
		}
	}
}
