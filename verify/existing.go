package verify

import (
	"github.com/internal-alb/internal-alb/internal/graph"
)

// ExistingVpcType is the token of the component that records a VPC the
// stack connects but does not own. Its outputs (and inputs) are what the
// program looked up: {vpcId, cidr, account, enableDnsSupport,
// enableDnsHostnames, subnets: [{id, cidr, availabilityZone,
// routeTableId}]}, the subnets being the ones the stack connects.
const ExistingVpcType = "internal-alb:network:ExistingVpc"

// addExistingVpc models an existing VPC from its component's look-ups: the
// VPC, the subnets the stack connects, each with its route table (whose
// routes the graph knows only in part: the local ones, and those the stack
// adds as aws:ec2/route resources). Its network ACLs are not in the graph.
func (m *Model) addExistingVpc(r *graph.Resource) {
	out := func(k string) any { return prop(r, k) }
	id := asString(out("vpcId"))
	if id == "" {
		m.note("existing VPC %s: what the program looked up (the component's outputs or inputs) is not in the graph, so nothing of it is modelled", r.Name)
		return
	}
	if m.VPCs[id] != nil {
		m.note("existing VPC %s: %s is also a VPC the stack creates; the created one is modelled", r.Name, id)
		return
	}
	v := &VPC{ID: id, Name: r.Name, Res: r, Existing: true, Account: firstNonEmpty(asString(out("account")), m.Account),
		DNSSupport: boolOr(out("enableDnsSupport"), false), DNSHostnames: boolOr(out("enableDnsHostnames"), false)}
	if p, ok := parsePrefix(asString(out("cidr"))); ok {
		v.CIDRs = append(v.CIDRs, p)
	} else {
		m.note("existing VPC %s: cidr %q is not a CIDR", r.Name, asString(out("cidr")))
	}
	m.VPCs[id] = v
	m.vpcList = append(m.vpcList, v)
	n := 0
	for _, e := range asList(out("subnets")) {
		em := asMap(e)
		sid := asString(em["id"])
		if sid == "" {
			continue
		}
		s := &Subnet{ID: sid, Name: r.Name + "/" + sid, VPC: id, AZ: asString(em["availabilityZone"]), Existing: true, Res: r}
		s.CIDR, _ = parsePrefix(asString(em["cidr"]))
		m.Subnets[sid] = s
		n++
		if rt := asString(em["routeTableId"]); rt != "" {
			m.existingRT[sid] = rt
		} else {
			m.note("existing VPC %s: subnet %s has no route table", r.Name, sid)
		}
	}
	if n == 0 {
		m.note("existing VPC %s: no subnet to connect in its look-ups", r.Name)
	}
	m.note("existing VPC %s (%s): its network ACLs are not in the graph and are taken to admit the paths' traffic, as AWS's default NACL does (an assumption, not a proof); of its route tables' routes only the local ones and the stack's are known", r.Name, id)
}

// addExistingRouteTables models the route tables of existing VPCs' subnets
// (before the stack's routes are read onto them).
func (m *Model) addExistingRouteTables() {
	for _, sid := range sortedKeys(m.existingRT) {
		id := m.existingRT[sid]
		s := m.Subnets[sid]
		if m.RTs[id] != nil {
			continue
		}
		m.RTs[id] = &RouteTable{ID: id, Name: m.vpcName(s.VPC) + "/" + id, VPC: s.VPC, Existing: true}
	}
}
