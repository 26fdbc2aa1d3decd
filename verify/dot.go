package verify

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"os/exec"
	"slices"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// DOT draws the topology as Graphviz, laid out to be read at a glance:
//
//   - the VPCs side by side: the ones hosting a load balancer (the service)
//     on the left, the others (the consumers) on the right, each a cluster of
//     its AZs and subnets with what sits in them; the ALB inside its VPC,
//     next to its nodes in their subnets;
//   - the peering connections or transit gateways between the two columns;
//     the private zones, Lambda functions and S3 buckets outside the VPCs
//     (zones in the middle, functions on the consumers' side, buckets on the
//     service's side);
//   - each required path of the report drawn once along the hops it takes
//     (P1 client → peering/TGW → ALB, with the name resolved in the zone
//     dashed; P2 ALB → its node in the target's AZ → target; P3 client →
//     endpoint ENI → function; P4 internet gateway → bastion → instances, or
//     instance connect endpoint → instances, drawn light; P5 web server → S3
//     gateway endpoint → bucket), one colour per path id, the ids and what
//     they prove in the legend; a refused required path or an open forbidden
//     one red and dashed, named with its reason in the legend.
//
// Every node and edge comes from the graph and the report, in their order:
// the same inputs give the same DOT.
func DOT(g graph.Graph, r *Report) string {
	d := &dotter{m: BuildModel(g), r: r, side: map[string]byte{}, nodeVPC: map[string]string{}, segIdx: map[string]*segment{}, linked: map[string]bool{},
		succ: map[string][]string{}, pred: map[string][]string{}}
	return d.render()
}

// pathStyles are the colours of the required paths by id; refused and open
// paths are drawn with badStyle.
var pathStyles = map[string]edgeStyle{
	"P1":  {"#2e7d32", "bold", 2.5},
	"P2":  {"#2e7d32", "bold", 2.5},
	"P3":  {"#7b1fa2", "bold", 2},
	"P4":  {"#9e9e9e", "solid", 1},
	"P5":  {"#e65100", "bold", 2},
	"DNS": {"#b8860b", "dashed", 1.2},
}

var (
	badStyle     = edgeStyle{"#d50000", "dashed,bold", 2.5}
	defaultStyle = edgeStyle{"#1b5e20", "bold", 2}
)

type edgeStyle struct {
	color, style string
	width        float64
}

// segment is one drawn edge: a hop shared by every path that takes it.
type segment struct {
	from, to string
	class    string // path id, "DNS", or "bad"
	fwd      bool   // drawn left to right (else right to left)
	tips     []string
}

type dotter struct {
	m       *Model
	r       *Report
	b       strings.Builder
	side    map[string]byte   // VPC id → 'L' (hosts a load balancer) or 'R'
	nodeVPC map[string]string // DOT node id → its VPC ("" outside the VPCs)
	nodes   []string          // node ids declared inside VPCs, in order
	segs    []*segment
	segIdx  map[string]*segment
	linked  map[string]bool     // "from|to" pairs a path segment draws
	succ    map[string][]string // written edges, tail → heads (Graphviz's rank order)
	pred    map[string][]string
	inet    bool // an open path from the internet needs the internet node
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func (d *dotter) render() string {
	m := d.m
	for _, lb := range m.lbList {
		if v := d.lbVPC(lb); v != "" {
			d.side[v] = 'L'
		}
	}
	var left, right []*VPC
	for _, v := range m.vpcList {
		if d.side[v.ID] == 'L' {
			left = append(left, v)
		} else {
			d.side[v.ID] = 'R'
			right = append(right, v)
		}
	}
	d.paths() // before the nodes: the internet node appears only for an open path

	b := &d.b
	b.WriteString("digraph topology {\n")
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, compound=true, newrank=true, nodesep=0.25, ranksep=0.5, labelloc=b, labeljust=l];\n")
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white, margin=\"0.12,0.04\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n")
	fmt.Fprintf(b, "  label=<%s>;\n", d.legend())
	for _, v := range append(left, right...) {
		d.vpc(v)
	}
	d.outside()
	b.WriteString("  // the report's paths, each hop once\n")
	for _, s := range d.segs {
		d.edge(s)
	}
	d.structure()
	d.anchors()
	b.WriteString("}\n")
	return b.String()
}

