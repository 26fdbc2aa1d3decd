package twin

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/internal-alb/internal-alb/verify"
)

// The firewall is nftables, written over netlink (no nft binary): security
// groups in each ENI's namespace (stateful, through conntrack), network
// ACLs in the VPC router (stateless, by rule number, both directions).

const fwTable = "twin"

// match is a list of nftables expressions that together test one thing.
type match []expr.Any

func ifname(key expr.MetaKey, name string) match {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return match{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b}}
}

func iif(name string) match { return ifname(expr.MetaKeyIIFNAME, name) }
func oif(name string) match { return ifname(expr.MetaKeyOIFNAME, name) }

// addr tests the source (src) or destination address against a prefix.
func addr(src bool, p netip.Prefix) match {
	off := uint32(16)
	if src {
		off = 12
	}
	p = p.Masked()
	if p.Bits() == 0 {
		return nil
	}
	mask := make([]byte, 4)
	binary.BigEndian.PutUint32(mask, ^uint32(0)<<(32-p.Bits()))
	a := p.Addr().As4()
	return match{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a[:]},
	}
}

// proto tests the layer-4 protocol and, for TCP and UDP, the destination
// port range. "-1" matches everything; a protocol it cannot read matches
// nothing (the caller leaves that rule out).
func proto(p string, from, to int) match {
	var n byte
	switch p {
	case "-1":
		return match{}
	case "tcp":
		n = unix.IPPROTO_TCP
	case "udp":
		n = unix.IPPROTO_UDP
	case "icmp":
		n = unix.IPPROTO_ICMP
	default:
		var x int
		if _, err := fmt.Sscan(p, &x); err != nil || x < 0 || x > 255 {
			return nil
		}
		n = byte(x)
	}
	m := match{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{n}}}
	if (n == unix.IPPROTO_TCP || n == unix.IPPROTO_UDP) && from >= 0 && !(from <= 0 && to >= 65535) {
		lo, hi := make([]byte, 2), make([]byte, 2)
		binary.BigEndian.PutUint16(lo, uint16(from))
		binary.BigEndian.PutUint16(hi, uint16(to))
		m = append(m, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: lo, ToData: hi})
	}
	return m
}

