// Package ipam lays out a VPC's IPv4 block into subnets.
//
// Private subnets take the lower half of the VPC block and public subnets the
// upper half; the first block of each half is left free. With 10.2.0.0/16 and
// /24 subnets in two AZs that gives private 10.2.1.0/24 and 10.2.2.0/24 (where
// the field note's ALB nodes sat) and public 10.2.129.0/24 and 10.2.130.0/24.
// Adding an AZ appends a subnet to each half and never renumbers the others.
package ipam

import (
	"fmt"
	"net/netip"
)

// Layout is the subnets of one VPC, index i in AZ i.
type Layout struct {
	Private []netip.Prefix
	Public  []netip.Prefix
}

// ParseIPv4Cidr parses an IPv4 block in canonical form ("10.2.0.0/16"):
// host bits set are an error, since they usually mean a typo.
func ParseIPv4Cidr(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a CIDR block")
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("not an IPv4 CIDR block")
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("host bits set (did you mean %s?)", p.Masked())
	}
	return p, nil
}

// Split returns the layout of azCount private and azCount public subnets of
// prefix length bits inside vpc, or an error when they do not fit.
func Split(vpc netip.Prefix, bits, azCount int) (Layout, error) {
	newBits := bits - vpc.Bits()
	if newBits < 2 || bits > 28 {
		return Layout{}, fmt.Errorf("subnets of %s must be /%d to /28", vpc, vpc.Bits()+2)
	}
	half := 1 << (newBits - 1) // blocks per half
	if azCount > half-1 {
		return Layout{}, fmt.Errorf("at most %d private and %d public /%d subnets fit in %s", half-1, half-1, bits, vpc)
	}
	var l Layout
	for i := 0; i < azCount; i++ {
		l.Private = append(l.Private, nth(vpc, bits, 1+i))
		l.Public = append(l.Public, nth(vpc, bits, half+1+i))
	}
	return l, nil
}

// nth is the n-th block of size bits inside vpc.
func nth(vpc netip.Prefix, bits, n int) netip.Prefix {
	base := vpc.Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(n) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

// AdminPrefixLimit is the broadest public block that adminCidrs may hold
// without allowSshFromAnywhere. A /16, a whole former class B, is already
// more than one organisation's egress range; anything broader takes in other
// people's networks (0.0.0.0/1 and 128.0.0.0/1 together are the internet).
const AdminPrefixLimit = 16

// privateBlocks are the RFC 1918 ranges: reached over a VPN or Direct
// Connect, never from the internet.
var privateBlocks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// IsPrivate reports whether all of p lies in one RFC 1918 range.
func IsPrivate(p netip.Prefix) bool {
	for _, b := range privateBlocks {
		if b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
