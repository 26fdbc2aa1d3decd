package verify

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// DOT draws the topology as Graphviz: VPCs as clusters, subnets grouped by
// AZ, instances, the ALB, target group, zone, endpoints, peering/TGW, and the
// proven required paths as bold green edges (refused ones red, dashed).
func DOT(g graph.Graph, r *Report) string {
	m := BuildModel(g)
	var b strings.Builder
	id := func(s string) string { return fmt.Sprintf("%q", s) }
	b.WriteString("digraph topology {\n  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, compound=true, label=\"internal-alb topology (verify)\", labelloc=t];\n")
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, v := range m.vpcList {
		cidrs := []string{}
		for _, c := range v.CIDRs {
			cidrs = append(cidrs, c.String())
		}
		fmt.Fprintf(&b, "  subgraph %s {\n    label=%q; style=\"rounded\"; color=\"#336699\"; penwidth=2;\n", id("cluster_"+v.ID), fmt.Sprintf("VPC %s %s", v.Name, strings.Join(cidrs, ",")))
		byAZ := map[string][]*Subnet{}
		for _, s := range m.subnetList() {
			if s.VPC == v.ID {
				byAZ[s.AZ] = append(byAZ[s.AZ], s)
			}
		}
		azs := sortedKeys(byAZ)
		for _, az := range azs {
			fmt.Fprintf(&b, "    subgraph %s {\n      label=%q; style=dashed; color=gray;\n", id("cluster_"+v.ID+"_"+az), az)
			for _, s := range byAZ[az] {
				fill := "#eef5ff"
				if !m.isPrivate(s) {
					fill = "#fff4e0"
				}
				fmt.Fprintf(&b, "      subgraph %s {\n        label=%q; style=filled; fillcolor=%q; color=gray;\n", id("cluster_"+s.ID), s.Name+" "+s.CIDR.String(), fill)
				fmt.Fprintf(&b, "        %s [label=%q, shape=point, style=invis];\n", id(s.ID), s.Name)
				for _, in := range m.instList {
					if in.Subnet == s.ID {
						fmt.Fprintf(&b, "        %s [label=%q, fillcolor=%q];\n", id(in.ID), in.Name+"\n"+firstNonEmpty(in.Role, "instance")+" "+in.Type, roleColor(in.Role))
					}
				}
				for _, lb := range m.lbList {
					for _, sid := range lb.Subnets {
						if sid == s.ID {
							fmt.Fprintf(&b, "        %s [label=%q, shape=box3d, fillcolor=\"#d9f2d9\"];\n", id(lb.ID+"@"+sid), "ALB node\n"+lb.Name)
						}
					}
				}
				for _, e := range m.vpceList() {
					for _, sid := range e.Subnets {
						if sid == s.ID {
							fmt.Fprintf(&b, "        %s [label=%q, shape=cds, fillcolor=\"#f2e6ff\"];\n", id(e.ID+"@"+sid), "endpoint ENI\n"+shortService(e.Service))
						}
					}
				}
				b.WriteString("      }\n")
			}
			b.WriteString("    }\n")
		}
		for _, e := range m.vpceList() {
			if e.VPC == v.ID && !strings.EqualFold(e.Type, "Interface") {
				fmt.Fprintf(&b, "    %s [label=%q, shape=cds, fillcolor=\"#f2e6ff\"];\n", id(e.ID), "gateway endpoint\n"+shortService(e.Service))
			}
		}
		for _, e := range m.EICEs {
			if e.VPC == v.ID {
				fmt.Fprintf(&b, "    %s [label=%q, shape=cds, fillcolor=\"#fff0f0\"];\n", id(e.ID), "instance connect endpoint\n"+e.Name)
				if s := m.Subnets[e.Subnet]; s != nil {
					fmt.Fprintf(&b, "    %s -> %s [style=dotted, arrowhead=none, color=gray];\n", id(e.ID), id(s.ID))
				}
			}
		}
		for _, igw := range v.IGWs {
			fmt.Fprintf(&b, "    %s [label=\"internet gateway\", shape=house, fillcolor=\"#ffe0e0\"];\n", id(igw))
		}
		b.WriteString("  }\n")
	}
	for _, lb := range m.lbList {
		scheme := "internal"
		if !lb.Internal {
			scheme = "internet-facing"
		}
		fmt.Fprintf(&b, "  %s [label=%q, shape=component, fillcolor=\"#d9f2d9\"];\n", id(lb.ID), fmt.Sprintf("ALB %s (%s)", lb.Name, scheme))
		for _, sid := range lb.Subnets {
			fmt.Fprintf(&b, "  %s -> %s [style=dotted, arrowhead=none, color=gray];\n", id(lb.ID), id(lb.ID+"@"+sid))
		}
		for _, l := range lb.Listeners {
			for _, tgID := range l.TGs {
				tg := m.TGs[tgID]
				fmt.Fprintf(&b, "  %s [label=%q, shape=folder, fillcolor=\"#e6ffe6\"];\n", id(tg.ID), fmt.Sprintf("target group %s\n%s:%d, health %s", tg.Name, tg.Protocol, tg.Port, tg.HC.Path))
				fmt.Fprintf(&b, "  %s -> %s [label=%q];\n", id(lb.ID), id(tg.ID), fmt.Sprintf("%s:%d", l.Protocol, l.Port))
				for _, t := range tg.Targets {
					fmt.Fprintf(&b, "  %s -> %s [label=%q, color=\"#2e7d32\"];\n", id(tg.ID), id(t.ID), fmt.Sprint(tg.Port))
				}
			}
		}
	}
	for _, z := range m.zoneList() {
		fmt.Fprintf(&b, "  %s [label=%q, shape=note, fillcolor=\"#fffbe0\"];\n", id("zone_"+z.ID), "private zone "+z.Name)
		for _, v := range z.VPCs {
			if len(m.subnetsOf(v)) > 0 {
				fmt.Fprintf(&b, "  %s -> %s [style=dashed, color=\"#b8860b\", arrowhead=none, lhead=%s];\n", id("zone_"+z.ID), id(m.subnetsOf(v)[0]), id("cluster_"+v))
			}
		}
		for _, rec := range m.Records {
			if rec.Zone == z.ID {
				for _, lb := range m.lbList {
					if m.aliasIs(rec, lb) {
						fmt.Fprintf(&b, "  %s -> %s [label=%q, color=\"#b8860b\"];\n", id("zone_"+z.ID), id(lb.ID), rec.FQDN+" (alias)")
					}
				}
			}
		}
	}
	for _, p := range valuesByKey(m.Peers) {
		fmt.Fprintf(&b, "  %s [label=%q, shape=diamond, fillcolor=\"#e0f0ff\"];\n", id(p.ID), "peering "+p.Name)
		for _, v := range []string{p.VPC, p.Peer} {
			if s := m.subnetsOf(v); len(s) > 0 {
				fmt.Fprintf(&b, "  %s -> %s [dir=both, color=\"#336699\", lhead=%s];\n", id(p.ID), id(s[0]), id("cluster_"+v))
			}
		}
	}
	for _, t := range m.tgwList() {
		fmt.Fprintf(&b, "  %s [label=%q, shape=doubleoctagon, fillcolor=\"#e0f0ff\"];\n", id(t.ID), "transit gateway "+t.Name)
		for _, a := range valuesByKey(m.Attachs) {
			if a.TGW == t.ID {
				if s := m.subnetsOf(a.VPC); len(s) > 0 {
					fmt.Fprintf(&b, "  %s -> %s [dir=both, color=\"#336699\", label=%q, lhead=%s];\n", id(t.ID), id(s[0]), a.Name, id("cluster_"+a.VPC))
				}
			}
		}
	}
	for _, fn := range m.Funcs {
		fmt.Fprintf(&b, "  %s [label=%q, shape=hexagon, fillcolor=\"#f2e6ff\"];\n", id("fn_"+fn.Name), "Lambda "+fn.Name+"\n"+fn.Runtime)
		for _, e := range m.vpceList() {
			if strings.HasSuffix(e.Service, ".lambda") {
				for _, sid := range e.Subnets {
					fmt.Fprintf(&b, "  %s -> %s [style=dashed, color=purple];\n", id(e.ID+"@"+sid), id("fn_"+fn.Name))
				}
			}
		}
	}
	for _, bk := range m.bucketList {
		fmt.Fprintf(&b, "  %s [label=%q, shape=cylinder, fillcolor=\"#fff4e0\"];\n", id("bucket_"+bk.ID), "S3 bucket "+bk.Name)
		for _, e := range m.vpceList() {
			if strings.HasSuffix(e.Service, ".s3") && !strings.EqualFold(e.Type, "Interface") {
				fmt.Fprintf(&b, "  %s -> %s [style=dashed, color=\"#b8860b\"];\n", id(e.ID), id("bucket_"+bk.ID))
			}
		}
	}
	if r != nil {
		b.WriteString("  // paths from the report\n")
		for _, p := range r.Paths {
			from, to := m.pathEnds(p)
			if from == "" || to == "" {
				continue
			}
			color, style := "#1b5e20", "bold"
			switch p.Status {
			case Refused, Reachable:
				color, style = "red", "dashed,bold"
			case Unreachable, Skipped:
				continue
			}
			fmt.Fprintf(&b, "  %s -> %s [color=%q, style=%q, penwidth=2, label=%q, constraint=false];\n", id(from), id(to), color, style, p.ID+" "+p.Status)
		}
	}
	b.WriteString("}\n")
	return b.String()
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

func (m *Model) subnetsOf(vpc string) []string {
	var out []string
	for _, s := range m.subnetList() {
		if s.VPC == vpc {
			out = append(out, s.ID)
		}
	}
	return out
}

// pathEnds maps a path result to DOT node ids by the names in its title.
func (m *Model) pathEnds(p PathResult) (string, string) {
	find := func(name string) string {
		for _, in := range m.instList {
			if in.Name == name {
				return in.ID
			}
		}
		return ""
	}
	parts := strings.SplitN(p.Name, " → ", 2)
	if len(parts) != 2 {
		return "", ""
	}
	src := strings.Fields(parts[0])
	if len(src) == 0 {
		return "", ""
	}
	from := find(src[0])
	to := ""
	switch p.ID {
	case "P1":
		for _, lb := range m.lbList {
			if strings.Contains(parts[1], "("+lb.Name+")") && len(lb.Subnets) > 0 {
				to = lb.ID + "@" + lb.Subnets[0]
			}
		}
	case "P2":
		for _, lb := range m.lbList {
			if strings.HasPrefix(p.Name, lb.Name+" ") && len(lb.Subnets) > 0 {
				from = lb.ID
			}
		}
		to = find(strings.Split(parts[1], ":")[0])
	case "P3":
		for _, fn := range m.Funcs {
			if strings.HasSuffix(parts[1], " "+fn.Name) {
				to = "fn_" + fn.Name
			}
		}
	case "P4", "F2":
		to = find(strings.Fields(strings.Split(parts[1], ":")[0])[0])
		for _, e := range m.EICEs {
			if strings.HasPrefix(p.Name, e.Name+" ") {
				from = e.ID
			}
		}
	case "P5":
		if bk := m.LogBucket(); bk != nil {
			to = "bucket_" + bk.ID
		}
	}
	return from, to
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
