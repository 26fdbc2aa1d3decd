package twin

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/internal-alb/internal-alb/verify"
)

// Spec is what the twin builds for one graph, as plain data: the pure core.
// Plan computes it from the verifier's model with no root and no syscalls;
// the shell (apply.go) only carries it out. A mutation of the graph shows up
// as a difference of Specs.
type Spec struct {
	Region   string
	VPCs     []*VPCSpec
	ENIs     []*ENI // instances, ALB nodes and endpoint ENIs, in graph order
	Peerings []*Link
	TGWs     []*TGWSpec
	LBs      []*LBSpec
	Lambda   []*EndpointSpec // Lambda interface endpoints with their ENIs
	Internet *InternetSpec   // nil when no VPC has an internet gateway
	Notes    []string        // what the twin picked or could not model
}

// InternetSpec is a namespace standing for everything outside the VPCs,
// linked to the router of each VPC with an internet gateway. It routes
// nothing to private addresses, as the internet does not: what it can reach
// in a VPC is what AWS would make reachable from outside. The twin gives
// nothing a public address (see the README), so that is nothing.
type InternetSpec struct {
	NS    string
	Addr  netip.Prefix // one address of a documentation range
	Links []*Link      // A = the VPC router, B = the internet
}

// VPCSpec is one VPC's router: its route tables, NACLs and resolver.
type VPCSpec struct {
	ID, Name string
	NS       string // router namespace (short name, without the run prefix)
	CIDRs    []netip.Prefix
	// Resolver is where the Amazon-provided DNS server answers (base + 2);
	// invalid when the VPC has DNS support off: nothing answers there.
	Resolver netip.Addr
	// DHCPResolver is the nameserver the VPC's instances are given: base +
	// 2 whether or not anything answers there.
	DHCPResolver netip.Addr
	Tables       []*Table
	NACLs        []*NACLSpec
}

// Table is one VPC route table as a kernel routing table of the router.
type Table struct {
	ID, Name string
	Num      int // kernel table number
	Routes   []RouteSpec
}

// RouteSpec is one route of a kernel table. Link is the router's link the
// route leaves by ("" with Blackhole).
type RouteSpec struct {
	Dest      netip.Prefix
	Link      string
	Via       netip.Addr // next hop on Link (the far end of a peering or TGW link)
	Blackhole bool
	Why       string
}

// NACLSpec is a network ACL and the router links of the subnets it guards.
type NACLSpec struct {
	ID, Name string
	Rules    []verify.NACLRule // by rule number
	Subnets  []*SubnetSpec
}

// SubnetSpec is a subnet whose ENIs one NACL guards.
type SubnetSpec struct {
	ID, Name string
	CIDR     netip.Prefix
	Links    []string // router-side links of its ENIs
}

// ENI is one network interface in a VPC: its own namespace, a veth to the
// VPC router, its address and its security groups as firewall rules.
type ENI struct {
	Name     string // what it is, for people: "web1", "ALB foo-internal-alb node in foo-private-a"
	Kind     string // instance, lbnode, endpoint
	NS       string // its namespace (short name)
	VPC      string // VPC id
	Subnet   string // subnet id
	AZ       string
	Addr     netip.Prefix // its address, with the subnet's length
	Gateway  netip.Addr   // the subnet's router address (base + 1)
	Link     string       // the router-side end of its veth
	Table    int          // kernel table of its subnet's route table
	SGs      []string
	Ingress  []FwRule
	Egress   []FwRule
	Picked   bool // the address is the twin's choice: the graph has none
	Instance *verify.Instance
}

// FwRule is one security-group rule resolved to addresses: traffic of Proto
// to ports From–To from (ingress) or to (egress) any of Peers.
type FwRule struct {
	Proto    string // "-1", "tcp", "udp", "icmp"
	From, To int
	Peers    []netip.Prefix
	Why      string
}

// Link is a point-to-point link between two namespaces (a peering
// connection between two VPC routers, or a TGW attachment).
type Link struct {
	ID, Name string
	A, B     string // namespaces
	AName    string // interface name in A
	BName    string // interface name in B
	AAddr    netip.Prefix
	BAddr    netip.Prefix
	AVPC     string // VPC ids at each end ("" for a TGW)
	BVPC     string
}

