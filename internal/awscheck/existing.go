package awscheck

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Snapshot is what an existing VPC is made of, read through the EC2 API: a
// stack that connects the VPC may add to it while it is up (routes, its own
// groups and endpoints), and must leave it as it found it once destroyed.
// Two snapshots compare with Diff.
type Snapshot struct {
	Vpc              VpcFacts
	Subnets          []SubnetFacts        // by id
	RouteTables      []RouteTableFacts    // by id
	NetworkAcls      []NetworkAclFacts    // by id
	SecurityGroups   []SecurityGroupFacts // by id
	InternetGateways []InternetGatewayFacts
}

// VpcFacts are the VPC's own attributes.
type VpcFacts struct {
	ID, Cidr string
	// Cidrs are the blocks associated with it (the primary one too).
	Cidrs                             []string
	Owner                             string
	DNSSupport, DNSHostnames, Default bool
	Tags                              map[string]string
}

// SubnetFacts are one subnet's.
type SubnetFacts struct {
	ID, Cidr, AvailabilityZone string
	MapPublicIP                bool
	Tags                       map[string]string
}

// RouteTableFacts are one route table's: whether it is the VPC's main one,
// what it is associated with (subnet and gateway ids), and its routes.
type RouteTableFacts struct {
	ID           string
	Main         bool
	Associations []string // sorted
	Routes       []Route  // by destination, then target
	Tags         map[string]string
}

// Route is one route of a table.
type Route struct {
	// Destination is a CIDR block (IPv4 or IPv6) or a prefix list id.
	Destination string
	// Target is the id of what the route sends to: "local", igw-…, pcx-…,
	// tgw-…, nat-…, eni-…, ….
	Target string
	State  string // active or blackhole
}

func (r Route) String() string {
	return fmt.Sprintf("%s → %s (%s)", r.Destination, r.Target, r.State)
}

// NetworkAclFacts are one network ACL's.
type NetworkAclFacts struct {
	ID           string
	Default      bool
	Associations []string // subnet ids, sorted
	Entries      []string // one line each, sorted
	Tags         map[string]string
}

// SecurityGroupFacts are one security group's, with its rules.
type SecurityGroupFacts struct {
	ID, Name, Description string
	Rules                 []string // one line per rule and peer, sorted
	Tags                  map[string]string
}

// InternetGatewayFacts are an internet gateway attached to the VPC.
type InternetGatewayFacts struct {
	ID    string
	State string // of its attachment to the VPC
	Tags  map[string]string
}

