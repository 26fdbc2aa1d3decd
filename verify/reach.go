package verify

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Hop is one step of a path proof: the configuration piece that carries (or
// blocks) the traffic.
type Hop struct {
	Step   string `json:"step"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type portRange struct{ lo, hi int }

func (p portRange) String() string {
	if p.lo == p.hi {
		return fmt.Sprint(p.lo)
	}
	if p.lo == 0 && p.hi == 65535 {
		return "any port"
	}
	return fmt.Sprintf("%d-%d", p.lo, p.hi)
}

func port(n int) portRange { return portRange{n, n} }

var (
	anyPort = portRange{0, 65535}
	// Return traffic goes to the initiator's ephemeral port: Linux uses
	// 32768-60999; for "could anything get back" questions any unprivileged
	// port counts.
	ephemeralProof  = portRange{32768, 60999}
	ephemeralExists = portRange{1024, 65535}
)

// mode says whether a check must hold for every address and port of the
// query (a proof) or for at least one (a leak).
type mode int

const (
	forAll mode = iota
	exists
)

// node is one end of a path: an instance, an ALB node, an endpoint ENI, or an
// address range outside AWS.
type node struct {
	Label     string
	VPC       string
	Subnet    *Subnet
	SGs       []string
	Addr      netip.Prefix
	External  bool // outside the VPCs (admin CIDR or the internet)
	Internet  bool // the whole internet
	HasPublic bool // has a public address (destinations reached from outside)
	// NoRef: its packets carry an address that is not its own (an EC2
	// Instance Connect Endpoint preserving the client's IP), so rules
	// referencing its groups do not match them.
	NoRef bool
	// OwnGroups: an instance of a consumer's own, in a subnet the stack
	// connects; its groups are not in the graph (the consumer's business),
	// so its egress is assumed and no reference to a group matches it.
	OwnGroups bool
}

func (m *Model) instNode(in *Instance) *node {
	n := &node{Label: "instance " + in.Name, SGs: in.SGs, HasPublic: in.PublicIP}
	if s := m.Subnets[in.Subnet]; s != nil {
		n.Subnet, n.VPC, n.Addr = s, s.VPC, s.CIDR
	}
	if in.PrivateIP.IsValid() {
		n.Addr = netip.PrefixFrom(in.PrivateIP, in.PrivateIP.BitLen())
	}
	return n
}

func (m *Model) lbNodes(lb *LoadBalancer) []*node {
	var out []*node
	for _, sid := range lb.Subnets {
		n := &node{Label: "ALB " + lb.Name + " node in " + m.subnetName(sid), SGs: lb.SGs, HasPublic: !lb.Internal}
		if s := m.Subnets[sid]; s != nil {
			n.Subnet, n.VPC, n.Addr = s, s.VPC, s.CIDR
			n.Label = fmt.Sprintf("ALB %s node in %s (%s)", lb.Name, s.Name, s.AZ)
		}
		out = append(out, n)
	}
	return out
}

func (m *Model) vpceNodes(e *Endpoint) []*node {
	var out []*node
	for _, sid := range e.Subnets {
		n := &node{Label: "endpoint " + e.Name + " ENI in " + m.subnetName(sid), SGs: e.SGs}
		if s := m.Subnets[sid]; s != nil {
			n.Subnet, n.VPC, n.Addr = s, s.VPC, s.CIDR
		}
		out = append(out, n)
	}
	return out
}

// eiceNodes are the sources an instance connect endpoint's connections
// come from: its ENI in its subnet, or with preserveClientIp each admin
// range (none when no adminCidrs are given).
func (m *Model) eiceNodes(e *ConnectEndpoint, o Options) []*node {
	base := node{Label: "instance connect endpoint " + e.Name, VPC: e.VPC, SGs: e.SGs}
	if s := m.Subnets[e.Subnet]; s != nil {
		base.Subnet, base.Addr = s, s.CIDR
	}
	if !e.PreserveClientIP {
		return []*node{&base}
	}
	var out []*node
	for _, c := range o.AdminCidrs {
		if p, ok := parsePrefix(c); ok {
			n := base
			n.Label, n.Addr, n.NoRef = fmt.Sprintf("admin %s via instance connect endpoint %s (client IP preserved)", p, e.Name), p, true
			out = append(out, &n)
		}
	}
	return out
}

func internetNode() *node {
	return &node{Label: "the internet (0.0.0.0/0)", Addr: netip.MustParsePrefix("0.0.0.0/0"), External: true, Internet: true}
}

func adminNode(p netip.Prefix) *node {
	return &node{Label: "admin " + p.String(), Addr: p, External: true}
}

func overlaps(a, b netip.Prefix) bool { return a.IsValid() && b.IsValid() && a.Overlaps(b) }

// cidrMatch says whether a rule's CIDR admits the peer.
func cidrMatch(rule netip.Prefix, peer *node, md mode) (full, touch bool) {
	if !rule.IsValid() || !peer.Addr.IsValid() || rule.Addr().Is4() != peer.Addr.Addr().Is4() {
		return false, false
	}
	full = contains(rule, peer.Addr)
	touch = overlaps(rule, peer.Addr)
	if peer.Internet {
		touch = touch && hasPublic(rule)
	}
	return
}

func portMatch(proto string, from, to int, pr portRange) (full, touch bool) {
	if proto == "-1" || (from <= 0 && to >= 65535) || (from == -1 && to == -1) {
		return true, true
	}
	full = from <= pr.lo && pr.hi <= to
	touch = from <= pr.hi && pr.lo <= to
	return
}

func protoOK(p string) bool { return p == "-1" || p == "tcp" }

// sgAllows checks whether any of the groups has a rule in the given direction
// that admits the peer on the port range. refBlock says why security group
// references cannot match the peer ("" when they can: same VPC, an active
// peering, or a TGW with security group referencing on within one account).
func (m *Model) sgAllows(groups []string, egress bool, peer *node, pr portRange, md mode, refBlock string) (bool, string) {
	dir := "ingress"
	prep := "from"
	if egress {
		dir, prep = "egress", "to"
	}
	var names []string
	refSeen := ""
	for _, id := range groups {
		sg := m.SGs[id]
		if sg == nil {
			names = append(names, id+" (not in graph)")
			continue
		}
		names = append(names, sg.Name)
		for _, r := range sg.Rules {
			if r.Egress != egress || !protoOK(r.Proto) {
				continue
			}
			pf, pt := portMatch(r.Proto, r.From, r.To, pr)
			if (md == forAll && !pf) || !pt {
				continue
			}
			var ok bool
			var what string
			switch {
			case r.CIDR.IsValid():
				f, t := cidrMatch(r.CIDR, peer, md)
				ok = (md == forAll && f) || (md == exists && t)
				what = r.CIDR.String()
			case r.RefSG != "":
				if !peer.External && !peer.NoRef && slices.Contains(peer.SGs, r.RefSG) {
					if refBlock == "" {
						ok = true
					} else {
						refSeen = m.sgName(r.RefSG)
					}
				}
				what = "group " + m.sgName(r.RefSG)
			}
			if ok {
				return true, fmt.Sprintf("%s %s rule %q allows tcp %s %s %s", sg.Name, dir, firstNonEmpty(r.Desc, r.Res), pr, prep, what)
			}
		}
	}
	if len(names) == 0 {
		return false, fmt.Sprintf("no security group attached, so no %s is allowed", dir)
	}
	msg := fmt.Sprintf("no %s rule in %s allows tcp %s %s %s", dir, strings.Join(names, ", "), pr, prep, peer.Label)
	if !peer.Internet {
		msg += " (" + peer.Addr.String() + ")"
	}
	if refSeen != "" {
		msg += fmt.Sprintf("; a rule references group %s, but %s", refSeen, refBlock)
	}
	return false, msg
}

// naclAllows evaluates the subnet's NACL in one direction. A subnet with no
// NACL in the graph uses the VPC's default NACL, which allows everything.
func (m *Model) naclAllows(s *Subnet, egress bool, peer *node, pr portRange, md mode) (bool, string) {
	if s == nil {
		return true, "no subnet"
	}
	n := m.NACLs[s.NACL]
	if n == nil && s.Existing {
		return true, fmt.Sprintf("the NACL of %s (a subnet of existing VPC %s) is not in the graph: taken to admit, as AWS's default NACL does (an assumption, not a proof)", s.Name, m.vpcName(s.VPC))
	}
	if n == nil {
		return true, fmt.Sprintf("%s uses the VPC's default NACL (allows all)", s.Name)
	}
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	for _, r := range n.Rules {
		if r.Egress != egress || !protoOK(r.Proto) {
			continue
		}
		pf, pt := portMatch(r.Proto, r.From, r.To, pr)
		cf, ct := cidrMatch(r.CIDR, peer, md)
		if !pt || !ct {
			continue
		}
		full := pf && cf
		act := "deny"
		if r.Allow {
			act = "allow"
		}
		desc := fmt.Sprintf("NACL %s %s rule %d (%s %s %s ports %d-%d)", n.Name, dir, r.Num, act, r.Proto, r.CIDR, r.From, r.To)
		if md == forAll {
			if full {
				return r.Allow, desc
			}
			if !r.Allow {
				return false, desc + " denies part of tcp " + pr.String() + " " + peer.Addr.String()
			}
			continue
		}
		if r.Allow {
			return true, desc
		}
		if full {
			return false, desc
		}
	}
	return false, fmt.Sprintf("NACL %s has no %s rule allowing tcp %s for %s (implicit deny)", n.Name, dir, pr, peer.Addr)
}

// lookup is longest-prefix match in a route table.
func (m *Model) lookup(rtID string, dst netip.Prefix) (Route, *RouteTable, bool) {
	rt := m.RTs[rtID]
	if rt == nil {
		return Route{}, nil, false
	}
	best := -1
	var br Route
	for _, r := range rt.Routes {
		if contains(r.Dest, dst) && r.Dest.Bits() > best {
			best, br = r.Dest.Bits(), r
		}
	}
	return br, rt, best >= 0
}

// crossRoute proves that a's subnet sends traffic for b's address to b's VPC.
// via returns "pcx", "tgw" or "" and the gateway id.
func (m *Model) crossRoute(a, b *node, label string) (Hop, string, string) {
	h := Hop{Step: label}
	if a.Subnet == nil {
		h.Detail = a.Label + " is in no known subnet"
		return h, "", ""
	}
	r, rt, ok := m.lookup(a.Subnet.RouteTable, b.Addr)
	rtName := a.Subnet.RouteTable
	if rt != nil {
		rtName = rt.Name
	}
	if !ok {
		h.Detail = fmt.Sprintf("route table %s of subnet %s has no route to %s (%s in VPC %s)", rtName, a.Subnet.Name, b.Addr, b.Label, m.vpcName(b.VPC))
		if rt != nil && rt.Existing {
			h.Detail += " among the routes the graph knows (the local ones and the stack's; the table is an existing VPC's)"
		}
		return h, "", ""
	}
	switch r.Kind {
	case "pcx":
		p := m.Peers[r.Target]
		switch {
		case p == nil:
			h.Detail = fmt.Sprintf("route table %s sends %s to peering %s, which is not in the graph", rtName, r.Dest, r.Target)
		case !((p.VPC == a.VPC && p.Peer == b.VPC) || (p.VPC == b.VPC && p.Peer == a.VPC)):
			h.Detail = fmt.Sprintf("route table %s sends %s to peering %s, which connects %s and %s, not %s and %s", rtName, r.Dest, p.Name, m.vpcName(p.VPC), m.vpcName(p.Peer), m.vpcName(a.VPC), m.vpcName(b.VPC))
		case !p.Active:
			h.Detail = p.Why
		default:
			h.OK = true
			h.Detail = fmt.Sprintf("route table %s: %s via peering %s (%s ↔ %s)", rtName, r.Dest, p.Name, m.vpcName(p.VPC), m.vpcName(p.Peer))
			if p.Consent != "" {
				h.Detail += ", " + p.Consent
			}
		}
		return h, "pcx", r.Target
	case "tgw":
		ok, detail := m.tgwPath(a, b, r.Target)
		h.OK = ok
		h.Detail = fmt.Sprintf("route table %s: %s via transit gateway; %s", rtName, r.Dest, detail)
		return h, "tgw", r.Target
	case "local":
		h.Detail = fmt.Sprintf("route table %s treats %s as local to VPC %s, but %s is in VPC %s (overlapping CIDRs?)", rtName, b.Addr, m.vpcName(a.VPC), b.Label, m.vpcName(b.VPC))
	default:
		h.Detail = fmt.Sprintf("route table %s sends %s to %s %s, not to a peering connection or transit gateway to VPC %s", rtName, r.Dest, r.Kind, r.Target, m.vpcName(b.VPC))
	}
	return h, "", ""
}

// tgwPath follows a packet through a transit gateway: the source VPC's
// attachment (with a subnet in the source AZ), its associated TGW route table,
// the route (static or propagated) to an attachment in the destination VPC.
func (m *Model) tgwPath(a, b *node, tgwID string) (bool, string) {
	t := m.TGWs[tgwID]
	tname := tgwID
	if t != nil {
		tname = t.Name
	} else {
		return false, fmt.Sprintf("transit gateway %s is not in the graph", tgwID)
	}
	var att *TGWAttachment
	var where []string
	for _, x := range valuesByKey(m.Attachs) {
		if x.TGW != tgwID {
			continue
		}
		where = append(where, x.Name+"→"+m.vpcName(x.VPC))
		if x.VPC == a.VPC && att == nil {
			att = x
		}
	}
	if att == nil {
		return false, fmt.Sprintf("transit gateway %s has no attachment in VPC %s (attachments: %s)", tname, m.vpcName(a.VPC), strings.Join(where, ", "))
	}
	if !att.Usable {
		return false, att.Why
	}
	inAZ := false
	for _, sid := range att.Subnets {
		if s := m.Subnets[sid]; s != nil && a.Subnet != nil && s.AZ == a.Subnet.AZ {
			inAZ = true
		}
	}
	if !inAZ && a.Subnet != nil {
		return false, fmt.Sprintf("attachment %s has no subnet in %s, so subnet %s cannot reach the transit gateway", att.Name, a.Subnet.AZ, a.Subnet.Name)
	}
	var rt *TGWRouteTable
	for _, x := range valuesByKey(m.TGWRTs) {
		if slices.Contains(x.Assocs, att.ID) {
			rt = x
			break
		}
	}
	if rt == nil {
		return false, fmt.Sprintf("attachment %s (VPC %s) is associated with no transit gateway route table", att.Name, m.vpcName(a.VPC))
	}
	best, static := -1, false
	var target string
	var blackhole bool
	for _, sr := range rt.Static {
		if contains(sr.Dest, b.Addr) && sr.Dest.Bits() > best {
			best, target, blackhole, static = sr.Dest.Bits(), sr.Attachment, sr.Blackhole, true
		}
	}
	var props []string
	for _, pid := range rt.Props {
		pa := m.Attachs[pid]
		if pa == nil {
			continue
		}
		props = append(props, m.vpcName(pa.VPC))
		if v := m.VPCs[pa.VPC]; v != nil {
			for _, c := range v.CIDRs {
				if contains(c, b.Addr) && c.Bits() > best {
					best, target, blackhole, static = c.Bits(), pid, false, false
				}
			}
		}
	}
	if best < 0 {
		return false, fmt.Sprintf("transit gateway route table %s (associated with %s) has no route to %s (propagations from: %s)", rt.Name, att.Name, b.Addr, strings.Join(props, ", "))
	}
	if blackhole {
		return false, fmt.Sprintf("transit gateway route table %s blackholes %s", rt.Name, b.Addr)
	}
	ta := m.Attachs[target]
	if ta == nil {
		return false, fmt.Sprintf("transit gateway route table %s routes %s to attachment %s, not in the graph", rt.Name, b.Addr, target)
	}
	if ta.VPC != b.VPC {
		return false, fmt.Sprintf("transit gateway route table %s routes %s to attachment %s in VPC %s, not %s", rt.Name, b.Addr, ta.Name, m.vpcName(ta.VPC), m.vpcName(b.VPC))
	}
	if !ta.Usable {
		return false, ta.Why
	}
	kind := "propagated"
	if static {
		kind = "static"
	}
	d := fmt.Sprintf("attachment %s associated with %s, %s route to attachment %s (VPC %s)", att.Name, rt.Name, kind, ta.Name, m.vpcName(ta.VPC))
	for _, x := range []*TGWAttachment{att, ta} {
		if x.Consent != "" {
			d += fmt.Sprintf("; %s is %s", x.Name, x.Consent)
		}
	}
	return true, d
}

// internetRoute proves that an address outside AWS can reach dst and get
// answers: dst has a public address and its subnet routes the peer to an
// internet gateway of its VPC.
func (m *Model) internetRoute(src, dst *node) []Hop {
	pub := Hop{Step: "public address", OK: dst.HasPublic}
	if dst.HasPublic {
		pub.Detail = dst.Label + " has a public address"
	} else {
		pub.Detail = dst.Label + " has no public address"
	}
	rh := Hop{Step: "route to internet gateway"}
	if dst.Subnet == nil {
		rh.Detail = dst.Label + " is in no known subnet"
		return []Hop{pub, rh}
	}
	r, rt, ok := m.lookup(dst.Subnet.RouteTable, src.Addr)
	rtName := dst.Subnet.RouteTable
	if rt != nil {
		rtName = rt.Name
	}
	v := m.VPCs[dst.VPC]
	switch {
	case !ok:
		rh.Detail = fmt.Sprintf("route table %s of subnet %s has no route to %s", rtName, dst.Subnet.Name, src.Addr)
	case r.Kind != "igw" && r.Kind != "igw?":
		rh.Detail = fmt.Sprintf("route table %s sends %s to %s %s, not an internet gateway", rtName, r.Dest, r.Kind, r.Target)
	case v != nil && !slices.Contains(v.IGWs, r.Target):
		rh.Detail = fmt.Sprintf("route table %s sends %s to gateway %s, which is not attached to VPC %s", rtName, r.Dest, r.Target, v.Name)
	default:
		rh.OK = true
		rh.Detail = fmt.Sprintf("route table %s: %s via internet gateway %s", rtName, r.Dest, r.Target)
	}
	return []Hop{pub, rh}
}

// reach evaluates every piece between src and dst for TCP on pr and returns
// the hops; the path holds when every hop is OK.
func (m *Model) reach(src, dst *node, pr portRange, md mode) []Hop {
	var hops []Hop
	add := func(step string, ok bool, detail string) {
		hops = append(hops, Hop{Step: step, OK: ok, Detail: detail})
	}
	eph := ephemeralProof
	if md == exists {
		eph = ephemeralExists
	}
	refBlock := ""
	if src.VPC != dst.VPC {
		refBlock = "group references match only within a VPC or across a peering or transit gateway that carries the traffic"
	}
	var back []Hop
	if src.External {
		hops = append(hops, m.internetRoute(src, dst)...)
	} else if dst.Subnet == nil || src.Subnet == nil {
		add("subnets", false, "an end of the path is in no known subnet")
	} else if src.VPC == dst.VPC {
		r, rt, ok := m.lookup(src.Subnet.RouteTable, dst.Addr)
		if ok && r.Kind == "local" {
			add("route", true, fmt.Sprintf("local route in VPC %s (route table %s)", m.vpcName(src.VPC), rt.Name))
		} else if ok {
			add("route", false, fmt.Sprintf("route table %s sends %s to %s %s instead of the local route", rt.Name, r.Dest, r.Kind, r.Target))
		} else {
			add("route", false, fmt.Sprintf("%s is outside VPC %s's CIDRs", dst.Addr, m.vpcName(src.VPC)))
		}
	} else {
		fw, via, gw := m.crossRoute(src, dst, "route")
		bk, bvia, bgw := m.crossRoute(dst, src, "return route")
		hops = append(hops, fw)
		if fw.OK && bk.OK && (via != bvia || gw != bgw) {
			bk.OK = false
			bk.Detail += fmt.Sprintf(" — asymmetric: forward goes via %s %s", via, gw)
		}
		back = append(back, bk)
		switch via {
		case "pcx":
			refBlock = ""
		case "tgw":
			if t := m.TGWs[gw]; t != nil {
				sa, da := m.vpcAccount(src.VPC), m.vpcAccount(dst.VPC)
				switch {
				case !t.SGRef:
					refBlock = "group references do not match across this transit gateway (securityGroupReferencingSupport off)"
				case crossAccount(sa, da):
					refBlock = fmt.Sprintf("group references do not match across a transit gateway between accounts (%s and %s): AWS supports them within one account only", sa, da)
				default:
					refBlock = ""
				}
			}
		}
	}
	// Network ACLs guard a subnet's edge: traffic between two interfaces of
	// one subnet crosses none.
	sameSubnet := !src.External && src.Subnet != nil && dst.Subnet != nil && src.Subnet.ID == dst.Subnet.ID
	nacl := func(step string, s *Subnet, egress bool, peer *node, pr portRange) {
		if sameSubnet {
			return
		}
		ok, d := m.naclAllows(s, egress, peer, pr, md)
		add(step, ok, d)
	}
	if sameSubnet {
		add("NACLs", true, fmt.Sprintf("both ends are in subnet %s: no network ACL is crossed", src.Subnet.Name))
	}
	switch {
	case src.OwnGroups:
		add("source SG egress", true, fmt.Sprintf("the consumer's own instance's groups are not in the graph: their egress (tcp %s to %s) is the consumer's business, assumed allowed", pr, dst.Label))
		nacl("source NACL out", src.Subnet, true, dst, pr)
	case !src.External:
		ok, d := m.sgAllows(src.SGs, true, dst, pr, md, refBlock)
		add("source SG egress", ok, d)
		nacl("source NACL out", src.Subnet, true, dst, pr)
	}
	nacl("destination NACL in", dst.Subnet, false, src, pr)
	ok, d := m.sgAllows(dst.SGs, false, src, pr, md, refBlock)
	add("destination SG ingress", ok, d)
	nacl("destination NACL out (replies)", dst.Subnet, true, src, eph)
	hops = append(hops, back...)
	if !src.External {
		nacl("source NACL in (replies)", src.Subnet, false, dst, eph)
	}
	return hops
}

// AllOK reports whether every hop carries the traffic.
func AllOK(h []Hop) bool { return allOK(h) }

func allOK(h []Hop) bool {
	for _, x := range h {
		if !x.OK {
			return false
		}
	}
	return true
}

// FirstFail names the first hop that blocks ("" when none does).
func FirstFail(h []Hop) string { return firstFail(h) }

func firstFail(h []Hop) string {
	for _, x := range h {
		if !x.OK {
			return x.Step + ": " + x.Detail
		}
	}
	return ""
}

func allFails(h []Hop) string {
	var out []string
	for _, x := range h {
		if !x.OK {
			out = append(out, x.Step+": "+x.Detail)
		}
	}
	return strings.Join(out, "; ")
}
