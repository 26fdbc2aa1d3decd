package verify

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/internal-alb/internal-alb/internal/awstype"
)

// Path statuses.
const (
	Proven      = "PROVEN"      // required path: every hop holds
	Refused     = "REFUSED"     // required path: a hop blocks it
	Unreachable = "UNREACHABLE" // forbidden path: blocked (good)
	Reachable   = "REACHABLE"   // forbidden path: open (bad)
	Skipped     = "SKIPPED"     // not applicable to this graph (reason given)
)

// PathResult is the proof (or refusal) for one path.
type PathResult struct {
	ID     string `json:"id"`   // P1..P4 required, F1..F3 forbidden
	Kind   string `json:"kind"` // "required" or "forbidden"
	Name   string `json:"name"`
	Status string `json:"status"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"` // the blocking piece(s)
	Hops   []Hop  `json:"hops"`
}

// stoppedHop is a failed hop for an instance the graph knows is not
// running, else none.
func stoppedHop(in *Instance) []Hop {
	if in.State == "" {
		return nil
	}
	return []Hop{{Step: "instance", Detail: fmt.Sprintf("%s is %s", in.Name, in.State)}}
}

func required(id, name string, hops []Hop) PathResult {
	p := PathResult{ID: id, Kind: "required", Name: name, Hops: hops}
	if allOK(hops) {
		p.Status, p.OK = Proven, true
	} else {
		p.Status, p.Reason = Refused, firstFail(hops)
	}
	return p
}

func forbidden(id, name string, hops []Hop) PathResult {
	p := PathResult{ID: id, Kind: "forbidden", Name: name, Hops: hops}
	if allOK(hops) {
		p.Status = Reachable
		p.Reason = "every piece lets it through"
	} else {
		p.Status, p.OK = Unreachable, true
		p.Reason = "blocked by " + allFails(hops)
	}
	return p
}

func prefixHops(prefix string, h []Hop) []Hop {
	out := make([]Hop, len(h))
	for i, x := range h {
		x.Step = prefix + x.Step
		out[i] = x
	}
	return out
}

// reachAll proves src reaches every destination node (DNS hands out all of an
// ALB's or endpoint's addresses, so each must work). It returns the hops of
// the first failing node, or those of the first node plus a summary.
func (m *Model) reachAll(src *node, dsts []*node, pr portRange, what string) []Hop {
	if len(dsts) == 0 {
		return []Hop{{Step: what, Detail: what + " has no subnets"}}
	}
	var first []Hop
	var labels []string
	for _, d := range dsts {
		h := m.reach(src, d, pr, forAll)
		if !allOK(h) {
			return prefixHops("["+d.Label+"] ", h)
		}
		if first == nil {
			first = h
		}
		labels = append(labels, d.Label)
	}
	return append(first, Hop{Step: "all nodes", OK: true, Detail: fmt.Sprintf("the same holds for all %d: %s", len(dsts), strings.Join(labels, "; "))})
}

// reachAny reports whether src reaches any destination node (leak search).
func (m *Model) reachAny(src *node, dsts []*node, pr portRange) []Hop {
	var first []Hop
	for _, d := range dsts {
		h := m.reach(src, d, pr, exists)
		if allOK(h) {
			return prefixHops("["+d.Label+"] ", h)
		}
		if first == nil {
			first = prefixHops("["+d.Label+"] ", h)
		}
	}
	if first == nil {
		return []Hop{{Step: "nodes", Detail: "no nodes"}}
	}
	return first
}

// albRecords returns the records that alias the load balancer.
func (m *Model) albRecords(lb *LoadBalancer) []*Record {
	var out []*Record
	for _, r := range m.Records {
		if m.aliasIs(r, lb) {
			out = append(out, r)
		}
	}
	return out
}