// SnapshotVpc reads what the VPC vpcID is made of.
func (c *Clients) SnapshotVpc(ctx context.Context, vpcID string) (Snapshot, error) {
	var s Snapshot
	vpcs, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe VPC: %w", vpcID, err)
	}
	if len(vpcs.Vpcs) != 1 {
		return s, fmt.Errorf("snapshot of %s: %d VPCs found", vpcID, len(vpcs.Vpcs))
	}
	v := vpcs.Vpcs[0]
	s.Vpc = VpcFacts{
		ID: vpcID, Cidr: aws.ToString(v.CidrBlock), Owner: aws.ToString(v.OwnerId),
		Default: aws.ToBool(v.IsDefault), Tags: ec2Tags(v.Tags),
	}
	for _, a := range v.CidrBlockAssociationSet {
		if a.CidrBlockState == nil || a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
			s.Vpc.Cidrs = append(s.Vpc.Cidrs, aws.ToString(a.CidrBlock))
		}
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
			s.Vpc.Cidrs = append(s.Vpc.Cidrs, aws.ToString(a.Ipv6CidrBlock))
		}
	}
	slices.Sort(s.Vpc.Cidrs)
	for attr, dst := range map[ec2types.VpcAttributeName]*bool{
		ec2types.VpcAttributeNameEnableDnsSupport:   &s.Vpc.DNSSupport,
		ec2types.VpcAttributeNameEnableDnsHostnames: &s.Vpc.DNSHostnames,
	} {
		out, err := c.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
		if err != nil {
			return s, fmt.Errorf("snapshot of %s: describe attribute %s: %w", vpcID, attr, err)
		}
		if out.EnableDnsSupport != nil {
			*dst = aws.ToBool(out.EnableDnsSupport.Value)
		}
		if out.EnableDnsHostnames != nil {
			*dst = aws.ToBool(out.EnableDnsHostnames.Value)
		}
	}

	inVpc := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}
	subnets, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: inVpc})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe subnets: %w", vpcID, err)
	}
	for _, sn := range subnets.Subnets {
		s.Subnets = append(s.Subnets, SubnetFacts{
			ID: aws.ToString(sn.SubnetId), Cidr: aws.ToString(sn.CidrBlock),
			AvailabilityZone: aws.ToString(sn.AvailabilityZone), MapPublicIP: aws.ToBool(sn.MapPublicIpOnLaunch),
			Tags: ec2Tags(sn.Tags),
		})
	}

	rts, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: inVpc})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe route tables: %w", vpcID, err)
	}
	for _, rt := range rts.RouteTables {
		s.RouteTables = append(s.RouteTables, routeTableFacts(rt))
	}

	acls, err := c.EC2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: inVpc})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe network ACLs: %w", vpcID, err)
	}
	for _, a := range acls.NetworkAcls {
		f := NetworkAclFacts{ID: aws.ToString(a.NetworkAclId), Default: aws.ToBool(a.IsDefault), Tags: ec2Tags(a.Tags)}
		for _, as := range a.Associations {
			f.Associations = append(f.Associations, aws.ToString(as.SubnetId))
		}
		for _, e := range a.Entries {
			f.Entries = append(f.Entries, aclEntry(e))
		}
		slices.Sort(f.Associations)
		slices.Sort(f.Entries)
		s.NetworkAcls = append(s.NetworkAcls, f)
	}

	sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: inVpc})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe security groups: %w", vpcID, err)
	}
	for _, g := range sgs.SecurityGroups {
		f := SecurityGroupFacts{
			ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName),
			Description: aws.ToString(g.Description), Tags: ec2Tags(g.Tags),
		}
		f.Rules = append(permissionLines("ingress", g.IpPermissions), permissionLines("egress", g.IpPermissionsEgress)...)
		slices.Sort(f.Rules)
		s.SecurityGroups = append(s.SecurityGroups, f)
	}

	igws, err := c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{
		{Name: aws.String("attachment.vpc-id"), Values: []string{vpcID}},
	}})
	if err != nil {
		return s, fmt.Errorf("snapshot of %s: describe internet gateways: %w", vpcID, err)
	}
	for _, g := range igws.InternetGateways {
		f := InternetGatewayFacts{ID: aws.ToString(g.InternetGatewayId), Tags: ec2Tags(g.Tags)}
		for _, a := range g.Attachments {
			if aws.ToString(a.VpcId) == vpcID {
				f.State = string(a.State)
			}
		}
		s.InternetGateways = append(s.InternetGateways, f)
	}
	s.sort()
	return s, nil
}

// routeTableFacts reads one route table.
func routeTableFacts(rt ec2types.RouteTable) RouteTableFacts {
	f := RouteTableFacts{ID: aws.ToString(rt.RouteTableId), Tags: ec2Tags(rt.Tags)}
	for _, a := range rt.Associations {
		if a.AssociationState != nil && a.AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociated {
			continue
		}
		if aws.ToBool(a.Main) {
			f.Main = true
			continue
		}
		if id := aws.ToString(a.SubnetId) + aws.ToString(a.GatewayId); id != "" {
			f.Associations = append(f.Associations, id)
		}
	}
	for _, r := range rt.Routes {
		f.Routes = append(f.Routes, Route{Destination: routeDestination(r), Target: routeTarget(r), State: string(r.State)})
	}
	slices.Sort(f.Associations)
	sort.Slice(f.Routes, func(i, j int) bool {
		a, b := f.Routes[i], f.Routes[j]
		if a.Destination != b.Destination {
			return a.Destination < b.Destination
		}
		return a.Target < b.Target
	})
	return f
}