// lbVPC is the VPC of a load balancer's subnets.
func (d *dotter) lbVPC(lb *LoadBalancer) string {
	for _, sid := range lb.Subnets {
		if s := d.m.Subnets[sid]; s != nil {
			return s.VPC
		}
	}
	return ""
}

func (d *dotter) node(indent, id, vpc, attrs string) {
	fmt.Fprintf(&d.b, "%s%s [%s];\n", indent, q(id), attrs)
	if vpc != "" {
		d.nodeVPC[id] = vpc
		d.nodes = append(d.nodes, id)
	}
}

func entryID(vpc string) string { return "entry_" + vpc }
func farID(vpc string) string   { return "far_" + vpc }

// vpc writes a VPC's cluster: its AZs, their subnets and what is in them,
// the ALB, gateway endpoints and internet gateways, and an invisible entry
// point on the side facing the other VPCs, where peerings and TGWs attach.
func (d *dotter) vpc(v *VPC) {
	m, b := d.m, &d.b
	cidrs := []string{}
	for _, c := range v.CIDRs {
		cidrs = append(cidrs, c.String())
	}
	role := "consumer"
	if d.side[v.ID] == 'L' {
		role = "service"
	}
	if v.Existing {
		role += ", existing"
	}
	if crossAccount(v.Account, m.Account) {
		role += ", account " + v.Account
	}
	fmt.Fprintf(b, "  subgraph %s {\n    label=%q; labelloc=t; labeljust=l; style=\"rounded\"; color=\"#336699\"; penwidth=2; fontsize=12; fontcolor=\"#336699\";\n",
		q("cluster_"+v.ID), fmt.Sprintf("VPC %s %s (%s)", v.Name, strings.Join(cidrs, ","), role))
	d.node("    ", entryID(v.ID), v.ID, "shape=point, style=invis, width=0.01, label=\"\"")
	d.node("    ", farID(v.ID), v.ID, "shape=point, style=invis, width=0.01, label=\"\"")
	byAZ := map[string][]*Subnet{}
	subnets := m.subnetList()
	if v.Existing { // the subnets the stack connects
		subnets = m.subnetsOf(v.ID)
	}
	for _, s := range subnets {
		if s.VPC == v.ID {
			byAZ[s.AZ] = append(byAZ[s.AZ], s)
		}
	}
	for _, az := range sortedKeys(byAZ) {
		fmt.Fprintf(b, "    subgraph %s {\n      label=%q; labelloc=t; style=dashed; color=\"#9e9e9e\"; fontcolor=\"#757575\";\n", q("cluster_"+v.ID+"_"+az), az)
		for _, s := range byAZ[az] {
			fill := "#eef5ff"
			if !m.isPrivate(s) {
				fill = "#fff4e0"
			}
			fmt.Fprintf(b, "      subgraph %s {\n        label=%q; labelloc=t; style=filled; fillcolor=%q; color=\"#bdbdbd\";\n", q("cluster_"+s.ID), s.Name+" "+s.CIDR.String(), fill)
			n := 0
			for _, in := range m.instList {
				if in.Subnet == s.ID {
					d.node("        ", in.ID, v.ID, fmt.Sprintf("label=%q, fillcolor=%q", in.Name+"\n"+firstNonEmpty(in.Role, "instance")+" · "+in.Type, roleColor(in.Role)))
					n++
				}
			}
			for _, lb := range m.lbList {
				if slices.Contains(lb.Subnets, s.ID) {
					d.node("        ", lb.ID+"@"+s.ID, v.ID, "label=\"ALB node\", shape=box3d, style=filled, fillcolor=\"#c8e6c9\", fontsize=9")
					n++
				}
			}
			for _, e := range m.vpceList() {
				if slices.Contains(e.Subnets, s.ID) {
					d.node("        ", e.ID+"@"+s.ID, v.ID, fmt.Sprintf("label=%q, shape=cds, style=filled, fillcolor=\"#f2e6ff\", fontsize=9", shortService(e.Service)+" endpoint ENI"))
					n++
				}
			}
			for _, e := range m.EICEs {
				if e.Subnet == s.ID {
					d.node("        ", e.ID, v.ID, fmt.Sprintf("label=%q, shape=cds, style=filled, fillcolor=\"#fff0f0\", fontsize=9", "instance connect\nendpoint "+e.Name))
					n++
				}
			}
			if n == 0 { // an empty cluster is not drawn: hold its place
				d.node("        ", s.ID, v.ID, "shape=point, style=invis, width=0.01, label=\"\"")
			}
			b.WriteString("      }\n")
		}
		b.WriteString("    }\n")
	}
	for _, lb := range m.lbList {
		if d.lbVPC(lb) != v.ID {
			continue
		}
		d.node("    ", lb.ID, v.ID, fmt.Sprintf("label=%q, shape=component, style=filled, fillcolor=\"#a5d6a7\", fontsize=11", d.lbLabel(lb)))
	}
	for _, e := range m.vpceList() {
		if e.VPC == v.ID && !strings.EqualFold(e.Type, "Interface") {
			d.node("    ", e.ID, v.ID, fmt.Sprintf("label=%q, shape=cds, style=filled, fillcolor=\"#f2e6ff\", fontsize=9", shortService(e.Service)+" gateway\nendpoint"))
		}
	}
	for _, e := range m.EICEs {
		if e.VPC == v.ID && m.Subnets[e.Subnet] == nil {
			d.node("    ", e.ID, v.ID, fmt.Sprintf("label=%q, shape=cds, style=filled, fillcolor=\"#fff0f0\", fontsize=9", "instance connect\nendpoint "+e.Name))
		}
	}
	for _, igw := range v.IGWs {
		d.node("    ", igw, v.ID, "label=\"internet\\ngateway\", shape=house, style=filled, fillcolor=\"#ffe0e0\", fontsize=9")
	}
	b.WriteString("  }\n")
}

