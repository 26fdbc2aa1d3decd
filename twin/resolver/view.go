// Package resolver is the twin's Amazon-provided DNS resolver of one VPC
// (the server AWS places at the VPC's base address + 2).
//
// The package has a pure core and a thin shell. The core, [View], is
// computed from the verifier's model and answers questions as plain values:
// private hosted zones through [verify.Model.Resolve] (the one
// implementation of zone precedence, shared with the verifier), then the
// names AWS publishes in public DNS or through an endpoint's private DNS:
// load balancer names, interface endpoint service names and EC2 private
// hostnames. The twin has no internet, so every other name gets SERVFAIL at
// once. The shell, [Serve], puts a View on sockets the caller opened inside
// the VPC's network namespace.
package resolver

import (
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/internal-alb/internal-alb/verify"
)

// TTLs of the answers, in seconds.
const (
	// ComputedTTL is the TTL of addresses AWS computes: load balancer
	// nodes (also behind an alias record), endpoint ENIs, EC2 hostnames.
	ComputedTTL = 60
	// RecordTTL is the TTL of a plain A record. The model does not carry
	// the record's own TTL; Route 53's usual 300 stands in for it.
	RecordTTL = 300
)

// maxChain bounds CNAME and alias chains, so a loop in the graph ends in
// SERVFAIL instead of recursing forever.
const maxChain = 8

// Addrs are the addresses the graph does not carry, which the twin assigns.
type Addrs struct {
	LBNodes   map[string][]netip.Addr // load balancer id (Model.LBs key) → its nodes' addresses
	Endpoints map[string][]netip.Addr // VPC endpoint id (Model.Vpces key) → its ENIs' addresses
}

// View is what one VPC's resolver answers, computed from the model. It is
// read-only once built, so one View may serve many goroutines as long as
// the model is not changed.
type View struct {
	m       *verify.Model
	vpcID   string
	enabled bool
	lbNodes map[string][]netip.Addr // load balancer id → IPv4 node addresses
	fixed   map[string][]netip.Addr // names outside private zones (normalised) → addresses
}

// result is the resolution of one name, before it becomes resource records.
type result struct {
	rcode  int
	addrs  []netip.Addr // IPv4 addresses of the name (none: NODATA)
	ttl    uint32
	target string // normalised CNAME target when the name is a CNAME
}

// NewView computes the resolver of VPC vpcID.
//
// A VPC with DNS support off has no resolver in AWS and the caller starts
// none; its View can still be built, reports Enabled false, and answers
// SERVFAIL to everything. An id that is not in the model builds the same
// disabled View.
func NewView(m *verify.Model, vpcID string, a Addrs) *View {
	v := &View{m: m, vpcID: vpcID, lbNodes: map[string][]netip.Addr{}, fixed: map[string][]netip.Addr{}}
	vpc := m.VPCs[vpcID]
	if vpc == nil || !vpc.DNSSupport {
		return v
	}
	v.enabled = true
	for _, lb := range m.LoadBalancers() {
		v.lbNodes[lb.ID] = ipv4(a.LBNodes[lb.ID])
	}
	v.addLoadBalancers()
	v.addEndpoints(vpc, a.Endpoints)
	v.addHostnames(vpc)
	return v
}

// Enabled reports whether the VPC has a resolver at all (DNS support on).
func (v *View) Enabled() bool { return v.enabled }

// VPC returns the id of the VPC the view answers for.
func (v *View) VPC() string { return v.vpcID }

// Answer answers one question. rcode is a dns.Rcode* value. Only A
// questions (and ANY, answered as A) get addresses; any other type for a
// name that exists gets NOERROR with no answers, after the CNAME chain, if
// any. The question is case-insensitive and the records echo its name.
func (v *View) Answer(name string, qtype uint16) (rrs []dns.RR, rcode int) {
	if !v.enabled {
		return nil, dns.RcodeServerFailure
	}
	owner := dns.Fqdn(name)
	for range maxChain {
		r := v.lookup(normalise(owner), 0)
		if r.target == "" {
			if r.rcode == dns.RcodeSuccess && (qtype == dns.TypeA || qtype == dns.TypeANY) {
				rrs = append(rrs, aRecords(owner, r)...)
			}
			return rrs, r.rcode
		}
		rrs = append(rrs, cnameRecord(owner, r.target))
		if qtype == dns.TypeCNAME {
			return rrs, dns.RcodeSuccess
		}
		owner = dns.Fqdn(r.target)
	}
	return rrs, dns.RcodeServerFailure
}