// TGWSpec is a transit gateway: its namespace, attachments and route tables.
type TGWSpec struct {
	ID, Name string
	NS       string
	Links    []*Link // one per attachment: A = the VPC router, B = the TGW
	Tables   []*Table
	// Assoc maps an attachment link (TGW side) to its table number.
	Assoc map[string]int
}

// LBSpec is an ALB: its nodes (ENIs) and listeners.
type LBSpec struct {
	ID, Name, DNSName string
	Internal          bool
	Nodes             []*ENI
	Listeners         []ListenerSpec
}

// ListenerSpec is a listener and the target group it forwards to.
type ListenerSpec struct {
	Port     int
	Protocol string
	Group    *GroupSpec // nil when the listener does not forward
}

// GroupSpec is a target group with its registered targets.
type GroupSpec struct {
	ID, Name              string
	Protocol              string
	Port                  int
	Targets               []TargetSpec
	HCEnabled             bool
	HCPath, HCMatcher     string
	HCPort                int // 0 = traffic port
	HCInterval, HCTimeout time.Duration
	Healthy, Unhealthy    int
}

// TargetSpec is a registered target: an instance, on a port.
type TargetSpec struct {
	ID   string
	Name string
	Addr netip.AddrPort
}

// EndpointSpec is an interface endpoint: its ENIs serve the service's API.
type EndpointSpec struct {
	ID, Name, Service string
	VPC               string
	PrivateDNS        bool
	ENIs              []*ENI
	model             *verify.Endpoint
}

// Plan computes the twin of a model.
func Plan(m *verify.Model) (*Spec, error) {
	p := &planner{m: m, s: &Spec{Region: m.Region}, used: map[netip.Addr]bool{}, vpcs: map[string]*VPCSpec{}}
	return p.plan()
}

type planner struct {
	m      *verify.Model
	s      *Spec
	used   map[netip.Addr]bool
	vpcs   map[string]*VPCSpec
	tables map[string]*Table // route table id → table
	nEni   int
	nLink  int
}

func (p *planner) note(format string, a ...any) {
	p.s.Notes = append(p.s.Notes, fmt.Sprintf(format, a...))
}

func (p *planner) plan() (*Spec, error) {
	m := p.m
	if len(m.Instances()) == 0 {
		return nil, fmt.Errorf("the graph has no EC2 instances, so there is nothing to run the probes on: give the export of a deployed stack (pulumi stack export) or leave STATE out to use the plan")
	}
	// Addresses the graph gives are taken first, so picked ones never clash.
	for _, in := range m.Instances() {
		if in.PrivateIP.IsValid() {
			p.used[in.PrivateIP] = true
		}
	}
	for i, v := range m.VPCList() {
		vs := &VPCSpec{ID: v.ID, Name: v.Name, NS: fmt.Sprintf("v%d", i), CIDRs: v.CIDRs}
		if len(v.CIDRs) > 0 {
			vs.DHCPResolver = nth(v.CIDRs[0], 2)
			if v.DNSSupport {
				vs.Resolver = vs.DHCPResolver
			}
		}
		p.vpcs[v.ID] = vs
		p.s.VPCs = append(p.s.VPCs, vs)
	}
	p.tables = map[string]*Table{}
	for _, id := range slices.Sorted(maps.Keys(m.RTs)) {
		rt := m.RTs[id]
		vs := p.vpcs[rt.VPC]
		if vs == nil {
			continue
		}
		t := &Table{ID: rt.ID, Name: rt.Name, Num: 100 + len(p.tables)}
		p.tables[rt.ID] = t
		vs.Tables = append(vs.Tables, t)
	}

	for _, in := range m.Instances() {
		e, err := p.eni(in.Name, "instance", in.Subnet, in.PrivateIP, in.SGs)
		if err != nil {
			return nil, fmt.Errorf("instance %s: %w", in.Name, err)
		}
		e.Instance = in
	}
	for _, lb := range m.LoadBalancers() {
		p.lb(lb)
	}
	for _, id := range slices.Sorted(maps.Keys(m.Vpces)) {
		ep := m.Vpces[id]
		if !strings.EqualFold(ep.Type, "Interface") {
			continue
		}
		es := &EndpointSpec{ID: ep.ID, Name: ep.Name, Service: ep.Service, VPC: ep.VPC, PrivateDNS: ep.PrivateDNS, model: ep}
		for _, sid := range ep.Subnets {
			e, err := p.eni("endpoint "+ep.Name+" in "+p.subnetName(sid), "endpoint", sid, netip.Addr{}, ep.SGs)
			if err != nil {
				p.note("endpoint %s: %v: no ENI there", ep.Name, err)
				continue
			}
			es.ENIs = append(es.ENIs, e)
		}
		if strings.HasSuffix(ep.Service, ".lambda") {
			p.s.Lambda = append(p.s.Lambda, es)
		} else {
			p.note("interface endpoint %s (%s): its ENIs exist but serve nothing (the twin serves only the Lambda API)", ep.Name, ep.Service)
		}
	}
	p.s.Notes = append(p.s.Notes, unmodelled(m.Graph)...)
	for _, f := range m.Funcs {
		if len(codeOf(f.Res)) == 0 {
			p.note("function %s: the graph holds its code's hash but not its files: an invocation in the twin fails (ImportModuleError); export the state after pulumi up", f.Name)
		}
	}
	p.peerings()
	p.tgws()
	p.internet()
	p.routes()
	p.nacls()
	for _, e := range p.s.ENIs {
		e.Ingress = p.sgRules(e, false)
		e.Egress = p.sgRules(e, true)
	}
	return p.s, nil
}