func (d *dotter) lbLabel(lb *LoadBalancer) string {
	scheme := "internal"
	if !lb.Internal {
		scheme = "internet-facing"
	}
	lines := []string{"ALB " + lb.Name, scheme}
	for _, l := range lb.Listeners {
		for _, tgID := range l.TGs {
			if tg := d.m.TGs[tgID]; tg != nil {
				hc := ""
				if tg.HC.Path != "" {
					hc = ", health " + tg.HC.Path
				}
				lines = append(lines, fmt.Sprintf("%s:%d → %s %s:%d%s", l.Protocol, l.Port, tg.Name, tg.Protocol, tg.Port, hc))
			}
		}
	}
	return strings.Join(lines, "\n")
}

// outside writes the nodes outside the VPCs: zones, peerings, transit
// gateways, functions, buckets, and the internet when an open path needs it.
func (d *dotter) outside() {
	m, b := d.m, &d.b
	for _, z := range m.zoneList() {
		lines := []string{"private zone " + z.Name}
		for _, rec := range m.Records {
			if rec.Zone == z.ID && m.AliasOf(rec) != nil {
				lines = append(lines, rec.FQDN+" → ALB "+m.AliasOf(rec).Name)
			}
		}
		var vs []string
		for _, v := range z.VPCs {
			vs = append(vs, m.vpcName(v))
		}
		if len(vs) > 0 {
			lines = append(lines, "in VPC "+strings.Join(vs, ", "))
		}
		fmt.Fprintf(b, "  %s [label=%q, shape=note, fillcolor=\"#fffbe0\", fontsize=9];\n", q("zone_"+z.ID), strings.Join(lines, "\n"))
	}
	for _, p := range valuesByKey(m.Peers) {
		fmt.Fprintf(b, "  %s [label=%q, shape=diamond, style=filled, fillcolor=\"#e0f0ff\", fontsize=9];\n", q(p.ID), "peering\n"+strings.TrimPrefix(p.Name, "peering-"))
	}
	for _, t := range m.tgwList() {
		fmt.Fprintf(b, "  %s [label=%q, shape=doubleoctagon, style=filled, fillcolor=\"#e0f0ff\", fontsize=9];\n", q(t.ID), "transit gateway\n"+t.Name)
	}
	for _, fn := range m.Funcs {
		fmt.Fprintf(b, "  %s [label=%q, shape=hexagon, style=filled, fillcolor=\"#f2e6ff\"];\n", q("fn_"+fn.Name), "Lambda "+fn.Name+"\n"+fn.Runtime)
	}
	for _, bk := range m.bucketList {
		fmt.Fprintf(b, "  %s [label=%q, shape=cylinder, style=filled, fillcolor=\"#fff4e0\"];\n", q("bucket_"+bk.ID), "S3 bucket\n"+bk.Name)
	}
	if d.inet {
		b.WriteString("  \"internet\" [label=\"internet\\n0.0.0.0/0\", shape=ellipse, style=filled, fillcolor=\"#ffcdd2\"];\n")
	}
}

