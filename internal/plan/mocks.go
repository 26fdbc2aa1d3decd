package plan

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/awstype"
)

// Account is the AWS account id the mocks answer with.
const Account = "123456789012"

// Mocks answers the engine's calls the way AWS would, well enough for the
// program's outputs to be realistic (ids, ARNs, DNS names, addresses), and
// records every registered resource.
type Mocks struct {
	Region string
	// Zones are the AZs getAvailabilityZones returns.
	Zones []string
	// Existing are the VPCs that exist before the stack, by id, for the
	// look-ups of consumers that are existing VPCs.
	Existing map[string]ExistingVpc

	mu        sync.Mutex
	stack     string
	project   string
	resources []recorded
	byID      map[string]resource.PropertyMap
	addrs     map[string]int  // next host number per subnet id
	public    map[string]bool // public addresses handed out
}

// ExistingVpc is a VPC the mocks' AWS holds before the stack.
type ExistingVpc struct {
	Cidr                                 string
	EnableDNSSupport, EnableDNSHostnames bool
	Subnets                              []ExistingSubnet
}

// ExistingSubnet is a subnet of an ExistingVpc; RouteTable "" means the
// VPC's main table (MainTable), Public that its table routes to an
// internet gateway.
type ExistingSubnet struct {
	ID, Cidr, Zone, RouteTable string
	Public                     bool
}

// MainTable is the id of an existing VPC's main route table in the mocks.
func MainTable(vpcID string) string { return "rtb-main" + strings.TrimPrefix(vpcID, "vpc-") }

type recorded struct {
	args    pulumi.MockResourceArgs
	id      string
	outputs resource.PropertyMap
}

var _ pulumi.MockResourceMonitor = (*Mocks)(nil)

// NewResource records the resource and returns its id and state.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[string]resource.PropertyMap{}
		m.addrs = map[string]int{}
		m.public = map[string]bool{}
	}
	out := args.Inputs.Copy()
	id := ""
	if args.Custom {
		id = mockID(args.TypeToken, args.Name)
		m.computed(args, id, out)
		m.byID[id] = out
	}
	m.resources = append(m.resources, recorded{args: args, id: id, outputs: out})
	return id, out, nil
}

// Call answers the data-source look-ups the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": m.Region, "id": m.Region, "endpoint": "ec2." + m.Region + ".amazonaws.com",
		}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		ids := make([]any, len(m.Zones))
		names := make([]any, len(m.Zones))
		for i, z := range m.Zones {
			names[i] = z
			ids[i] = fmt.Sprintf("apne1-az%d", i+1)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": m.Region, "names": names, "zoneIds": ids}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": Account, "accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/deployer", "userId": "AIDAEXAMPLE",
		}), nil
	case "aws:elb/getServiceAccount:getServiceAccount":
		// The provider's table for the regions opened before August 2022;
		// ap-northeast-1's ELB account, as the provider answers.
		if m.Region != "ap-northeast-1" {
			return nil, fmt.Errorf("mocks: no ELB account for %s", m.Region)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "582318560864", "arn": "arn:aws:iam::582318560864:root",
		}), nil
	case "aws:ec2/getVpc:getVpc", "aws:ec2/getSubnets:getSubnets", "aws:ec2/getSubnet:getSubnet",
		"aws:ec2/getRouteTables:getRouteTables", "aws:ec2/getRouteTable:getRouteTable":
		return m.existing(args)
	case "aws:ec2/getAmi:getAmi":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "ami-0a1b2c3d4e5f60718", "name": "al2023-ami-2023.9.20251117.1-kernel-6.1-x86_64",
			"architecture": "x86_64", "ownerId": "137112412989",
		}), nil
	}
	return nil, fmt.Errorf("mocks: no answer for call %s", args.Token)
}

