package awscheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// existingVpc is a snapshot of a small VPC as a consumer account has it
// before any stack: one private subnet on the main table, one public one.
func existingVpc() Snapshot {
	return Snapshot{
		Vpc: VpcFacts{ID: "vpc-1", Cidr: "10.9.0.0/16", Cidrs: []string{"10.9.0.0/16"}, Owner: "111111111111",
			DNSSupport: true, DNSHostnames: true, Tags: map[string]string{"Name": "work"}},
		Subnets: []SubnetFacts{
			{ID: "subnet-a", Cidr: "10.9.1.0/24", AvailabilityZone: "us-east-1a"},
			{ID: "subnet-b", Cidr: "10.9.2.0/24", AvailabilityZone: "us-east-1b", MapPublicIP: true},
		},
		RouteTables: []RouteTableFacts{
			{ID: "rtb-main", Main: true, Routes: []Route{{"10.9.0.0/16", "local", "active"}}},
			{ID: "rtb-pub", Associations: []string{"subnet-b"}, Routes: []Route{
				{"0.0.0.0/0", "igw-1", "active"}, {"10.9.0.0/16", "local", "active"},
			}},
		},
		NetworkAcls: []NetworkAclFacts{{ID: "acl-1", Default: true, Associations: []string{"subnet-a", "subnet-b"},
			Entries: []string{"egress 100 allow proto -1 0.0.0.0/0", "ingress 100 allow proto -1 0.0.0.0/0"}}},
		SecurityGroups: []SecurityGroupFacts{{ID: "sg-1", Name: "default", Description: "default VPC security group",
			Rules: []string{"egress -1 0.0.0.0/0", "ingress -1 sg-1"}}},
		InternetGateways: []InternetGatewayFacts{{ID: "igw-1", State: "available"}},
	}
}

func TestDiffOfEqualSnapshotsIsEmpty(t *testing.T) {
	if d := Diff(existingVpc(), existingVpc()); len(d) != 0 {
		t.Fatalf("equal snapshots differ: %v", d)
	}
}