func (m *Model) aliasIs(r *Record, lb *LoadBalancer) bool {
	if r.AliasName == "" && r.AliasZone == "" {
		return false
	}
	dn := normName(lb.DNSName)
	if r.AliasName != "" && dn != "" {
		return r.AliasName == dn || r.AliasName == "dualstack."+dn
	}
	// DNS name unknown in a plan: fall back to the ALB's hosted zone id, or to
	// the only ALB.
	if r.AliasZone != "" && lb.ZoneID != "" {
		return r.AliasZone == lb.ZoneID && len(m.lbList) == 1
	}
	return len(m.lbList) == 1
}

// Resolve answers a name the way Route 53 Resolver does inside a VPC for
// private zones: the most specific associated zone that is a suffix wins; a
// name under that zone with no record is NXDOMAIN (the zone is returned, the
// record is nil). Both nil: no private zone of the VPC claims the name. The
// verifier's DNS hops and the twin's resolver both answer with it.
func (m *Model) Resolve(fqdn, vpcID string) (*Record, *Zone, Hop) {
	return m.resolve(normName(fqdn), vpcID)
}

// AliasOf returns the load balancer an alias record points at, or nil.
func (m *Model) AliasOf(r *Record) *LoadBalancer {
	for _, lb := range m.lbList {
		if m.aliasIs(r, lb) {
			return lb
		}
	}
	return nil
}

func (m *Model) resolve(fqdn, vpcID string) (*Record, *Zone, Hop) {
	h := Hop{Step: "DNS " + fqdn}
	v := m.VPCs[vpcID]
	if v == nil {
		h.Detail = "VPC " + vpcID + " not in the graph"
		return nil, nil, h
	}
	if !v.DNSSupport || !v.DNSHostnames {
		h.Detail = fmt.Sprintf("VPC %s has enableDnsSupport=%v, enableDnsHostnames=%v: private hosted zones need both on", v.Name, v.DNSSupport, v.DNSHostnames)
		return nil, nil, h
	}
	var best *Zone
	var other []string
	for _, z := range m.zoneList() {
		if fqdn != z.Name && !strings.HasSuffix(fqdn, "."+z.Name) {
			continue
		}
		if !slices.Contains(z.VPCs, vpcID) {
			var vs []string
			for _, id := range z.VPCs {
				vs = append(vs, m.vpcName(id))
			}
			other = append(other, fmt.Sprintf("zone %s is associated with %s", z.Name, strings.Join(vs, ", ")))
			continue
		}
		if best == nil || len(z.Name) > len(best.Name) {
			best = z
		}
	}
	if best == nil {
		h.Detail = fmt.Sprintf("no private hosted zone for %s is associated with VPC %s", fqdn, v.Name)
		for _, za := range m.ZoneAssocs {
			if za.VPC == vpcID && !za.InForce {
				other = append([]string{za.Why}, other...)
			}
		}
		if len(other) > 0 {
			h.Detail += " (" + strings.Join(other, "; ") + ")"
		}
		return nil, nil, h
	}
	for _, r := range m.Records {
		if r.Zone == best.ID && r.FQDN == fqdn && (r.Type == "A" || r.Type == "AAAA" || r.Type == "CNAME") {
			h.OK = true
			h.Detail = fmt.Sprintf("zone %s (most specific zone associated with VPC %s) answers %s %s", best.Name, v.Name, r.Type, fqdn)
			return r, best, h
		}
	}
	h.Detail = fmt.Sprintf("zone %s is the most specific zone associated with VPC %s and has no record %s (NXDOMAIN)", best.Name, v.Name, fqdn)
	return nil, best, h
}

func (m *Model) zoneList() []*Zone {
	seen := map[*Zone]bool{}
	var out []*Zone
	for _, r := range m.Graph {
		if r.Type != awstype.Zone {
			continue
		}
		z := m.Zones[firstNonEmpty(str(&r, "zoneId"), resID(&r))]
		if z != nil && !seen[z] {
			seen[z] = true
			out = append(out, z)
		}
	}
	return out
}