// eni places one interface in a subnet, at addr or at a free address the
// twin picks (and says so).
func (p *planner) eni(name, kind, subnetID string, addr netip.Addr, sgs []string) (*ENI, error) {
	s := p.m.Subnets[subnetID]
	if s == nil || !s.CIDR.IsValid() {
		return nil, fmt.Errorf("subnet %q is not in the graph", subnetID)
	}
	vs := p.vpcs[s.VPC]
	if vs == nil {
		return nil, fmt.Errorf("subnet %s: VPC %q is not in the graph", s.Name, s.VPC)
	}
	e := &ENI{Name: name, Kind: kind, NS: fmt.Sprintf("e%d", p.nEni), VPC: s.VPC, Subnet: s.ID, AZ: s.AZ,
		Gateway: nth(s.CIDR, 1), Link: fmt.Sprintf("e%d", p.nEni), SGs: sgs}
	p.nEni++
	if !addr.IsValid() || !s.CIDR.Contains(addr) {
		if addr.IsValid() {
			p.note("%s: address %s is outside its subnet %s: the twin picks another", name, addr, s.CIDR)
		}
		free, ok := p.free(s.CIDR)
		if !ok {
			return nil, fmt.Errorf("subnet %s (%s) has no free address", s.Name, s.CIDR)
		}
		addr, e.Picked = free, true
		p.note("%s: the graph has no address; the twin picked %s in %s (%s)", name, addr, s.Name, s.CIDR)
	}
	p.used[addr] = true
	e.Addr = netip.PrefixFrom(addr, s.CIDR.Bits())
	if t := p.tables[s.RouteTable]; t != nil {
		e.Table = t.Num
	}
	p.s.ENIs = append(p.s.ENIs, e)
	return e, nil
}

