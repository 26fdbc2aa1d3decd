package resolver

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/internal-alb/internal-alb/verify"
)

// addLoadBalancers adds every load balancer's DNS name (and its dualstack.
// form). AWS publishes these names in public DNS, internal schemes
// included, so every VPC with DNS support resolves them, whichever VPC the
// load balancer is in.
func (v *View) addLoadBalancers() {
	for _, lb := range v.m.LoadBalancers() {
		name := normalise(lb.DNSName)
		if name == "" {
			continue
		}
		nodes := v.lbNodes[lb.ID]
		v.fixed[name] = nodes
		v.fixed["dualstack."+name] = nodes
	}
}

// addEndpoints adds the service names of the interface endpoints of this
// VPC that have private DNS on: com.amazonaws.<region>.<svc> answers
// <svc>.<region>.amazonaws.com with the endpoint's ENI addresses. A
// service of several labels reads backwards, as AWS names them
// (com.amazonaws.<region>.ecr.api → api.ecr.<region>.amazonaws.com).
//
// Like the verifier's P3 DNS hop, the endpoint's private DNS needs the
// VPC's DNS hostnames on as well as DNS support.
func (v *View) addEndpoints(vpc *verify.VPC, enis map[string][]netip.Addr) {
	if !vpc.DNSHostnames {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(v.m.Vpces)) {
		e := v.m.Vpces[id]
		if e.VPC != vpc.ID || !e.PrivateDNS || !strings.EqualFold(e.Type, "Interface") {
			continue
		}
		if name, ok := serviceName(e.Service); ok {
			v.fixed[name] = ipv4(enis[e.ID])
		}
	}
}

// serviceName maps an endpoint service name to the API host name it
// stands for, when the service is an AWS one.
func serviceName(service string) (string, bool) {
	parts := strings.Split(normalise(service), ".")
	if len(parts) < 4 || parts[0] != "com" || parts[1] != "amazonaws" {
		return "", false
	}
	svc := slices.Clone(parts[3:])
	slices.Reverse(svc)
	return strings.Join(svc, ".") + "." + parts[2] + ".amazonaws.com", true
}

// addHostnames adds the EC2 private DNS hostname (see [Hostname]) of every
// instance in the model, this VPC's and the others': the name encodes the
// address, so the twin gives every VPC the same answer for it. Only a VPC
// with DNS hostnames on gets them.
func (v *View) addHostnames(vpc *verify.VPC) {
	if !vpc.DNSHostnames || v.m.Region == "" {
		return
	}
	for _, in := range v.m.Instances() {
		if !in.PrivateIP.Is4() {
			continue
		}
		v.fixed[Hostname(in.PrivateIP, v.m.Region)] = []netip.Addr{in.PrivateIP}
	}
}

// Hostname returns the EC2 private DNS hostname of an IPv4 address in a
// region: ip-a-b-c-d.<region>.compute.internal, or ip-a-b-c-d.ec2.internal
// in us-east-1.
func Hostname(a netip.Addr, region string) string {
	b := a.As4()
	host := fmt.Sprintf("ip-%d-%d-%d-%d", b[0], b[1], b[2], b[3])
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// ipv4 keeps the IPv4 addresses of l (IPv4-mapped ones unmapped), in order,
// in a slice of its own.
func ipv4(l []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range l {
		if a = a.Unmap(); a.Is4() {
			out = append(out, a)
		}
	}
	return out
}

// parseIPv4 parses a record's values, keeping the IPv4 addresses.
func parseIPv4(values []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range values {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			out = append(out, a)
		}
	}
	return ipv4(out)
}