// paths turns each report path into its segments.
func (d *dotter) paths() {
	if d.r == nil {
		return
	}
	for _, p := range d.r.Paths {
		class := p.ID
		switch p.Status {
		case Proven:
		case Refused, Reachable:
			class = "bad"
		default: // blocked forbidden paths and skipped ones are not drawn
			continue
		}
		hops, dns, fwd := d.route(p)
		tip := fmt.Sprintf("%s %s %s", p.ID, p.Status, p.Name)
		for i := 0; i+1 < len(hops); i++ {
			d.add(hops[i], hops[i+1], class, fwd, tip)
		}
		dnsClass := "DNS"
		if class == "bad" {
			dnsClass = "bad"
		}
		for i := 0; i+1 < len(dns); i++ {
			d.add(dns[i], dns[i+1], dnsClass, false, tip+" (DNS)")
		}
	}
}

func (d *dotter) add(from, to, class string, fwd bool, tip string) {
	if from == "" || to == "" || from == to {
		return
	}
	key := from + "|" + to + "|" + class
	s := d.segIdx[key]
	if s == nil {
		s = &segment{from: from, to: to, class: class, fwd: fwd}
		d.segIdx[key] = s
		d.segs = append(d.segs, s)
	}
	if !slices.Contains(s.tips, tip) {
		s.tips = append(s.tips, tip)
	}
	d.linked[from+"|"+to] = true
}

// route maps a path to the DOT nodes it crosses, in order, from the names in
// its title and the model: the hops, the DNS side trip (P1) and whether it
// is drawn left to right.
func (d *dotter) route(p PathResult) (hops, dns []string, fwd bool) {
	m := d.m
	parts := strings.SplitN(p.Name, " → ", 2)
	if len(parts) != 2 {
		return nil, nil, false
	}
	src, dst := strings.Fields(parts[0]), strings.Fields(parts[1])
	if len(src) == 0 || len(dst) == 0 {
		return nil, nil, false
	}
	target := strings.SplitN(dst[0], ":", 2)[0]
	switch p.ID {
	case "P1":
		c, lb := d.inst(src[0]), d.lbIn(parts[1])
		if c == nil || lb == nil {
			return nil, nil, false
		}
		hops = []string{c.ID}
		if gw := d.gateway(c, lb); gw != "" {
			hops = append(hops, gw)
		}
		hops = append(hops, lb.ID)
		if _, z, _ := m.resolve(normName(strings.SplitN(dst[0], ":", 2)[0]), m.instVPC(c)); z != nil {
			dns = []string{c.ID, "zone_" + z.ID, lb.ID}
		}
	case "P2":
		var lb *LoadBalancer
		for _, l := range m.lbList {
			if src[0] == l.Name {
				lb = l
			}
		}
		t := d.inst(target)
		if lb == nil || t == nil {
			return nil, nil, false
		}
		hops = []string{lb.ID}
		if sid := d.sameAZ(lb.Subnets, t.Subnet); sid != "" {
			hops = append(hops, lb.ID+"@"+sid)
		}
		hops = append(hops, t.ID)
	case "P3":
		c := d.inst(src[0])
		var fn *Function
		for _, f := range m.Funcs {
			if strings.HasSuffix(parts[1], " "+f.Name) {
				fn = f
			}
		}
		if c == nil || fn == nil {
			return nil, nil, false
		}
		hops = []string{c.ID}
		for _, e := range m.vpceList() {
			if e.VPC == m.instVPC(c) && strings.HasSuffix(e.Service, ".lambda") && strings.EqualFold(e.Type, "Interface") {
				if sid := d.sameAZ(e.Subnets, c.Subnet); sid != "" {
					hops = append(hops, e.ID+"@"+sid)
				}
				break
			}
		}
		hops = append(hops, "fn_"+fn.Name)
		fwd = d.side[m.instVPC(c)] == 'R'
	case "P4", "F2":
		t := d.inst(target)
		if t == nil {
			return nil, nil, false
		}
		switch {
		case src[0] == "admin":
			hops = []string{d.igw(m.instVPC(t))}
		case d.inst(src[0]) != nil:
			hops = []string{d.inst(src[0]).ID}
		default:
			for _, e := range m.EICEs {
				if e.Name == src[0] {
					hops = []string{e.ID}
				}
			}
		}
		hops = append(hops, t.ID)
	case "P5":
		w, bk := d.inst(src[0]), m.LogBucket()
		if w == nil || bk == nil {
			return nil, nil, false
		}
		hops = []string{w.ID}
		for _, e := range m.vpceList() {
			if e.VPC == m.instVPC(w) && strings.HasSuffix(e.Service, ".s3") && strings.EqualFold(e.Type, "Gateway") {
				hops = append(hops, e.ID)
				break
			}
		}
		hops = append(hops, "bucket_"+bk.ID)
	case "F1", "F3":
		to := ""
		vpc := ""
		if t := d.inst(target); t != nil {
			to, vpc = t.ID, m.instVPC(t)
		} else if lb := d.lbNamed(target); lb != nil {
			to, vpc = lb.ID, d.lbVPC(lb)
		}
		if to == "" {
			return nil, nil, false
		}
		d.inet = d.inet || p.Status == Reachable
		hops = []string{"internet", d.igw(vpc), to}
	}
	return slices.DeleteFunc(hops, func(s string) bool { return s == "" }), dns, fwd
}