// clients returns the client instances: Role=client, or else instances in
// VPCs other than the ALBs' that are not bastions.
func (m *Model) clients() []*Instance {
	var out []*Instance
	for _, in := range m.instList {
		if in.Role == "client" {
			out = append(out, in)
		}
	}
	if len(out) > 0 {
		return out
	}
	albVPC := map[string]bool{}
	for _, lb := range m.lbList {
		for _, n := range m.lbNodes(lb) {
			albVPC[n.VPC] = true
		}
	}
	for _, in := range m.instList {
		if in.Role != "bastion" && !albVPC[m.instVPC(in)] {
			out = append(out, in)
		}
	}
	return out
}

func (m *Model) bastions() []*Instance {
	var out []*Instance
	for _, in := range m.instList {
		if in.Role == "bastion" {
			out = append(out, in)
		}
	}
	return out
}

// privateInstances are instances in private subnets, bastions excepted.
func (m *Model) privateInstances() []*Instance {
	var out []*Instance
	for _, in := range m.instList {
		if in.Role == "bastion" {
			continue
		}
		if s := m.Subnets[in.Subnet]; s == nil || m.isPrivate(s) {
			out = append(out, in)
		}
	}
	return out
}

// webs are the instances registered in a target group or tagged Role=web.
func (m *Model) webs() []*Instance {
	set := map[string]bool{}
	for _, tg := range m.TGs {
		for _, t := range tg.Targets {
			set[t.ID] = true
		}
	}
	var out []*Instance
	for _, in := range m.instList {
		if set[in.ID] || in.Role == "web" {
			out = append(out, in)
		}
	}
	return out
}

func (m *Model) listener(lb *LoadBalancer, p int) *Listener {
	for _, l := range lb.Listeners {
		if l.Port == p {
			return l
		}
	}
	return nil
}

