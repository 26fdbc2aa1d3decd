package resolver

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// manyNodes gives the dev plan's ALB more nodes than a 512-byte answer holds.
func manyNodes() *View {
	g := fixture.Default()
	var nodes []netip.Addr
	for i := range 100 {
		nodes = append(nodes, netip.AddrFrom4([4]byte{10, 2, 1, byte(i + 1)}))
	}
	a := Addrs{LBNodes: map[string][]netip.Addr{fixture.ID(g, awstype.LoadBalancer, "web"): nodes}}
	return NewView(verify.BuildModel(g), fixture.ID(g, awstype.Vpc, "bar"), a)
}

func TestReply(t *testing.T) {
	v := manyNodes()
	query := func(name string, qtype uint16) *dns.Msg { return new(dns.Msg).SetQuestion(name, qtype) }
	withEDNS := func(m *dns.Msg, size uint16) *dns.Msg { return m.SetEdns0(size, false) }
	update := query("home.", dns.TypeSOA)
	update.Opcode = dns.OpcodeUpdate
	chaos := query("version.bind.", dns.TypeTXT)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	empty := query("alb.home.", dns.TypeA)
	empty.Question = nil

	for _, c := range []struct {
		name    string
		req     *dns.Msg
		udp     bool
		rcode   int
		answers int
		tc      bool
		edns    bool
	}{
		{"all 100 nodes over TCP", query("alb.home.", dns.TypeA), false, dns.RcodeSuccess, 100, false, false},
		{"truncated to 512 bytes over UDP", query("alb.home.", dns.TypeA), true, dns.RcodeSuccess, 30, true, false},
		{"EDNS buffer honoured up to 1232 bytes", withEDNS(query("alb.home.", dns.TypeA), 4096), true, dns.RcodeSuccess, 74, true, true},
		{"a small answer is not truncated", withEDNS(query(fixture.Get(fixture.Default(), awstype.LoadBalancer, "web").String("dnsName")+".", dns.TypeAAAA), 4096), true, dns.RcodeSuccess, 0, false, true},
		{"only queries are implemented", update, true, dns.RcodeNotImplemented, 0, false, false},
		{"one question per message", empty, true, dns.RcodeFormatError, 0, false, false},
		{"only the Internet class", chaos, true, dns.RcodeRefused, 0, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := v.reply(c.req, c.udp)
			got := fmt.Sprintf("rcode=%s answers=%d tc=%v edns=%v id-echoed=%v",
				dns.RcodeToString[r.Rcode], len(r.Answer), r.Truncated, r.IsEdns0() != nil, r.Id == c.req.Id)
			want := fmt.Sprintf("rcode=%s answers=%d tc=%v edns=%v id-echoed=true",
				dns.RcodeToString[c.rcode], c.answers, c.tc, c.edns)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if _, err := r.Pack(); err != nil {
				t.Errorf("pack: %v", err)
			}
		})
	}
}