func (d *dotter) inst(name string) *Instance {
	for _, in := range d.m.instList {
		if in.Name == name {
			return in
		}
	}
	return nil
}

func (d *dotter) lbNamed(name string) *LoadBalancer {
	for _, lb := range d.m.lbList {
		if lb.Name == name {
			return lb
		}
	}
	return nil
}

// lbIn finds the load balancer a P1 title names: "… (<name>)".
func (d *dotter) lbIn(title string) *LoadBalancer {
	for _, lb := range d.m.lbList {
		if strings.Contains(title, "("+lb.Name+")") {
			return lb
		}
	}
	return nil
}

// gateway is the peering or TGW node the client's route to the ALB takes.
func (d *dotter) gateway(c *Instance, lb *LoadBalancer) string {
	nodes := d.m.lbNodes(lb)
	if len(nodes) == 0 || d.m.instVPC(c) == nodes[0].VPC {
		return ""
	}
	_, kind, id := d.m.crossRoute(d.m.instNode(c), nodes[0], "route")
	switch {
	case kind == "pcx" && d.m.Peers[id] != nil, kind == "tgw" && d.m.TGWs[id] != nil:
		return id
	}
	return ""
}

// sameAZ picks, among subnets, the one of subnet s, else one in its AZ,
// else the first.
func (d *dotter) sameAZ(subnets []string, s string) string {
	if slices.Contains(subnets, s) {
		return s
	}
	if ss := d.m.Subnets[s]; ss != nil {
		for _, sid := range subnets {
			if o := d.m.Subnets[sid]; o != nil && o.AZ == ss.AZ {
				return sid
			}
		}
	}
	if len(subnets) > 0 {
		return subnets[0]
	}
	return ""
}

func (d *dotter) igw(vpc string) string {
	if v := d.m.VPCs[vpc]; v != nil && len(v.IGWs) > 0 {
		return v.IGWs[0]
	}
	return ""
}

// edge writes a segment. Graphviz ranks tail before head: a hop that runs
// right to left is written head first with dir=back, so the picture keeps
// its columns while the arrow points the way the traffic goes.
func (d *dotter) edge(s *segment) {
	st, ok := pathStyles[s.class]
	if !ok {
		st = defaultStyle
	}
	if s.class == "bad" {
		st = badStyle
	}
	attrs := fmt.Sprintf("color=%q, style=%q, penwidth=%g, tooltip=%q", st.color, st.style, st.width, strings.Join(s.tips, "\n"))
	if s.class == "P1" || s.class == "P2" {
		attrs += ", weight=8" // the main story runs straight across
	}
	if s.class == "P4" {
		attrs += ", arrowsize=0.5"
	}
	if s.fwd {
		d.emit(s.from, s.to, attrs)
	} else {
		d.emit(s.to, s.from, "dir=back, "+attrs)
	}
}

// emit writes an edge and remembers it for the anchors.
func (d *dotter) emit(tail, head, attrs string) {
	fmt.Fprintf(&d.b, "  %s -> %s [%s];\n", q(tail), q(head), attrs)
	d.succ[tail] = append(d.succ[tail], head)
	d.pred[head] = append(d.pred[head], tail)
}