// Paths runs every required and forbidden path.
func (m *Model) Paths(o Options) []PathResult {
	o = o.withDefaults()
	var out []PathResult
	lp, tp := o.ListenerPort, o.TargetPort
	clients := m.sources()

	if len(m.lbList) == 0 {
		out = append(out, PathResult{ID: "P1", Kind: "required", Name: "client → ALB", Status: Refused, Reason: "no load balancer in the graph"})
	}
	// P1: client → alb name → ALB on the listener port.
	for _, lb := range m.lbList {
		recs := m.albRecords(lb)
		if len(clients) == 0 {
			out = append(out, PathResult{ID: "P1", Kind: "required", Name: "client → " + lb.Name, Status: Refused, Reason: "no client instance in any consumer VPC"})
		}
		for _, c := range clients {
			name := c.Title + " → "
			if len(recs) == 0 {
				out = append(out, PathResult{ID: "P1", Kind: "required", Name: name + lb.Name, Status: Refused,
					Reason: "DNS: no Route 53 record aliases ALB " + lb.Name})
				continue
			}
			fqdn := recs[0].FQDN
			hops := c.stopped()
			rec, _, h := m.resolve(fqdn, c.VPC)
			hops = append(hops, h)
			if rec != nil {
				ah := Hop{Step: "alias", OK: m.aliasIs(rec, lb)}
				if ah.OK {
					ah.Detail = fmt.Sprintf("%s is an alias of ALB %s (%s)", fqdn, lb.Name, firstNonEmpty(lb.DNSName, "DNS name known after deploy"))
				} else {
					ah.Detail = fmt.Sprintf("%s in that zone points at %s, not ALB %s", fqdn, firstNonEmpty(rec.AliasName, strings.Join(rec.Values, ",")), lb.Name)
				}
				hops = append(hops, ah)
			}
			lh := Hop{Step: fmt.Sprintf("listener :%d", lp)}
			if l := m.listener(lb, lp); l != nil {
				lh.OK, lh.Detail = true, fmt.Sprintf("ALB %s listens on %s:%d", lb.Name, l.Protocol, lp)
			} else {
				lh.Detail = fmt.Sprintf("ALB %s has no listener on port %d", lb.Name, lp)
			}
			hops = append(hops, lh)
			hops = append(hops, m.reachAll(c.Node, m.lbNodes(lb), port(lp), "ALB "+lb.Name)...)
			out = append(out, required("P1", fmt.Sprintf("%s%s:%d (%s)", name, fqdn, lp, lb.Name), hops))
		}
	}

	// P2: ALB → every target on the target port, health check aligned.
	for _, lb := range m.lbList {
		l := m.listener(lb, lp)
		if l == nil || len(l.TGs) == 0 {
			out = append(out, PathResult{ID: "P2", Kind: "required", Name: lb.Name + " → targets", Status: Refused,
				Reason: fmt.Sprintf("ALB %s has no listener on %d forwarding to a target group", lb.Name, lp)})
			continue
		}
		registered := map[string]bool{}
		for _, tgID := range l.TGs {
			tg := m.TGs[tgID]
			if len(tg.Targets) == 0 {
				out = append(out, PathResult{ID: "P2", Kind: "required", Name: lb.Name + " → " + tg.Name, Status: Refused, Reason: "target group " + tg.Name + " has no registered targets"})
			}
			for _, t := range tg.Targets {
				registered[t.ID] = true
				p := tg.Port
				if t.Port != 0 {
					p = t.Port
				}
				in := m.Insts[t.ID]
				tname := t.ID
				if in != nil {
					tname = in.Name
				}
				var hops []Hop
				hops = append(hops, Hop{Step: "listener", OK: true, Detail: fmt.Sprintf("listener :%d forwards to target group %s", lp, tg.Name)})
				ph := Hop{Step: "target port", OK: p == tp}
				if ph.OK {
					ph.Detail = fmt.Sprintf("target group %s sends to port %d, where the web servers listen", tg.Name, p)
				} else {
					ph.Detail = fmt.Sprintf("target group %s sends to port %d, but the web servers listen on %d", tg.Name, p, tp)
				}
				hops = append(hops, ph)
				hops = append(hops, healthHop(tg, p))
				if in == nil {
					hops = append(hops, Hop{Step: "target", Detail: "target " + t.ID + " is not an instance in the graph"})
					out = append(out, required("P2", fmt.Sprintf("%s → %s:%d", lb.Name, tname, p), hops))
					continue
				}
				az := Hop{Step: "target AZ"}
				if s := m.Subnets[in.Subnet]; s != nil {
					for _, sid := range lb.Subnets {
						if ls := m.Subnets[sid]; ls != nil && ls.AZ == s.AZ {
							az.OK = true
						}
					}
					if az.OK {
						az.Detail = fmt.Sprintf("%s is in %s, an AZ the ALB is enabled in", in.Name, s.AZ)
					} else {
						az.Detail = fmt.Sprintf("%s is in %s, where the ALB has no subnet: the ALB does not route to it", in.Name, s.AZ)
					}
				}
				hops = append(hops, az)
				hops = append(hops, stoppedHop(in)...)
				var srcs []*node
				srcs = append(srcs, m.lbNodes(lb)...)
				if len(srcs) == 0 {
					hops = append(hops, Hop{Step: "ALB subnets", Detail: "the ALB has no subnets"})
				}
				for _, s := range srcs {
					h := m.reach(s, m.instNode(in), port(tp), forAll)
					if !allOK(h) {
						hops = append(hops, prefixHops("["+s.Label+"] ", h)...)
						break
					}
					if s == srcs[0] {
						hops = append(hops, h...)
					}
				}
				out = append(out, required("P2", fmt.Sprintf("%s → %s:%d", lb.Name, tname, tp), hops))
			}
		}
		for _, w := range m.webs() {
			if !registered[w.ID] && w.Role == "web" {
				out = append(out, PathResult{ID: "P2", Kind: "required", Name: lb.Name + " → " + w.Name, Status: Refused,
					Reason: "web server " + w.Name + " is not registered in the listener's target group"})
			}
		}
	}

	// P3: client → Lambda API through the interface endpoint, with IAM.
	for _, fn := range m.Funcs {
		for _, c := range clients {
			vpcID := c.VPC
			name := fmt.Sprintf("%s → lambda:InvokeFunction %s", c.Title, fn.Name)
			api := "lambda." + firstNonEmpty(m.Region, "<region>") + ".amazonaws.com"
			hops := c.stopped()
			var ep *Endpoint
			for _, e := range m.vpceList() {
				if e.VPC == vpcID && strings.HasSuffix(e.Service, ".lambda") && strings.EqualFold(e.Type, "Interface") {
					ep = e
					break
				}
			}
			if ep == nil {
				hops = append(hops, Hop{Step: "endpoint", Detail: fmt.Sprintf("no Lambda interface endpoint in VPC %s: %s resolves to public addresses a private subnet cannot reach", m.vpcName(vpcID), api)})
				out = append(out, required("P3", name, hops))
				continue
			}
			hops = append(hops, Hop{Step: "endpoint", OK: true, Detail: fmt.Sprintf("interface endpoint %s for %s in VPC %s", ep.Name, ep.Service, m.vpcName(vpcID))})
			dh := Hop{Step: "DNS " + api}
			v := m.VPCs[vpcID]
			switch {
			case !ep.PrivateDNS:
				dh.Detail = fmt.Sprintf("endpoint %s has privateDnsEnabled off: %s still resolves to the public service", ep.Name, api)
			case v == nil || !v.DNSSupport || !v.DNSHostnames:
				dh.Detail = fmt.Sprintf("VPC %s needs enableDnsSupport and enableDnsHostnames on for the endpoint's private DNS", m.vpcName(vpcID))
			default:
				dh.OK = true
				dh.Detail = fmt.Sprintf("private DNS: %s resolves to the endpoint's ENIs in VPC %s", api, v.Name)
			}
			hops = append(hops, dh)
			hops = append(hops, m.reachAll(c.Node, m.vpceNodes(ep), port(443), "endpoint "+ep.Name)...)
			hops = append(hops, m.invokeHops(c, fn, ep)...)
			out = append(out, required("P3", name, hops))
		}
	}

	// P4: admin → bastion on 22, bastion → private instances on 22; or
	// instance connect endpoint → private instances of its VPC on 22.
	bastions := m.bastions()
	for _, b := range bastions {
		if len(o.AdminCidrs) == 0 {
			out = append(out, PathResult{ID: "P4", Kind: "required", Name: "admin → " + b.Name + ":22", Status: Skipped, OK: true,
				Reason: "no adminCidrs given: pass the stack's adminCidrs (without them the bastions admit no one)"})
		}
		for _, c := range o.AdminCidrs {
			p, ok := parsePrefix(c)
			if !ok {
				out = append(out, PathResult{ID: "P4", Kind: "required", Name: "admin " + c + " → " + b.Name, Status: Refused, Reason: "adminCidrs entry " + c + " is not a CIDR"})
				continue
			}
			out = append(out, required("P4", fmt.Sprintf("admin %s → %s:22", p, b.Name), m.reach(adminNode(p), m.instNode(b), port(22), forAll)))
		}
		for _, in := range m.privateInstances() {
			if m.instVPC(in) != m.instVPC(b) {
				continue
			}
			out = append(out, required("P4", fmt.Sprintf("%s → %s:22", b.Name, in.Name), m.reach(m.instNode(b), m.instNode(in), port(22), forAll)))
		}
	}
	for _, e := range m.EICEs {
		api := Hop{Step: "EC2 Instance Connect", OK: true, Detail: fmt.Sprintf("admins reach endpoint %s through the EC2 Instance Connect API (IAM ec2-instance-connect:OpenTunnel), not through the network; that permission is not evaluated here", e.Name)}
		srcs := m.eiceNodes(e, o)
		if len(srcs) == 0 {
			out = append(out, PathResult{ID: "P4", Kind: "required", Name: e.Name + " → instances:22", Status: Skipped, OK: true,
				Reason: "endpoint " + e.Name + " preserves the client IP and no adminCidrs were given: pass the stack's adminCidrs"})
			continue
		}
		for _, in := range m.privateInstances() {
			if m.instVPC(in) != e.VPC {
				continue
			}
			for _, src := range srcs {
				name := fmt.Sprintf("%s → %s:22", e.Name, in.Name)
				if e.PreserveClientIP {
					name = fmt.Sprintf("%s via %s → %s:22", src.Addr, e.Name, in.Name)
				}
				out = append(out, required("P4", name, append([]Hop{api}, m.reach(src, m.instNode(in), port(22), forAll)...)))
			}
		}
	}
	if len(bastions) == 0 && len(m.EICEs) == 0 {
		out = append(out, PathResult{ID: "P4", Kind: "required", Name: "admin → bastions", Status: Skipped, OK: true, Reason: "no instance tagged Role=bastion and no EC2 Instance Connect Endpoint in the graph"})
	}

	// P5: each web server → the log bucket through the S3 gateway endpoint.
	out = append(out, m.logPaths()...)

	// F1: internet → ALB.
	for _, lb := range m.lbList {
		ports := []int{}
		for _, l := range lb.Listeners {
			ports = append(ports, l.Port)
		}
		if len(ports) == 0 {
			ports = []int{lp}
		}
		for _, p := range ports {
			hops := m.reachAny(internetNode(), m.lbNodes(lb), port(p))
			if lb.Internal {
				hops = append([]Hop{{Step: "scheme", Detail: "ALB " + lb.Name + " is internal: its nodes have private addresses only"}}, hops...)
			}
			out = append(out, forbidden("F1", fmt.Sprintf("internet → %s:%d", lb.Name, p), hops))
		}
	}
	// F2: client → web servers directly.
	for _, c := range clients {
		for _, w := range m.webs() {
			out = append(out, forbidden("F2", fmt.Sprintf("%s → %s:%d directly", c.Name, w.Name, tp), m.reach(c.Node, m.instNode(w), port(tp), exists)))
		}
	}
	// F3: internet → private instances, any port.
	for _, in := range m.privateInstances() {
		out = append(out, forbidden("F3", fmt.Sprintf("internet → %s (any port)", in.Name), m.reach(internetNode(), m.instNode(in), anyPort, exists)))
	}
	return out
}

