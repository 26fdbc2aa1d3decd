package twin

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// localTable is, in each VPC router, the table for traffic arriving over a
// peering or TGW link: the VPC's local route only (the ENIs), so a VPC
// never forwards one neighbour's traffic to another (no transit).
const localTable = 99

// network makes the namespaces, links, routes and firewalls of a Spec.
func (sh *shell) network(s *Spec) error {
	for _, v := range s.VPCs {
		if _, err := sh.netns(v.NS); err != nil {
			return err
		}
		if err := sh.sysctl(v.NS, "ipv4.ip_forward", "1", "ipv4.conf.all.rp_filter", "0", "ipv4.conf.default.rp_filter", "0",
			"ipv4.conf.default.proxy_arp", "1"); err != nil {
			return fmt.Errorf("router of %s: %w", v.Name, err)
		}
		if v.Resolver.IsValid() {
			if err := sh.addrOnLo(v.NS, netip.PrefixFrom(v.Resolver, 32)); err != nil {
				return fmt.Errorf("resolver of %s: %w", v.Name, err)
			}
		}
	}
	for _, t := range s.TGWs {
		if _, err := sh.netns(t.NS); err != nil {
			return err
		}
		if err := sh.sysctl(t.NS, "ipv4.ip_forward", "1", "ipv4.conf.all.rp_filter", "0", "ipv4.conf.default.rp_filter", "0"); err != nil {
			return fmt.Errorf("transit gateway %s: %w", t.Name, err)
		}
	}
	if in := s.Internet; in != nil {
		if _, err := sh.netns(in.NS); err != nil {
			return err
		}
		if err := sh.addrOnLo(in.NS, in.Addr); err != nil {
			return fmt.Errorf("internet: %w", err)
		}
	}
	routerOf := map[string]*VPCSpec{}
	for _, v := range s.VPCs {
		routerOf[v.ID] = v
	}
	for _, e := range s.ENIs {
		if _, err := sh.netns(e.NS); err != nil {
			return err
		}
		v := routerOf[e.VPC]
		if err := sh.veth(v.NS, e.Link, netip.PrefixFrom(e.Gateway, 32), e.NS, "eth0", e.Addr); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := sh.routes(e.NS, 0, []RouteSpec{{Dest: netip.MustParsePrefix("0.0.0.0/0"), Link: "eth0", Via: e.Gateway}}); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := sh.sysctl(e.NS, "ipv4.conf.all.rp_filter", "0"); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := eniFirewall(e, v.DHCPResolver).apply(int(sh.handles[e.NS])); err != nil {
			return fmt.Errorf("%s: security groups: %w", e.Name, err)
		}
	}
	for _, l := range s.Peerings {
		if err := sh.veth(l.A, l.AName, l.AAddr, l.B, l.BName, l.BAddr); err != nil {
			return fmt.Errorf("peering %s: %w", l.Name, err)
		}
	}
	for _, t := range s.TGWs {
		for _, l := range t.Links {
			if err := sh.veth(l.A, l.AName, l.AAddr, l.B, l.BName, l.BAddr); err != nil {
				return fmt.Errorf("transit gateway attachment %s: %w", l.Name, err)
			}
		}
	}
	if in := s.Internet; in != nil {
		for _, l := range in.Links {
			if err := sh.veth(l.A, l.AName, l.AAddr, l.B, l.BName, l.BAddr); err != nil {
				return fmt.Errorf("%s: %w", l.Name, err)
			}
		}
	}
	for _, v := range s.VPCs {
		if err := sh.router(v, s); err != nil {
			return fmt.Errorf("router of %s: %w", v.Name, err)
		}
	}
	for _, t := range s.TGWs {
		if err := sh.tgw(t); err != nil {
			return fmt.Errorf("transit gateway %s: %w", t.Name, err)
		}
	}
	return nil
}