// free returns the highest unused address of a subnet that AWS would hand
// out (the first four and the last are reserved).
func (p *planner) free(c netip.Prefix) (netip.Addr, bool) {
	size := 1 << (32 - c.Bits())
	for i := size - 2; i >= 4; i-- {
		a := nth(c, i)
		if !p.used[a] {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (p *planner) subnetName(id string) string {
	if s := p.m.Subnets[id]; s != nil {
		return s.Name
	}
	return id
}

func (p *planner) lb(lb *verify.LoadBalancer) {
	ls := &LBSpec{ID: lb.ID, Name: lb.Name, DNSName: lb.DNSName, Internal: lb.Internal}
	if !lb.Internal {
		p.note("load balancer %s is internet-facing: the twin has no internet, its nodes get private addresses only", lb.Name)
	}
	for _, sid := range lb.Subnets {
		e, err := p.eni(fmt.Sprintf("ALB %s node in %s", lb.Name, p.subnetName(sid)), "lbnode", sid, netip.Addr{}, lb.SGs)
		if err != nil {
			p.note("load balancer %s: %v: no node there", lb.Name, err)
			continue
		}
		ls.Nodes = append(ls.Nodes, e)
	}
	for _, l := range lb.Listeners {
		li := ListenerSpec{Port: l.Port, Protocol: l.Protocol}
		if len(l.TGs) > 0 {
			li.Group = p.group(p.m.TGs[l.TGs[0]])
			if len(l.TGs) > 1 {
				p.note("listener %s of %s forwards to %d target groups: the twin uses the first", l.Name, lb.Name, len(l.TGs))
			}
		}
		if l.Protocol != "HTTP" {
			p.note("listener %s of %s is %s: the twin serves it as plain HTTP", l.Name, lb.Name, l.Protocol)
		}
		ls.Listeners = append(ls.Listeners, li)
	}
	p.s.LBs = append(p.s.LBs, ls)
}

func (p *planner) group(tg *verify.TargetGroup) *GroupSpec {
	if tg == nil {
		return nil
	}
	hc := healthCheckOf(tg)
	g := &GroupSpec{ID: tg.ID, Name: tg.Name, Protocol: tg.Protocol, Port: tg.Port, HCEnabled: tg.HC.Enabled, HCPath: tg.HC.Path,
		HCMatcher: hc.matcher, HCInterval: hc.interval, HCTimeout: hc.timeout, Healthy: hc.healthy, Unhealthy: hc.unhealthy}
	if g.HCPath == "" {
		g.HCPath = "/"
	}
	if tg.HC.Port != "" && tg.HC.Port != "traffic-port" {
		fmt.Sscan(tg.HC.Port, &g.HCPort)
	}
	for _, t := range tg.Targets {
		in := p.m.Insts[t.ID]
		if in == nil {
			p.note("target group %s: target %s is not an instance of the graph: not registered in the twin", tg.Name, t.ID)
			continue
		}
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		var addr netip.Addr
		for _, e := range p.s.ENIs {
			if e.Instance == in {
				addr = e.Addr.Addr()
			}
		}
		g.Targets = append(g.Targets, TargetSpec{ID: t.ID, Name: in.Name, Addr: netip.AddrPortFrom(addr, uint16(port))})
	}
	return g
}

// peerings links the routers of every active peering connection's VPCs.
func (p *planner) peerings() {
	for _, id := range slices.Sorted(maps.Keys(p.m.Peers)) {
		pc := p.m.Peers[id]
		a, b := p.vpcs[pc.VPC], p.vpcs[pc.Peer]
		if a == nil || b == nil {
			p.note("peering %s: a VPC is not in the graph: no link", pc.Name)
			continue
		}
		if !pc.Active {
			p.note("peering %s is not active (not accepted): no link between %s and %s", pc.Name, a.Name, b.Name)
			continue
		}
		p.s.Peerings = append(p.s.Peerings, p.link(pc.ID, pc.Name, a.NS, b.NS, a.ID, b.ID, "p"))
	}
}

func (p *planner) link(id, name, a, b, avpc, bvpc, kind string) *Link {
	n := p.nLink
	p.nLink++
	// Link nets: 169.254.<n>.0/30, clear of the metadata service's 169.254.169.254.
	base := netip.AddrFrom4([4]byte{169, 254, byte(n % 169), 0})
	return &Link{ID: id, Name: name, A: a, B: b, AName: fmt.Sprintf("%s%d", kind, n), BName: fmt.Sprintf("%s%d", kind, n),
		AAddr: netip.PrefixFrom(base.Next(), 30), BAddr: netip.PrefixFrom(base.Next().Next(), 30), AVPC: avpc, BVPC: bvpc}
}

// internet links every VPC with an internet gateway to the internet
// namespace.
func (p *planner) internet() {
	for _, v := range p.m.VPCList() {
		if len(v.IGWs) == 0 {
			continue
		}
		if p.s.Internet == nil {
			p.s.Internet = &InternetSpec{NS: "inet", Addr: netip.MustParsePrefix("198.51.100.10/32")}
		}
		vs := p.vpcs[v.ID]
		p.s.Internet.Links = append(p.s.Internet.Links, p.link(v.IGWs[0], "internet gateway of "+v.Name, vs.NS, p.s.Internet.NS, v.ID, "", "g"))
	}
}

func (p *planner) tgws() {
	for i, id := range slices.Sorted(maps.Keys(p.m.TGWs)) {
		t := p.m.TGWs[id]
		ts := &TGWSpec{ID: t.ID, Name: t.Name, NS: fmt.Sprintf("t%d", i), Assoc: map[string]int{}}
		links := map[string]*Link{} // attachment id → link
		for _, aid := range slices.Sorted(maps.Keys(p.m.Attachs)) {
			a := p.m.Attachs[aid]
			vs := p.vpcs[a.VPC]
			if a.TGW != t.ID || vs == nil {
				continue
			}
			l := p.link(a.ID, a.Name, vs.NS, ts.NS, a.VPC, "", "t")
			links[a.ID] = l
			ts.Links = append(ts.Links, l)
		}
		for j, rid := range slices.Sorted(maps.Keys(p.m.TGWRTs)) {
			rt := p.m.TGWRTs[rid]
			if rt.TGW != t.ID {
				continue
			}
			tab := &Table{ID: rt.ID, Name: rt.Name, Num: 100 + j}
			for _, aid := range rt.Assocs {
				if l := links[aid]; l != nil {
					ts.Assoc[l.BName] = tab.Num
				}
			}
			for _, aid := range rt.Props {
				l := links[aid]
				if l == nil {
					continue
				}
				for _, c := range p.vpcs[l.AVPC].CIDRs {
					tab.Routes = append(tab.Routes, RouteSpec{Dest: c, Link: l.BName, Via: l.AAddr.Addr(), Why: "propagated from " + l.Name})
				}
			}
			for _, r := range rt.Static {
				l := links[r.Attachment]
				switch {
				case r.Blackhole:
					tab.Routes = append(tab.Routes, RouteSpec{Dest: r.Dest, Blackhole: true, Why: "static blackhole"})
				case l != nil:
					tab.Routes = append(tab.Routes, RouteSpec{Dest: r.Dest, Link: l.BName, Via: l.AAddr.Addr(), Why: "static to " + l.Name})
				default:
					p.note("TGW route table %s: static route to %s names attachment %q, not in the graph: not installed", rt.Name, r.Dest, r.Attachment)
				}
			}
			ts.Tables = append(ts.Tables, tab)
		}
		for _, l := range ts.Links {
			if _, ok := ts.Assoc[l.BName]; !ok {
				p.note("TGW attachment %s is associated with no route table: traffic from it is dropped", l.Name)
			}
		}
		p.s.TGWs = append(p.s.TGWs, ts)
	}
}

// routes fills every VPC route table: the local routes (each ENI of the
// VPC, the rest of the block dropped) and the graph's routes whose target
// exists in the twin; a route to anything else is not installed.
func (p *planner) routes() {
	for _, vs := range p.s.VPCs {
		for _, t := range vs.Tables {
			rt := p.m.RTs[t.ID]
			for _, e := range p.s.ENIs {
				if e.VPC == vs.ID {
					t.Routes = append(t.Routes, RouteSpec{Dest: netip.PrefixFrom(e.Addr.Addr(), 32), Link: e.Link, Why: "local: " + e.Name})
				}
			}
			for _, c := range vs.CIDRs {
				t.Routes = append(t.Routes, RouteSpec{Dest: c, Blackhole: true, Why: "local: no ENI at that address"})
			}
			seen := map[netip.Prefix]bool{}
			for _, r := range rt.Routes {
				// A refreshed state lists a route twice: in the table's
				// routes and as its own resource.
				if r.Kind == "local" || seen[r.Dest] {
					continue
				}
				seen[r.Dest] = true
				if rs, ok := p.route(vs, r); ok {
					t.Routes = append(t.Routes, rs)
				} else {
					p.note("route table %s: %s → %s (%s) has no target in the twin: not installed", rt.Name, r.Dest, r.Target, r.Kind)
				}
			}
		}
	}
}

func (p *planner) route(vs *VPCSpec, r verify.Route) (RouteSpec, bool) {
	switch r.Kind {
	case "pcx":
		for _, l := range p.s.Peerings {
			if l.ID != r.Target {
				continue
			}
			switch vs.ID {
			case l.AVPC:
				return RouteSpec{Dest: r.Dest, Link: l.AName, Via: l.BAddr.Addr(), Why: "peering " + l.Name}, true
			case l.BVPC:
				return RouteSpec{Dest: r.Dest, Link: l.BName, Via: l.AAddr.Addr(), Why: "peering " + l.Name}, true
			}
		}
	case "igw":
		if p.s.Internet == nil || !slices.Contains(p.m.VPCs[vs.ID].IGWs, r.Target) {
			break
		}
		for _, l := range p.s.Internet.Links {
			if l.AVPC == vs.ID {
				return RouteSpec{Dest: r.Dest, Link: l.AName, Via: l.BAddr.Addr(), Why: "internet gateway " + r.Target}, true
			}
		}
	case "tgw":
		for _, t := range p.s.TGWs {
			if t.ID != r.Target {
				continue
			}
			for _, l := range t.Links {
				if l.AVPC == vs.ID {
					return RouteSpec{Dest: r.Dest, Link: l.AName, Via: l.BAddr.Addr(), Why: "transit gateway " + t.Name}, true
				}
			}
		}
	}
	return RouteSpec{}, false
}

// nacls gathers each subnet's NACL with the router links of its ENIs.
func (p *planner) nacls() {
	for _, vs := range p.s.VPCs {
		byNacl := map[string]*NACLSpec{}
		for _, sid := range slices.Sorted(maps.Keys(p.m.Subnets)) {
			s := p.m.Subnets[sid]
			if s.VPC != vs.ID || s.NACL == "" {
				continue
			}
			n := p.m.NACLs[s.NACL]
			if n == nil {
				continue
			}
			ns := byNacl[n.ID]
			if ns == nil {
				ns = &NACLSpec{ID: n.ID, Name: n.Name, Rules: n.Rules}
				byNacl[n.ID] = ns
				vs.NACLs = append(vs.NACLs, ns)
			}
			ss := &SubnetSpec{ID: s.ID, Name: s.Name, CIDR: s.CIDR}
			for _, e := range p.s.ENIs {
				if e.Subnet == s.ID {
					ss.Links = append(ss.Links, e.Link)
				}
			}
			ns.Subnets = append(ns.Subnets, ss)
		}
	}
}

// sgRules resolves an ENI's security groups to address rules: a CIDR as it
// is, a group reference to the addresses of that group's members that AWS
// lets it match (the same VPC, a VPC peered with it, across a transit
// gateway only with security-group referencing on). Prefix lists match
// nothing here (there is no AWS service behind them in the twin).
func (p *planner) sgRules(e *ENI, egress bool) []FwRule {
	var out []FwRule
	for _, gid := range e.SGs {
		g := p.m.SGs[gid]
		if g == nil {
			p.note("%s: security group %q is not in the graph: it admits nothing", e.Name, gid)
			continue
		}
		for _, r := range g.Rules {
			if r.Egress != egress {
				continue
			}
			fr := FwRule{Proto: r.Proto, From: r.From, To: r.To, Why: fmt.Sprintf("%s: %s", g.Name, firstNonEmpty(r.Desc, r.Res))}
			switch {
			case r.CIDR.IsValid():
				if !r.CIDR.Addr().Is4() {
					continue
				}
				fr.Peers = []netip.Prefix{r.CIDR}
			case r.RefSG != "":
				for _, o := range p.s.ENIs {
					if slices.Contains(o.SGs, r.RefSG) && p.refVisible(e.VPC, o.VPC) {
						fr.Peers = append(fr.Peers, netip.PrefixFrom(o.Addr.Addr(), 32))
					}
				}
			default:
				continue
			}
			if len(fr.Peers) > 0 {
				out = append(out, fr)
			}
		}
	}
	return out
}

// refVisible says whether a group rule in VPC a can match members in VPC b.
func (p *planner) refVisible(a, b string) bool {
	if a == b {
		return true
	}
	for _, l := range p.s.Peerings {
		if (l.AVPC == a && l.BVPC == b) || (l.AVPC == b && l.BVPC == a) {
			return true
		}
	}
	for _, t := range p.s.TGWs {
		if !p.m.TGWs[t.ID].SGRef {
			continue
		}
		var ina, inb bool
		for _, l := range t.Links {
			ina = ina || l.AVPC == a
			inb = inb || l.AVPC == b
		}
		if ina && inb {
			return true
		}
	}
	return false
}

// nth returns the n-th address of a prefix.
func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