func healthHop(tg *TargetGroup, p int) Hop {
	h := Hop{Step: "health check"}
	hc := tg.HC
	switch {
	case !hc.Enabled:
		h.Detail = "health check disabled on " + tg.Name
	case hc.Path == "" && strings.HasPrefix(strings.ToUpper(hc.Protocol), "HTTP"):
		h.Detail = "health check on " + tg.Name + " has no path"
	case hc.Port != "traffic-port" && hc.Port != fmt.Sprint(p):
		h.Detail = fmt.Sprintf("health check on %s probes port %s, not the traffic port %d", tg.Name, hc.Port, p)
	default:
		h.OK = true
		h.Detail = fmt.Sprintf("health check %s %s on the traffic port (%d)", hc.Protocol, hc.Path, p)
	}
	return h
}

func (m *Model) vpceList() []*Endpoint {
	var out []*Endpoint
	for _, r := range m.Graph {
		if r.Type == awstype.VpcEndpoint {
			if e := m.Vpces[resID(&r)]; e != nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// invokeHops proves the source's instance role may invoke the function:
// the client's, or for an instance of a consumer's own, the invoker role
// the stack made in the consumer's account.
func (m *Model) invokeHops(c *source, fn *Function, ep *Endpoint) []Hop {
	if c.Inst == nil {
		ro, h := m.consumerRole(c, fn)
		if ro == nil {
			return []Hop{h}
		}
		return append([]Hop{h}, m.InvokeHops(ro, fn, ep)...)
	}
	in := c.Inst
	ro := m.roleOfInstance(in)
	if ro == nil {
		return []Hop{{Step: "IAM role", Detail: fmt.Sprintf("%s has no instance profile with a role in the graph (iamInstanceProfile=%q)", in.Name, in.Profile)}}
	}
	if crossAccount(ro.Account, in.Account) {
		return []Hop{{Step: "IAM role", Detail: fmt.Sprintf("%s is in account %s, but its instance profile %s holds role %s of account %s: an instance takes a profile of its own account", in.Name, in.Account, in.Profile, ro.Name, ro.Account)}}
	}
	return m.InvokeHops(ro, fn, ep)
}

// InvokeHops is the IAM evaluation of a call to lambda:InvokeFunction on fn
// by an instance holding role ro, through endpoint ep (whose policy, if any,
// must allow the call too, for that role; nil for none): AccessHops with the
// function's ARN, and — for a role of another account than the function's —
// the function's resource policy (its permissions), which must allow the
// role too. The verifier proves P3 with it and the twin's Lambda endpoint
// authorizes each real call with it.
func (m *Model) InvokeHops(ro *Role, fn *Function, ep *Endpoint) []Hop {
	a := Access{Action: "lambda:InvokeFunction", Resource: fn.ARN, Account: ro.Account, ResourceAccount: fn.Account, Ctx: map[string]string{"aws:securetransport": "true"}}
	if ep != nil {
		a.Ctx["aws:sourcevpce"] = ep.ID
		a.Ctx["aws:sourcevpc"] = ep.VPC
	}
	if fn.ARN == "" {
		// The plan does not know the ARN: a resource pattern counts if it
		// names the function.
		a.Resource = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", firstNonEmpty(m.Region, "*"), firstNonEmpty(fn.Account, m.Account, "*"), fn.Name)
		a.Match = func(r string) bool {
			return r == "*" || strings.HasSuffix(r, ":function:"+fn.Name) || strings.Contains(r, ":function:") && wildMatch(r[strings.LastIndex(r, ":")+1:], fn.Name)
		}
	}
	if crossAccount(ro.Account, fn.Account) {
		// From another account the function's resource policy must allow
		// the call too.
		return m.AccessHops(ro, a, ep, "function "+fn.Name, m.functionPolicy(fn))
	}
	return m.AccessHops(ro, a, ep, "", "")
}

// logPaths proves P5: each web server (Role=web) writes its logs to the
// stack's log bucket through its VPC's S3 gateway endpoint.
func (m *Model) logPaths() []PathResult {
	b := m.LogBucket()
	if b == nil {
		return []PathResult{{ID: "P5", Kind: "required", Name: "web servers → log bucket", Status: Skipped, OK: true,
			Reason: "no S3 bucket in the graph (the stack's logs are off: internal-alb:logs false)"}}
	}
	var out []PathResult
	for _, w := range m.instList {
		if w.Role != "web" {
			continue
		}
		vpcID := m.instVPC(w)
		key := b.ARN + "/web/" + w.Name + "/access.log"
		name := fmt.Sprintf("%s (VPC %s) → s3:PutObject %s/web/", w.Name, m.vpcName(vpcID), b.Name)
		var ep *Endpoint
		for _, e := range m.vpceList() {
			if e.VPC == vpcID && strings.HasSuffix(e.Service, ".s3") && strings.EqualFold(e.Type, "Gateway") {
				ep = e
				break
			}
		}
		if ep == nil {
			out = append(out, required("P5", name, []Hop{{Step: "endpoint", Detail: fmt.Sprintf("no S3 gateway endpoint in VPC %s: %s has no way to S3 from a private subnet", m.vpcName(vpcID), w.Name)}}))
			continue
		}
		hops := []Hop{{Step: "endpoint", OK: true, Detail: fmt.Sprintf("gateway endpoint %s for %s in VPC %s", ep.Name, ep.Service, m.vpcName(vpcID))}}
		s := m.Subnets[w.Subnet]
		rh := Hop{Step: "route"}
		switch {
		case s == nil:
			rh.Detail = w.Name + " is in no known subnet"
		case slices.Contains(ep.RouteTables, s.RouteTable):
			rh.OK = true
			rh.Detail = fmt.Sprintf("route table %s of subnet %s is in endpoint %s's routeTableIds: S3's prefix list goes to the endpoint", m.rtName(s.RouteTable), s.Name, ep.Name)
		default:
			rh.Detail = fmt.Sprintf("route table %s of subnet %s is not in endpoint %s's routeTableIds: S3 traffic does not reach the endpoint", m.rtName(s.RouteTable), s.Name, ep.Name)
		}
		hops = append(hops, rh)
		ok, d := m.sgAllowsPrefixList(w.SGs, ep.PrefixList, port(443))
		hops = append(hops, Hop{Step: "source SG egress", OK: ok, Detail: d})
		s3 := &node{Label: "S3 (public addresses of the endpoint's prefix list)", Addr: netip.MustParsePrefix("0.0.0.0/0"), Internet: true}
		ok, d = m.naclAllows(s, true, s3, port(443), forAll)
		hops = append(hops, Hop{Step: "source NACL out", OK: ok, Detail: d})
		ok, d = m.naclAllows(s, false, s3, ephemeralProof, forAll)
		hops = append(hops, Hop{Step: "source NACL in (replies)", OK: ok, Detail: d})
		ro := m.roleOfInstance(w)
		if ro == nil {
			hops = append(hops, Hop{Step: "IAM role", Detail: fmt.Sprintf("%s has no instance profile with a role in the graph (iamInstanceProfile=%q)", w.Name, w.Profile)})
		} else {
			a := Access{Action: "s3:PutObject", Resource: key, Ctx: map[string]string{
				"aws:securetransport": "true", "aws:sourcevpce": ep.ID, "aws:sourcevpc": ep.VPC}}
			hops = append(hops, m.AccessHops(ro, a, ep, "bucket "+b.Name, b.Policy)...)
		}
		out = append(out, required("P5", name, hops))
	}
	return out
}

// sgAllowsPrefixList checks that a group sends TCP on pr to the prefix list
// (a gateway endpoint's; "" when the graph does not know its id: any prefix
// list rule counts), or to 0.0.0.0/0.
func (m *Model) sgAllowsPrefixList(groups []string, pl string, pr portRange) (bool, string) {
	var names []string
	for _, id := range groups {
		sg := m.SGs[id]
		if sg == nil {
			names = append(names, id+" (not in graph)")
			continue
		}
		names = append(names, sg.Name)
		for _, r := range sg.Rules {
			if !r.Egress || !protoOK(r.Proto) {
				continue
			}
			if full, _ := portMatch(r.Proto, r.From, r.To, pr); !full {
				continue
			}
			switch {
			case r.PrefixList != "" && (r.PrefixList == pl || pl == ""):
				d := fmt.Sprintf("%s egress rule %q allows tcp %s to prefix list %s", sg.Name, firstNonEmpty(r.Desc, r.Res), pr, r.PrefixList)
				if pl == "" {
					d += " (the endpoint's prefix list id is not in the graph)"
				}
				return true, d
			case isAnywhere(r.CIDR) && r.CIDR.Addr().Is4():
				return true, fmt.Sprintf("%s egress rule %q allows tcp %s to %s", sg.Name, firstNonEmpty(r.Desc, r.Res), pr, r.CIDR)
			}
		}
	}
	if len(names) == 0 {
		return false, "no security group attached, so no egress is allowed"
	}
	return false, fmt.Sprintf("no egress rule in %s allows tcp %s to prefix list %s (S3 through the gateway endpoint)", strings.Join(names, ", "), pr, firstNonEmpty(pl, "of the endpoint"))
}

func (m *Model) rtName(id string) string {
	if rt := m.RTs[id]; rt != nil {
		return rt.Name
	}
	return id
}