// structure writes the links no path drew: the ALB to its nodes, peerings
// and TGWs to their VPCs, zone aliases, endpoints to what they reach.
func (d *dotter) structure() {
	m, b := d.m, &d.b
	b.WriteString("  // structure\n")
	light := "style=dotted, color=\"#9e9e9e\", arrowhead=none, arrowtail=none"
	for _, lb := range m.lbList {
		for _, sid := range lb.Subnets {
			if !d.linked[lb.ID+"|"+lb.ID+"@"+sid] && m.Subnets[sid] != nil {
				d.emit(lb.ID+"@"+sid, lb.ID, "dir=back, "+light)
			}
		}
		for _, l := range lb.Listeners { // registered targets no path reached
			for _, tgID := range l.TGs {
				tg := m.TGs[tgID]
				if tg == nil {
					continue
				}
				for _, t := range tg.Targets {
					in := m.Insts[t.ID]
					if in == nil {
						continue
					}
					sid := d.sameAZ(lb.Subnets, in.Subnet)
					key := lb.ID + "@" + sid + "|" + in.ID
					if m.Subnets[sid] == nil || d.linked[key] {
						continue
					}
					d.linked[key] = true
					d.emit(in.ID, lb.ID+"@"+sid, "dir=back, "+light)
				}
			}
		}
	}
	// A gateway touches a VPC where a path crosses it; else a plain link.
	touches := func(gw, vpc string) bool {
		for _, s := range d.segs {
			if (s.from == gw && d.nodeVPC[s.to] == vpc) || (s.to == gw && d.nodeVPC[s.from] == vpc) {
				return true
			}
		}
		return false
	}
	link := func(gw, vpc string) {
		if d.m.VPCs[vpc] == nil || touches(gw, vpc) {
			return
		}
		pipe := "color=\"#336699\", penwidth=2, arrowhead=none, arrowtail=none"
		if d.side[vpc] == 'L' {
			d.emit(entryID(vpc), gw, pipe+", ltail="+q("cluster_"+vpc))
		} else {
			d.emit(gw, entryID(vpc), pipe+", lhead="+q("cluster_"+vpc))
		}
	}
	for _, p := range valuesByKey(m.Peers) {
		for _, v := range []string{p.VPC, p.Peer} {
			link(p.ID, v)
		}
	}
	for _, t := range m.tgwList() {
		for _, a := range valuesByKey(m.Attachs) {
			if a.TGW == t.ID {
				link(t.ID, a.VPC)
			}
		}
	}
	for _, z := range m.zoneList() {
		for _, rec := range m.Records {
			if lb := m.AliasOf(rec); rec.Zone == z.ID && lb != nil && d.nodeVPC[lb.ID] != "" && !d.linked["zone_"+z.ID+"|"+lb.ID] {
				d.emit(lb.ID, "zone_"+z.ID, "dir=back, style=dashed, color=\"#b8860b\"")
			}
		}
	}
	for _, fn := range m.Funcs {
		for _, e := range m.vpceList() {
			if !strings.HasSuffix(e.Service, ".lambda") || d.side[e.VPC] != 'R' {
				continue
			}
			for _, sid := range e.Subnets {
				if !d.linked[e.ID+"@"+sid+"|fn_"+fn.Name] && m.Subnets[sid] != nil {
					d.emit(e.ID+"@"+sid, "fn_"+fn.Name, "style=dashed, color=\"#7b1fa2\"")
				}
			}
		}
	}
	for _, bk := range m.bucketList {
		for _, e := range m.vpceList() {
			if strings.HasSuffix(e.Service, ".s3") && !strings.EqualFold(e.Type, "Interface") && d.side[e.VPC] == 'L' && !d.linked[e.ID+"|bucket_"+bk.ID] {
				d.emit("bucket_"+bk.ID, e.ID, "dir=back, style=dashed, color=\"#e65100\"")
			}
		}
	}
}