// existing answers the look-ups of existing VPCs from m.Existing.
func (m *Mocks) existing(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	str := func(k string) string {
		if v, ok := args.Args[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	filters := map[string]string{}
	if f, ok := args.Args["filters"]; ok && f.IsArray() {
		for _, e := range f.ArrayValue() {
			o := e.ObjectValue()
			filters[o["name"].StringValue()] = o["values"].ArrayValue()[0].StringValue()
		}
	}
	ok := func(v map[string]any) (resource.PropertyMap, error) { return resource.NewPropertyMapFromMap(v), nil }
	subnet := func(id string) (string, ExistingSubnet, bool) {
		for vpcID, v := range m.Existing {
			for _, s := range v.Subnets {
				if s.ID == id {
					return vpcID, s, true
				}
			}
		}
		return "", ExistingSubnet{}, false
	}
	table := func(vpcID string, s ExistingSubnet) string {
		if s.RouteTable == "" {
			return MainTable(vpcID)
		}
		return s.RouteTable
	}
	switch args.Token {
	case "aws:ec2/getVpc:getVpc":
		v, found := m.Existing[str("id")]
		if !found {
			return nil, fmt.Errorf("no matching EC2 VPC found")
		}
		return ok(map[string]any{"id": str("id"), "cidrBlock": v.Cidr, "enableDnsSupport": v.EnableDNSSupport, "enableDnsHostnames": v.EnableDNSHostnames, "ownerId": Account})
	case "aws:ec2/getSubnets:getSubnets":
		var ids []any
		for _, s := range m.Existing[filters["vpc-id"]].Subnets {
			ids = append(ids, s.ID)
		}
		return ok(map[string]any{"id": m.Region, "ids": ids})
	case "aws:ec2/getSubnet:getSubnet":
		vpcID, s, found := subnet(str("id"))
		if !found {
			return nil, fmt.Errorf("no matching EC2 Subnet found")
		}
		return ok(map[string]any{"id": s.ID, "vpcId": vpcID, "cidrBlock": s.Cidr, "availabilityZone": s.Zone})
	case "aws:ec2/getRouteTables:getRouteTables":
		var ids []any
		if id := filters["association.subnet-id"]; id != "" {
			if _, s, found := subnet(id); found && s.RouteTable != "" {
				ids = append(ids, s.RouteTable)
			}
		} else if _, found := m.Existing[filters["vpc-id"]]; found && filters["association.main"] == "true" {
			ids = append(ids, MainTable(filters["vpc-id"]))
		}
		return ok(map[string]any{"id": m.Region, "ids": ids})
	case "aws:ec2/getRouteTable:getRouteTable":
		id := str("routeTableId")
		for vpcID, v := range m.Existing {
			for _, s := range v.Subnets {
				if table(vpcID, s) == id {
					routes := []any{}
					if s.Public {
						routes = append(routes, map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-" + strings.TrimPrefix(vpcID, "vpc-")})
					}
					return ok(map[string]any{"id": id, "routeTableId": id, "vpcId": vpcID, "routes": routes})
				}
			}
		}
		return nil, fmt.Errorf("no matching Route Table found")
	}
	return nil, fmt.Errorf("mocks: no answer for call %s", args.Token)
}

// accountOf is the account a resource is created in: the one an explicit
// provider named account-<id> acts in, else Account.
func accountOf(provider string) string {
	if _, rest, ok := strings.Cut(provider, "pulumi:providers:aws::account-"); ok {
		id, _, _ := strings.Cut(rest, "::")
		return id
	}
	return Account
}

// computed adds what AWS would compute for a new resource of this type.
func (m *Mocks) computed(args pulumi.MockResourceArgs, id string, out resource.PropertyMap) {
	in := args.Inputs
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	name := str("name")
	if name == "" {
		name = args.Name
	}
	account := accountOf(args.Provider)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.Region, account, rest)
	}
	set("id", id)
	switch args.TypeToken {
	case awstype.Vpc:
		set("arn", arn("ec2", "vpc/"+id))
		set("mainRouteTableId", "rtb-main-"+args.Name)
		set("defaultSecurityGroupId", "sg-default-"+args.Name)
	case awstype.Subnet:
		set("arn", arn("ec2", "subnet/"+id))
	case awstype.SecurityGroup:
		set("name", name)
		set("arn", arn("ec2", "security-group/"+id))
	case awstype.Instance:
		set("arn", arn("ec2", "instance/"+id))
		if ip, ok := m.nextAddress(str("subnetId")); ok {
			set("privateIp", ip)
		}
		if v, ok := in["associatePublicIpAddress"]; ok && v.IsBool() && v.BoolValue() {
			set("publicIp", m.publicAddress("203.0.113", id))
		}
	case awstype.Eip:
		set("publicIp", m.publicAddress("198.51.100", id))
		set("allocationId", id)
	case awstype.VpcEndpoint:
		if str("vpcEndpointType") == "Gateway" {
			set("prefixListId", "pl-61a54008")
		} else {
			svc := str("serviceName")
			set("dnsEntries", []any{map[string]any{
				"dnsName":      fmt.Sprintf("%s-%08x.%s.%s.vpce.amazonaws.com", id, hash(id), svc[strings.LastIndex(svc, ".")+1:], m.Region),
				"hostedZoneId": "Z2E726K9Y6RL4W",
			}})
		}
	case awstype.LoadBalancer:
		prefix := ""
		if v, ok := in["internal"]; ok && v.IsBool() && v.BoolValue() {
			prefix = "internal-"
		}
		set("dnsName", fmt.Sprintf("%s%s-%d.%s.elb.amazonaws.com", prefix, name, hash(name)%1000000000, m.Region))
		set("zoneId", "Z14GRHDCWA56QT") // ALBs in ap-northeast-1
		set("arn", arn("elasticloadbalancing", fmt.Sprintf("loadbalancer/app/%s/%016x", name, hash(id))))
	case awstype.TargetGroup:
		set("name", name)
		set("arn", arn("elasticloadbalancing", fmt.Sprintf("targetgroup/%s/%016x", name, hash(id))))
	case awstype.Listener:
		set("arn", arn("elasticloadbalancing", fmt.Sprintf("listener/app/%s/%016x", args.Name, hash(id))))
	case awstype.Zone:
		set("zoneId", fmt.Sprintf("Z%013X", hash(id)))
	case awstype.Record:
		set("fqdn", str("name"))
	case awstype.Role, awstype.InstanceProfile:
		kind := "role"
		if args.TypeToken == awstype.InstanceProfile {
			kind = "instance-profile"
		}
		path := str("path")
		if path == "" {
			path = "/"
		}
		set("name", name)
		set("path", path)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:%s%s%s", account, kind, path, name))
	case awstype.Function:
		set("arn", arn("lambda", "function:"+name))
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", m.Region, arn("lambda", "function:"+name)))
	case awstype.LogGroup:
		set("arn", arn("logs", "log-group:"+name))
	case awstype.TransitGateway:
		set("arn", arn("ec2", "transit-gateway/"+id))
	case awstype.VpcPeeringConnection:
		set("acceptStatus", "active")
	case awstype.BucketV2:
		set("bucket", id) // a bucket's id is its name
		set("arn", "arn:aws:s3:::"+id)
	case awstype.KeyPair:
		set("keyName", args.Name+"-"+fmt.Sprintf("%07x", hash(id)%0x10000000))
		set("fingerprint", "SHA256:mock")
	case awstype.InstanceConnectEndpoint:
		set("arn", arn("ec2", "instance-connect-endpoint/"+id))
		set("dnsName", id+".fips.ec2-instance-connect-endpoint."+m.Region+".amazonaws.com")
	}
}

// publicAddress is a public address in a documentation /24 (net: its first
// three octets), the same for the same resource id in every run (a plan does
// not depend on the order the program registers its resources), and not one
// handed out before.
func (m *Mocks) publicAddress(net, id string) string {
	n := int(hash(id) % 200)
	a := ""
	for i := 0; i < 200; i++ {
		a = fmt.Sprintf("%s.%d", net, 20+(n+i)%200)
		if !m.public[a] {
			break
		}
	}
	m.public[a] = true
	return a
}

// nextAddress returns the next host address in the subnet with the given id.
func (m *Mocks) nextAddress(subnetID string) (string, bool) {
	s, ok := m.byID[subnetID]
	if !ok || !s["cidrBlock"].IsString() {
		return "", false
	}
	p, err := netip.ParsePrefix(s["cidrBlock"].StringValue())
	if err != nil {
		return "", false
	}
	m.addrs[subnetID]++
	a := p.Addr().As4()
	a[3] += byte(9 + m.addrs[subnetID]) // AWS reserves the first four
	return netip.AddrFrom4(a).String(), true
}

// mockID is a unique, readable id with AWS's prefix for the type.
func mockID(typ, name string) string {
	prefixes := map[string]string{
		awstype.Vpc:                      "vpc",
		awstype.Subnet:                   "subnet",
		awstype.InternetGateway:          "igw",
		awstype.RouteTable:               "rtb",
		awstype.SecurityGroup:            "sg",
		awstype.DefaultSecurityGroup:     "sg",
		awstype.Instance:                 "i",
		awstype.VpcEndpoint:              "vpce",
		awstype.VpcPeeringConnection:     "pcx",
		awstype.NatGateway:               "nat",
		awstype.Eip:                      "eipalloc",
		awstype.NetworkAcl:               "acl",
		awstype.FlowLog:                  "fl",
		awstype.KeyPair:                  "key",
		awstype.InstanceConnectEndpoint:  "eice",
		awstype.TransitGateway:           "tgw",
		awstype.TgwVpcAttachment:         "tgw-attach",
		awstype.TgwRouteTable:            "tgw-rtb",
		awstype.SecurityGroupIngressRule: "sgr",
		awstype.SecurityGroupEgressRule:  "sgr",
		awstype.RouteTableAssociation:    "rtbassoc",
		awstype.TgwRouteTableAssociation: "tgw-rtb-assoc",
	}
	if typ == awstype.BucketV2 {
		return fmt.Sprintf("%s-%07x", name, hash(name)%0x10000000) // auto-named, as pulumi-aws does
	}
	if p, ok := prefixes[typ]; ok {
		return p + "-" + name
	}
	return name + "-id"
}

func hash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