// Each change a stack could leave behind in an existing VPC shows as its
// own line, naming the resource.
func TestDiffNamesEachChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Snapshot)
		want   []string
	}{
		{"a route left in the main table", func(s *Snapshot) {
			s.RouteTables[0].Routes = append(s.RouteTables[0].Routes, Route{"10.0.0.0/16", "pcx-1", "blackhole"})
		}, []string{"+ route-table rtb-main: route 10.0.0.0/16 → pcx-1 (blackhole)"}},
		{"a route removed", func(s *Snapshot) {
			s.RouteTables[1].Routes = s.RouteTables[1].Routes[1:]
		}, []string{"- route-table rtb-pub: route 0.0.0.0/0 → igw-1 (active)"}},
		{"a route retargeted", func(s *Snapshot) {
			s.RouteTables[1].Routes[0].Target = "nat-1"
		}, []string{
			"+ route-table rtb-pub: route 0.0.0.0/0 → nat-1 (active)",
			"- route-table rtb-pub: route 0.0.0.0/0 → igw-1 (active)",
		}},
		{"DNS hostnames turned off", func(s *Snapshot) { s.Vpc.DNSHostnames = false }, []string{
			"+ vpc vpc-1: DNS hostnames false",
			"- vpc vpc-1: DNS hostnames true",
		}},
		{"a tag added to a subnet", func(s *Snapshot) { s.Subnets[0].Tags = map[string]string{"Tier": "private"} },
			[]string{"+ subnet subnet-a: tag Tier=private"}},
		{"a group left behind", func(s *Snapshot) {
			s.SecurityGroups = append(s.SecurityGroups, SecurityGroupFacts{ID: "sg-2", Name: "endpoint", Description: "x"})
		}, []string{`+ security-group sg-2: name "endpoint", description "x"`}},
		{"a rule added to the default group", func(s *Snapshot) {
			s.SecurityGroups[0].Rules = append(s.SecurityGroups[0].Rules, "ingress tcp 443-443 10.0.0.0/16")
		}, []string{"+ security-group sg-1: rule ingress tcp 443-443 10.0.0.0/16"}},
		{"a subnet moved to another table", func(s *Snapshot) {
			s.RouteTables[1].Associations = append(s.RouteTables[1].Associations, "subnet-a")
		}, []string{"+ route-table rtb-pub: associated with subnet-a"}},
		{"a network ACL entry added", func(s *Snapshot) {
			s.NetworkAcls[0].Entries = append(s.NetworkAcls[0].Entries, "ingress 90 deny proto 6 0.0.0.0/0 ports 22-22")
		}, []string{"+ network-acl acl-1: entry ingress 90 deny proto 6 0.0.0.0/0 ports 22-22"}},
		{"the internet gateway detached", func(s *Snapshot) { s.InternetGateways = nil },
			[]string{"- internet-gateway igw-1: attached (available)"}},
		{"a subnet deleted", func(s *Snapshot) { s.Subnets = s.Subnets[:1] }, []string{
			"- subnet subnet-b: cidr 10.9.2.0/24 in us-east-1b",
			"- subnet subnet-b: map public IP on launch true",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := existingVpc()
			tc.change(&after)
			got := Diff(existingVpc(), after)
			want := slices.Clone(tc.want)
			slices.SortStableFunc(want, func(a, b string) int { return strings.Compare(a[2:], b[2:]) })
			if !slices.Equal(got, want) {
				t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestRouteTableFactsSortsRoutesAndReadsAssociations(t *testing.T) {
	rt := ec2types.RouteTable{
		RouteTableId: aws.String("rtb-1"),
		Associations: []ec2types.RouteTableAssociation{
			{Main: aws.Bool(true)},
			{SubnetId: aws.String("subnet-2")},
			{SubnetId: aws.String("subnet-1")},
			{SubnetId: aws.String("subnet-3"), AssociationState: &ec2types.RouteTableAssociationState{State: ec2types.RouteTableAssociationStateCodeDisassociated}},
		},
		Routes: []ec2types.Route{
			{DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String("pcx-1"), State: ec2types.RouteStateActive},
			{DestinationCidrBlock: aws.String("10.9.0.0/16"), GatewayId: aws.String("local"), State: ec2types.RouteStateActive},
			{DestinationPrefixListId: aws.String("pl-1"), GatewayId: aws.String("vpce-1"), State: ec2types.RouteStateActive},
			{DestinationCidrBlock: aws.String("0.0.0.0/0"), TransitGatewayId: aws.String("tgw-1"), State: ec2types.RouteStateBlackhole},
		},
	}
	f := routeTableFacts(rt)
	if !f.Main || !slices.Equal(f.Associations, []string{"subnet-1", "subnet-2"}) {
		t.Errorf("main %v, associations %v; want main, [subnet-1 subnet-2]", f.Main, f.Associations)
	}
	var got []string
	for _, r := range f.Routes {
		got = append(got, r.String())
	}
	want := []string{
		"0.0.0.0/0 → tgw-1 (blackhole)", "10.0.0.0/16 → pcx-1 (active)",
		"10.9.0.0/16 → local (active)", "pl-1 → vpce-1 (active)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}

func TestRoutesToAndIDs(t *testing.T) {
	s := existingVpc()
	s.RouteTables[0].Routes = append(s.RouteTables[0].Routes, Route{"10.0.0.0/16", "pcx-1", "active"})
	got := s.RoutesTo("10.0.0.0/16")
	if len(got) != 1 || got["rtb-main"].Target != "pcx-1" {
		t.Errorf("RoutesTo = %v, want rtb-main via pcx-1 only", got)
	}
	ids := s.IDs()
	for _, id := range []string{"vpc-1", "subnet-a", "subnet-b", "rtb-main", "rtb-pub", "acl-1", "sg-1", "igw-1"} {
		if !slices.Contains(ids, id) {
			t.Errorf("IDs %v lack %s", ids, id)
		}
	}
}

func TestPermissionAndAclLines(t *testing.T) {
	perms := []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges:         []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}},
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-9"), UserId: aws.String("222222222222")}},
	}}
	got := permissionLines("ingress", perms)
	want := []string{"ingress tcp 443-443 10.0.0.0/16", "ingress tcp 443-443 222222222222/sg-9"}
	if !slices.Equal(got, want) {
		t.Errorf("permission lines %v, want %v", got, want)
	}
	e := ec2types.NetworkAclEntry{Egress: aws.Bool(false), RuleNumber: aws.Int32(100), RuleAction: ec2types.RuleActionAllow,
		Protocol: aws.String("6"), CidrBlock: aws.String("10.0.0.0/8"), PortRange: &ec2types.PortRange{From: aws.Int32(22), To: aws.Int32(22)}}
	if got, want := aclEntry(e), "ingress 100 allow proto 6 10.0.0.0/8 ports 22-22"; got != want {
		t.Errorf("ACL entry %q, want %q", got, want)
	}
}