// anchors keeps each VPC's nodes on its side of its entry point (invisible
// edges): the service's to the left of it, the consumers' to the right, so
// the VPCs stand side by side with the gateways between them.
func (d *dotter) anchors() {
	b := &d.b
	b.WriteString("  // keep each VPC's nodes on its side of the gateways\n")
	hasSide := map[byte]bool{}
	inVPC := func(ids []string, v string) bool {
		return slices.ContainsFunc(ids, func(id string) bool { return d.nodeVPC[id] == v })
	}
	for _, id := range d.nodes {
		v := d.nodeVPC[id]
		hasSide[d.side[v]] = true
		if id == entryID(v) || id == farID(v) {
			continue
		}
		// Only the ends of the VPC's chains need holding: the rest follow.
		first, last := !inVPC(d.pred[id], v), !inVPC(d.succ[id], v)
		lo, hi := farID(v), entryID(v)
		if d.side[v] == 'R' {
			lo, hi = hi, lo
		}
		if first {
			fmt.Fprintf(b, "  %s -> %s [style=invis, minlen=0];\n", q(lo), q(id))
		}
		if last {
			fmt.Fprintf(b, "  %s -> %s [style=invis, minlen=0];\n", q(id), q(hi))
		}
	}
	// Buckets beyond the service VPCs, functions beyond the consumers'.
	bucketSide, fnSide := byte('L'), byte('R')
	if !hasSide['L'] {
		bucketSide = 'R'
	}
	if !hasSide['R'] {
		fnSide = 'L'
	}
	var outer []string
	for _, bk := range d.m.bucketList {
		outer = append(outer, string(bucketSide)+"bucket_"+bk.ID)
	}
	for _, fn := range d.m.Funcs {
		outer = append(outer, string(fnSide)+"fn_"+fn.Name)
	}
	for _, v := range d.m.vpcList {
		for _, o := range outer {
			switch {
			case o[0] != d.side[v.ID]:
			case o[0] == 'L':
				fmt.Fprintf(b, "  %s -> %s [style=invis, weight=0];\n", q(o[1:]), q(farID(v.ID)))
			default:
				fmt.Fprintf(b, "  %s -> %s [style=invis, weight=0];\n", q(farID(v.ID)), q(o[1:]))
			}
		}
	}
}

// legend is the graph's label: a title with the report's counts, one row
// per path id with its colour and what it proves, and one red row per
// refused or open path with its reason.
func (d *dotter) legend() string {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString(`<FONT POINT-SIZE="13"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="2">`)
	title := "internal-alb topology (verify)"
	if d.r != nil {
		s := d.r.Summary
		title += fmt.Sprintf(" — required paths: %d proven, %d refused; forbidden: %d blocked, %d open", s.RequiredProven, s.RequiredRefused, s.ForbiddenBlocked, s.ForbiddenOpen)
	}
	fmt.Fprintf(&b, `<TR><TD COLSPAN="4" ALIGN="LEFT"><B>%s</B></TD></TR>`, e(title))
	if d.r == nil {
		b.WriteString(`</TABLE></FONT>`)
		return b.String()
	}
	type group struct {
		id               string
		ok, bad, skipped int
		names            []string
	}
	var groups []*group
	byID := map[string]*group{}
	forb := &group{id: "F"}
	for _, p := range d.r.Paths {
		if p.Kind == "forbidden" {
			if p.Status == Reachable {
				forb.bad++
			} else {
				forb.ok++
			}
			continue
		}
		gr := byID[p.ID]
		if gr == nil {
			gr = &group{id: p.ID}
			byID[p.ID] = gr
			groups = append(groups, gr)
		}
		gr.names = append(gr.names, p.Name)
		switch p.Status {
		case Proven:
			gr.ok++
		case Skipped:
			gr.skipped++
		default:
			gr.bad++
		}
	}
	swatch := func(st edgeStyle, dashed bool) string {
		mark := "━━━"
		if dashed {
			mark = "╍╍╍"
		}
		return fmt.Sprintf(`<TD ALIGN="LEFT"><FONT COLOR="%s">%s</FONT></TD>`, st.color, mark)
	}
	row := func(sw, id, what, status string) {
		cell := func(s string) string {
			if s == "" {
				return "<TD></TD>"
			}
			return `<TD ALIGN="LEFT">` + s + "</TD>"
		}
		if id != "" {
			id = "<B>" + e(id) + "</B>"
		}
		b.WriteString("<TR>" + sw + cell(id) + cell(e(what)) + cell(status) + "</TR>")
	}
	count := func(gr *group, good string) string {
		n := gr.ok + gr.bad
		s := fmt.Sprintf("%d/%d %s", gr.ok, n, good)
		if gr.bad > 0 {
			return fmt.Sprintf(`<FONT COLOR="%s"><B>%s</B></FONT>`, badStyle.color, e(s))
		}
		if n == 0 && gr.skipped > 0 {
			return "skipped"
		}
		return e(s)
	}
	for _, gr := range groups {
		st, ok := pathStyles[gr.id]
		if !ok {
			st = defaultStyle
		}
		row(swatch(st, false), gr.id, d.describe(gr.id, gr.names), count(gr, "proven"))
		if gr.id == "P1" {
			row(swatch(pathStyles["DNS"], true), "", "the name, answered by the private zone (alias to the ALB)", "")
		}
	}
	row(swatch(badStyle, true), "F1–F3", "forbidden: internet → ALB, clients → web servers directly, internet → private instances", count(forb, "blocked"))
	for _, p := range d.r.Paths {
		if p.Status != Refused && p.Status != Reachable {
			continue
		}
		reason := p.Reason
		if r := []rune(reason); len(r) > 140 {
			reason = string(r[:137]) + "…"
		}
		fmt.Fprintf(&b, `<TR><TD></TD><TD ALIGN="LEFT"><FONT COLOR="%[1]s"><B>%[2]s</B></FONT></TD><TD COLSPAN="2" ALIGN="LEFT"><FONT COLOR="%[1]s">%[3]s %[4]s: %[5]s</FONT></TD></TR>`,
			badStyle.color, e(p.ID), e(p.Status), e(p.Name), e(reason))
	}
	b.WriteString(`</TABLE></FONT>`)
	return b.String()
}