// routeDestination is what a route matches.
func routeDestination(r ec2types.Route) string {
	for _, d := range []*string{r.DestinationCidrBlock, r.DestinationIpv6CidrBlock, r.DestinationPrefixListId} {
		if aws.ToString(d) != "" {
			return aws.ToString(d)
		}
	}
	return "?"
}

// routeTarget is the id of what a route sends to.
func routeTarget(r ec2types.Route) string {
	for _, t := range []*string{
		r.VpcPeeringConnectionId, r.TransitGatewayId, r.NatGatewayId, r.GatewayId,
		r.EgressOnlyInternetGatewayId, r.NetworkInterfaceId, r.InstanceId,
		r.LocalGatewayId, r.CarrierGatewayId, r.CoreNetworkArn,
	} {
		if aws.ToString(t) != "" {
			return aws.ToString(t)
		}
	}
	return "?"
}

// aclEntry is one network ACL entry as a line: direction, number, action,
// protocol, block and ports.
func aclEntry(e ec2types.NetworkAclEntry) string {
	dir := "ingress"
	if aws.ToBool(e.Egress) {
		dir = "egress"
	}
	block := aws.ToString(e.CidrBlock) + aws.ToString(e.Ipv6CidrBlock)
	s := fmt.Sprintf("%s %d %s proto %s %s", dir, aws.ToInt32(e.RuleNumber), e.RuleAction, aws.ToString(e.Protocol), block)
	if p := e.PortRange; p != nil {
		s += fmt.Sprintf(" ports %d-%d", aws.ToInt32(p.From), aws.ToInt32(p.To))
	}
	if t := e.IcmpTypeCode; t != nil {
		s += fmt.Sprintf(" icmp %d/%d", aws.ToInt32(t.Type), aws.ToInt32(t.Code))
	}
	return s
}