// lookup resolves one normalised name without following CNAMEs: the VPC's
// private zones first (a zone that claims the name hides the rest of DNS),
// then the fixed names; anything else would need the internet. A name
// whose addresses the twin did not assign cannot be answered either.
func (v *View) lookup(name string, depth int) result {
	rec, zone, _ := v.m.Resolve(name, v.vpcID)
	switch {
	case rec != nil:
		return v.fromRecord(rec, depth)
	case zone != nil:
		return v.missing(zone, name)
	}
	if addrs := v.fixed[name]; len(addrs) > 0 {
		return result{rcode: dns.RcodeSuccess, addrs: addrs, ttl: ComputedTTL}
	}
	return result{rcode: dns.RcodeServerFailure}
}

// fromRecord turns the record a private zone answers with into a result.
func (v *View) fromRecord(rec *verify.Record, depth int) result {
	switch {
	case rec.AliasName != "" || rec.AliasZone != "":
		return v.fromAlias(rec, depth)
	case rec.Type == "CNAME":
		if len(rec.Values) == 0 {
			return result{rcode: dns.RcodeServerFailure}
		}
		return result{rcode: dns.RcodeSuccess, target: normalise(rec.Values[0])}
	case rec.Type == "A":
		return result{rcode: dns.RcodeSuccess, addrs: parseIPv4(rec.Values), ttl: RecordTTL}
	}
	// An AAAA record: the name exists, the twin answers no IPv6.
	return result{rcode: dns.RcodeSuccess}
}

// fromAlias answers an alias record: a load balancer's nodes, or else
// whatever the alias target resolves to in this view. The answer keeps the
// question's name, as an alias is not a CNAME.
func (v *View) fromAlias(rec *verify.Record, depth int) result {
	if rec.Type != "A" {
		return result{rcode: dns.RcodeSuccess}
	}
	if lb := v.m.AliasOf(rec); lb != nil {
		nodes := v.lbNodes[lb.ID]
		if len(nodes) == 0 {
			return result{rcode: dns.RcodeServerFailure}
		}
		return result{rcode: dns.RcodeSuccess, addrs: nodes, ttl: ComputedTTL}
	}
	if rec.AliasName == "" || depth >= maxChain {
		return result{rcode: dns.RcodeServerFailure}
	}
	r := v.lookup(rec.AliasName, depth+1)
	if r.target != "" {
		// An alias to a CNAME is not followed: AWS refuses to create it.
		return result{rcode: dns.RcodeServerFailure}
	}
	return r
}

// missing answers a name that the VPC's most specific zone claims but has
// no A, AAAA or CNAME record for: NODATA when the zone still has the name
// (its apex, another record type, or a name below it), else NXDOMAIN.
func (v *View) missing(zone *verify.Zone, name string) result {
	if name == zone.Name {
		return result{rcode: dns.RcodeSuccess}
	}
	for _, r := range v.m.Records {
		if r.Zone == zone.ID && (r.FQDN == name || strings.HasSuffix(r.FQDN, "."+name)) {
			return result{rcode: dns.RcodeSuccess}
		}
	}
	return result{rcode: dns.RcodeNameError}
}

// aRecords builds one A record per address of r, owned by owner.
func aRecords(owner string, r result) []dns.RR {
	out := make([]dns.RR, 0, len(r.addrs))
	for _, a := range r.addrs {
		out = append(out, &dns.A{
			Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: r.ttl},
			A:   net.IP(a.AsSlice()),
		})
	}
	return out
}

// cnameRecord builds the CNAME record owner → target.
func cnameRecord(owner, target string) dns.RR {
	return &dns.CNAME{
		Hdr:    dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: RecordTTL},
		Target: dns.Fqdn(target),
	}
}

// normalise lower-cases a name and drops its trailing dot, the form the
// model keeps names in.
func normalise(name string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
}