// router fills a VPC router: one kernel table per route table, chosen by
// the link a packet arrives on (its subnet's table for an ENI, the local
// table for a peering or TGW link), and the NACLs.
func (sh *shell) router(v *VPCSpec, s *Spec) error {
	var local []RouteSpec
	for _, e := range s.ENIs {
		if e.VPC == v.ID {
			local = append(local, RouteSpec{Dest: netip.PrefixFrom(e.Addr.Addr(), 32), Link: e.Link})
		}
	}
	// The main table reaches the ENIs for the router's own answers (the
	// resolver's replies).
	if err := sh.routes(v.NS, unix.RT_TABLE_MAIN, local); err != nil {
		return err
	}
	if err := sh.routes(v.NS, localTable, withDefaultDrop(local)); err != nil {
		return err
	}
	for _, t := range v.Tables {
		if err := sh.routes(v.NS, t.Num, withDefaultDrop(t.Routes)); err != nil {
			return fmt.Errorf("route table %s: %w", t.Name, err)
		}
	}
	for _, e := range s.ENIs {
		if e.VPC == v.ID && e.Table != 0 {
			if err := sh.rule(v.NS, e.Link, e.Table); err != nil {
				return err
			}
		}
	}
	for _, l := range s.Peerings {
		for _, end := range []struct{ ns, name string }{{l.A, l.AName}, {l.B, l.BName}} {
			if end.ns == v.NS {
				if err := sh.rule(v.NS, end.name, localTable); err != nil {
					return err
				}
			}
		}
	}
	for _, t := range s.TGWs {
		for _, l := range t.Links {
			if l.A == v.NS {
				if err := sh.rule(v.NS, l.AName, localTable); err != nil {
					return err
				}
			}
		}
	}
	if s.Internet != nil {
		for _, l := range s.Internet.Links {
			if l.A == v.NS {
				if err := sh.rule(v.NS, l.AName, localTable); err != nil {
					return err
				}
			}
		}
	}
	return routerFirewall(v, s.ENIs).apply(int(sh.handles[v.NS]))
}

// tgw fills a transit gateway: each attachment's traffic is looked up in
// the route table associated with it; an attachment with none drops.
func (sh *shell) tgw(t *TGWSpec) error {
	for _, tab := range t.Tables {
		if err := sh.routes(t.NS, tab.Num, withDefaultDrop(tab.Routes)); err != nil {
			return fmt.Errorf("route table %s: %w", tab.Name, err)
		}
	}
	for _, l := range t.Links {
		num, ok := t.Assoc[l.BName]
		if !ok {
			num = localTable // empty: only the drop below
			if err := sh.routes(t.NS, num, withDefaultDrop(nil)); err != nil {
				return err
			}
		}
		if err := sh.rule(t.NS, l.BName, num); err != nil {
			return err
		}
	}
	return nil
}

// withDefaultDrop ends a table with a silent drop for everything it does
// not route, as AWS drops a packet with no route (no ICMP error).
func withDefaultDrop(rs []RouteSpec) []RouteSpec {
	for _, r := range rs {
		if r.Dest.Bits() == 0 {
			return rs
		}
	}
	return append(append([]RouteSpec(nil), rs...), RouteSpec{Dest: netip.MustParsePrefix("0.0.0.0/0"), Blackhole: true, Why: "no route"})
}

func (sh *shell) routes(ns string, table int, rs []RouteSpec) error {
	h, err := netlink.NewHandleAt(sh.handles[ns])
	if err != nil {
		return err
	}
	defer h.Close()
	for _, r := range rs {
		rt := &netlink.Route{Dst: ipnet(r.Dest), Table: table}
		switch {
		case r.Blackhole:
			rt.Type = unix.RTN_BLACKHOLE
		default:
			l, err := h.LinkByName(r.Link)
			if err != nil {
				return fmt.Errorf("route %s: link %s: %w", r.Dest, r.Link, err)
			}
			rt.LinkIndex = l.Attrs().Index
			if r.Via.IsValid() {
				rt.Gw = r.Via.AsSlice()
			} else {
				rt.Scope = netlink.SCOPE_LINK
			}
		}
		if err := h.RouteAdd(rt); err != nil {
			return fmt.Errorf("route %s (%s) in table %d of %s: %w", r.Dest, r.Why, table, sh.name(ns), err)
		}
	}
	return nil
}

func (sh *shell) rule(ns, iifName string, table int) error {
	h, err := netlink.NewHandleAt(sh.handles[ns])
	if err != nil {
		return err
	}
	defer h.Close()
	r := netlink.NewRule()
	r.IifName, r.Table, r.Priority = iifName, table, 100
	if err := h.RuleAdd(r); err != nil {
		return fmt.Errorf("rule iif %s lookup %d in %s: %w", iifName, table, sh.name(ns), err)
	}
	return nil
}

func (sh *shell) addrOnLo(ns string, p netip.Prefix) error {
	h, err := netlink.NewHandleAt(sh.handles[ns])
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	return h.AddrAdd(lo, &netlink.Addr{IPNet: ipnet(p)})
}