// permissionLines are a group's permissions in one direction, one line per
// peer: "ingress tcp 443-443 10.1.0.0/16".
func permissionLines(dir string, perms []ec2types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		head := fmt.Sprintf("%s %s", dir, aws.ToString(p.IpProtocol))
		if p.FromPort != nil || p.ToPort != nil {
			head += fmt.Sprintf(" %d-%d", aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
		}
		for _, r := range p.IpRanges {
			out = append(out, head+" "+aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, head+" "+aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.PrefixListIds {
			out = append(out, head+" "+aws.ToString(r.PrefixListId))
		}
		for _, g := range p.UserIdGroupPairs {
			peer := aws.ToString(g.GroupId)
			if u := aws.ToString(g.UserId); u != "" {
				peer = u + "/" + peer
			}
			out = append(out, head+" "+peer)
		}
	}
	return out
}

// sort orders every list by id, so that equal VPCs give equal snapshots.
func (s *Snapshot) sort() {
	sort.Slice(s.Subnets, func(i, j int) bool { return s.Subnets[i].ID < s.Subnets[j].ID })
	sort.Slice(s.RouteTables, func(i, j int) bool { return s.RouteTables[i].ID < s.RouteTables[j].ID })
	sort.Slice(s.NetworkAcls, func(i, j int) bool { return s.NetworkAcls[i].ID < s.NetworkAcls[j].ID })
	sort.Slice(s.SecurityGroups, func(i, j int) bool { return s.SecurityGroups[i].ID < s.SecurityGroups[j].ID })
	sort.Slice(s.InternetGateways, func(i, j int) bool { return s.InternetGateways[i].ID < s.InternetGateways[j].ID })
}

// IDs are the ids of everything the snapshot saw: the VPC, its subnets,
// route tables, network ACLs, security groups and internet gateways (what
// LeftoversIn should keep).
func (s Snapshot) IDs() []string {
	ids := []string{s.Vpc.ID}
	for _, x := range s.Subnets {
		ids = append(ids, x.ID)
	}
	for _, x := range s.RouteTables {
		ids = append(ids, x.ID)
	}
	for _, x := range s.NetworkAcls {
		ids = append(ids, x.ID)
	}
	for _, x := range s.SecurityGroups {
		ids = append(ids, x.ID)
	}
	for _, x := range s.InternetGateways {
		ids = append(ids, x.ID)
	}
	return ids
}

// RoutesTo returns, by route table id, the route of each table whose
// destination is dest (tables without one are left out).
func (s Snapshot) RoutesTo(dest string) map[string]Route {
	out := map[string]Route{}
	for _, rt := range s.RouteTables {
		for _, r := range rt.Routes {
			if r.Destination == dest {
				out[rt.ID] = r
			}
		}
	}
	return out
}

// Lines is the snapshot as sorted lines, one fact each, every line naming
// the resource it is about: what Diff compares.
func (s Snapshot) Lines() []string {
	var out []string
	add := func(kind, id, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s %s: ", kind, id)+fmt.Sprintf(format, args...))
	}
	tags := func(kind, id string, t map[string]string) {
		for k, v := range t {
			add(kind, id, "tag %s=%s", k, v)
		}
	}
	v := s.Vpc
	add("vpc", v.ID, "cidr %s", v.Cidr)
	for _, c := range v.Cidrs {
		add("vpc", v.ID, "associated block %s", c)
	}
	add("vpc", v.ID, "owner %s", v.Owner)
	add("vpc", v.ID, "default %v", v.Default)
	add("vpc", v.ID, "DNS support %v", v.DNSSupport)
	add("vpc", v.ID, "DNS hostnames %v", v.DNSHostnames)
	tags("vpc", v.ID, v.Tags)
	for _, sn := range s.Subnets {
		add("subnet", sn.ID, "cidr %s in %s", sn.Cidr, sn.AvailabilityZone)
		add("subnet", sn.ID, "map public IP on launch %v", sn.MapPublicIP)
		tags("subnet", sn.ID, sn.Tags)
	}
	for _, rt := range s.RouteTables {
		add("route-table", rt.ID, "main %v", rt.Main)
		for _, a := range rt.Associations {
			add("route-table", rt.ID, "associated with %s", a)
		}
		for _, r := range rt.Routes {
			add("route-table", rt.ID, "route %s", r)
		}
		tags("route-table", rt.ID, rt.Tags)
	}
	for _, a := range s.NetworkAcls {
		add("network-acl", a.ID, "default %v", a.Default)
		for _, as := range a.Associations {
			add("network-acl", a.ID, "associated with %s", as)
		}
		for _, e := range a.Entries {
			add("network-acl", a.ID, "entry %s", e)
		}
		tags("network-acl", a.ID, a.Tags)
	}
	for _, g := range s.SecurityGroups {
		add("security-group", g.ID, "name %q, description %q", g.Name, g.Description)
		for _, r := range g.Rules {
			add("security-group", g.ID, "rule %s", r)
		}
		tags("security-group", g.ID, g.Tags)
	}
	for _, g := range s.InternetGateways {
		add("internet-gateway", g.ID, "attached (%s)", g.State)
		tags("internet-gateway", g.ID, g.Tags)
	}
	slices.Sort(out)
	return out
}

// Diff lists how b differs from a, one readable line per fact, sorted by
// resource: "- " for a fact of a that b has not, "+ " for a fact of b that a
// had not. Equal snapshots give none.
func Diff(a, b Snapshot) []string {
	before, after := a.Lines(), b.Lines()
	var out []string
	for _, l := range before {
		if _, found := slices.BinarySearch(after, l); !found {
			out = append(out, "- "+l)
		}
	}
	for _, l := range after {
		if _, found := slices.BinarySearch(before, l); !found {
			out = append(out, "+ "+l)
		}
	}
	// By resource, then fact, a removed fact before the one that replaced it.
	sort.SliceStable(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return out
}

// String is the snapshot's lines, one a line.
func (s Snapshot) String() string { return strings.Join(s.Lines(), "\n") }