func established() match {
	mask := make([]byte, 4)
	binary.NativeEndian.PutUint32(mask, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED)
	return match{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

func verdict(kind expr.VerdictKind) match { return match{&expr.Verdict{Kind: kind}} }
func jump(chain string) match             { return match{&expr.Verdict{Kind: expr.VerdictJump, Chain: chain}} }

func rule(parts ...match) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ruleset is a table's chains and rules as data, applied in one batch.
type ruleset struct {
	chains []*chainSpec
}

type chainSpec struct {
	name   string
	hook   *nftables.ChainHook // nil: a regular chain, reached by jumps
	policy nftables.ChainPolicy
	rules  [][]expr.Any
}

func (r *ruleset) chain(name string, hook *nftables.ChainHook, policy nftables.ChainPolicy) *chainSpec {
	c := &chainSpec{name: name, hook: hook, policy: policy}
	r.chains = append(r.chains, c)
	return c
}

func (c *chainSpec) add(parts ...match) { c.rules = append(c.rules, rule(parts...)) }

// apply writes the ruleset into the namespace whose handle is fd.
func (r *ruleset) apply(fd int) error {
	conn, err := nftables.New(nftables.WithNetNSFd(fd))
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	t := conn.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: fwTable})
	chains := map[string]*nftables.Chain{}
	// Regular chains first, so that jumps to them resolve.
	for _, regular := range []bool{true, false} {
		for _, c := range r.chains {
			if (c.hook == nil) != regular {
				continue
			}
			ch := &nftables.Chain{Name: c.name, Table: t}
			if c.hook != nil {
				pol := c.policy
				ch.Hooknum, ch.Priority, ch.Type, ch.Policy = c.hook, nftables.ChainPriorityFilter, nftables.ChainTypeFilter, &pol
			}
			chains[c.name] = conn.AddChain(ch)
		}
	}
	for _, c := range r.chains {
		for _, exprs := range c.rules {
			conn.AddRule(&nftables.Rule{Table: t, Chain: chains[c.name], Exprs: exprs})
		}
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	return nil
}

// eniFirewall is an ENI's security groups: default deny both ways,
// established traffic back, one accept per rule and peer. Traffic to the
// VPC's DNS resolver and to the metadata service (on lo) is not subject to
// security groups in AWS either.
func eniFirewall(e *ENI, resolver netip.Addr) *ruleset {
	r := &ruleset{}
	in := r.chain("sg-in", nftables.ChainHookInput, nftables.ChainPolicyDrop)
	out := r.chain("sg-out", nftables.ChainHookOutput, nftables.ChainPolicyDrop)
	in.add(iif("lo"), verdict(expr.VerdictAccept))
	out.add(oif("lo"), verdict(expr.VerdictAccept))
	in.add(established(), verdict(expr.VerdictAccept))
	out.add(established(), verdict(expr.VerdictAccept))
	if resolver.IsValid() {
		dns := netip.PrefixFrom(resolver, 32)
		out.add(addr(false, dns), proto("udp", 53, 53), verdict(expr.VerdictAccept))
		out.add(addr(false, dns), proto("tcp", 53, 53), verdict(expr.VerdictAccept))
	}
	for _, fr := range e.Ingress {
		if pm := proto(fr.Proto, fr.From, fr.To); pm != nil {
			for _, p := range fr.Peers {
				in.add(addr(true, p), pm, verdict(expr.VerdictAccept))
			}
		}
	}
	for _, fr := range e.Egress {
		if pm := proto(fr.Proto, fr.From, fr.To); pm != nil {
			for _, p := range fr.Peers {
				out.add(addr(false, p), pm, verdict(expr.VerdictAccept))
			}
		}
	}
	return r
}

// routerFirewall is a VPC router's: its own addresses (gateways, resolver)
// answer only the VPC's ENIs; and each subnet's NACL, stateless, applies to
// traffic leaving the subnet (egress rules) and entering it (ingress rules),
// first matching rule number wins, anything unmatched is denied. Traffic
// between two ENIs of one subnet does not cross its NACL.
func routerFirewall(v *VPCSpec, enis []*ENI) *ruleset {
	r := &ruleset{}
	in := r.chain("router-in", nftables.ChainHookInput, nftables.ChainPolicyDrop)
	in.add(iif("lo"), verdict(expr.VerdictAccept))
	in.add(established(), verdict(expr.VerdictAccept))
	for _, e := range enis {
		if e.VPC == v.ID {
			in.add(iif(e.Link), verdict(expr.VerdictAccept))
		}
	}
	fwd := r.chain("nacl", nftables.ChainHookForward, nftables.ChainPolicyAccept)
	for i, n := range v.NACLs {
		for j, s := range n.Subnets {
			outName, inName := fmt.Sprintf("nacl%d-s%d-out", i, j), fmt.Sprintf("nacl%d-s%d-in", i, j)
			outC := r.chain(outName, nil, 0)
			inC := r.chain(inName, nil, 0)
			for _, l := range s.Links {
				outC.add(oif(l), verdict(expr.VerdictReturn)) // within the subnet
				inC.add(iif(l), verdict(expr.VerdictReturn))
			}
			naclRules(outC, n.Rules, true)
			naclRules(inC, n.Rules, false)
			for _, l := range s.Links {
				fwd.add(iif(l), jump(outName))
				fwd.add(oif(l), jump(inName))
			}
		}
	}
	return r
}

// naclRules adds a NACL's rules of one direction in rule-number order: an
// allow returns to the caller (the packet goes on), a deny drops, and the
// final catch-all (AWS's rule *) drops.
func naclRules(c *chainSpec, rules []verify.NACLRule, egress bool) {
	for _, nr := range rules {
		if nr.Egress != egress || !nr.CIDR.IsValid() || !nr.CIDR.Addr().Is4() {
			continue
		}
		pm := proto(nr.Proto, nr.From, nr.To)
		if pm == nil {
			continue
		}
		v := verdict(expr.VerdictDrop)
		if nr.Allow {
			v = verdict(expr.VerdictReturn)
		}
		c.add(addr(!egress, nr.CIDR), pm, v)
	}
	c.add(verdict(expr.VerdictDrop))
}