// describe says what a required path id proves, with the names and ports
// its titles carry.
func (d *dotter) describe(id string, names []string) string {
	after := func(n string) string { // "x → y" → "y"
		if i := strings.Index(n, " → "); i >= 0 {
			return n[i+len(" → "):]
		}
		return n
	}
	via := map[string]bool{} // the gateways the drawn P1 hops cross
	for _, s := range d.segs {
		for _, n := range []string{s.from, s.to} {
			if !strings.HasPrefix(s.tips[0], "P1 ") {
				continue
			}
			if d.m.Peers[n] != nil {
				via["peering"] = true
			}
			if d.m.TGWs[n] != nil {
				via["transit gateway"] = true
			}
		}
	}
	switch id {
	case "P1":
		name := "the ALB's name"
		if f := strings.Fields(after(names[0])); len(f) > 0 {
			name = f[0]
		}
		s := "clients → " + name + " → ALB"
		if len(via) > 0 {
			s += ", across the " + strings.Join(sortedKeys(via), " / ")
		}
		return s
	case "P2":
		port := ""
		if i := strings.LastIndex(names[0], ":"); i >= 0 {
			port = " :" + names[0][i+1:]
		}
		return "ALB → every target" + port + " (from each ALB node; drawn from the node in the target's AZ)"
	case "P3":
		return "clients → Lambda interface endpoint :443 → lambda:InvokeFunction (IAM, endpoint policy)"
	case "P4":
		var from []string
		for _, n := range names {
			f := strings.SplitN(n, " → ", 2)[0]
			switch {
			case strings.HasPrefix(f, "admin ") && !slices.Contains(from, f):
				from = append(from, f)
			case d.inst(f) == nil && !strings.HasPrefix(f, "admin ") && !slices.Contains(from, "instance connect endpoint"):
				from = append(from, "instance connect endpoint")
			}
		}
		var ways []string
		for _, f := range from {
			if f == "instance connect endpoint" {
				ways = append(ways, "instance connect endpoint → private instances")
			} else {
				ways = append(ways, f+" → internet gateway → bastion → private instances")
			}
		}
		return firstNonEmpty(strings.Join(ways, "; "), "admin → private instances") + " :22"
	case "P5":
		return "web servers → S3 gateway endpoint → log bucket (s3:PutObject)"
	}
	return after(names[0])
}

func roleColor(role string) string {
	switch role {
	case "bastion":
		return "#ffe0b3"
	case "web":
		return "#d9f2d9"
	case "client":
		return "#d6e9ff"
	}
	return "white"
}

func shortService(s string) string {
	if i := strings.LastIndex(s, "."); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ErrNoDot is returned when Graphviz's dot is not on PATH.
var ErrNoDot = errors.New("verify: Graphviz `dot` not found on PATH: install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)")

// Render runs dot to turn DOT source into the given format ("svg", "png").
func Render(dotSrc, format string) ([]byte, error) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		return nil, ErrNoDot
	}
	cmd := exec.Command(bin, "-T"+format)
	cmd.Stdin = strings.NewReader(dotSrc)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("verify: dot -T%s: %w: %s", format, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}
