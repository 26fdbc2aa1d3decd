package verify

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
)

// VPC is a VPC with its DNS attributes.
type VPC struct {
	ID, Name     string
	CIDRs        []netip.Prefix
	DNSSupport   bool
	DNSHostnames bool
	IGWs         []string // internet gateway ids attached to it
	Account      string   // the account it is in
	// Existing: the stack connects the VPC but does not own it (an
	// internal-alb:network:ExistingVpc): only the subnets it connects are
	// known, their NACLs are not, nor the routes it did not add.
	Existing bool
	Res      *graph.Resource
}

// Subnet is a subnet and the route table and NACL that apply to it.
type Subnet struct {
	ID, Name, VPC, AZ string
	CIDR              netip.Prefix
	Tier              string // "public", "private" or ""
	MapPublicIP       bool
	RouteTable        string // id of the effective route table
	NACL              string // id of the effective NACL ("" = the default NACL, allow all)
	Existing          bool   // a subnet of an existing VPC: its NACL is not in the graph
	Res               *graph.Resource
}

// Route is one route of a VPC route table.
type Route struct {
	Dest   netip.Prefix
	Kind   string // local, igw, nat, pcx, tgw, vpce, eni, other
	Target string
	Res    string // name of the resource that declared it
}

// RouteTable is a VPC route table (explicit or the implicit main table).
type RouteTable struct {
	ID, Name, VPC string
	Routes        []Route
	Implicit      bool // the VPC's main table, not in the graph: local routes only
	// Existing: a table of an existing VPC; of its routes only the local
	// ones and those the stack adds are known.
	Existing bool
}

// SGRule is one security group rule, normalised.
type SGRule struct {
	Egress     bool
	Proto      string // "-1" or a protocol name/number
	From, To   int
	CIDR       netip.Prefix // invalid when the peer is not a CIDR
	RefSG      string
	PrefixList string
	Desc       string
	Res        string // declaring resource name
}

// SG is a security group with all its rules (inline and separate).
type SG struct {
	ID, Name, VPC, Desc string
	Account             string
	Default             bool
	Rules               []*SGRule
	Res                 *graph.Resource
}

// NACLRule is one numbered NACL entry.
type NACLRule struct {
	Num      int
	Egress   bool
	Proto    string
	From, To int
	CIDR     netip.Prefix
	Allow    bool
}

// NACL is a network ACL and the subnets it is associated with.
type NACL struct {
	ID, Name, VPC string
	Rules         []NACLRule
	Subnets       []string
	Default       bool
}

// Instance is an EC2 instance.
type Instance struct {
	ID, Name, Role, Subnet string
	SGs                    []string
	PublicIP               bool
	PrivateIP              netip.Addr
	Profile                string
	Type                   string
	KeyName                string
	Account                string
	// State is the instance's state when the graph knows it and it is not
	// running ("stopped", "stopping"…): from the instance's own state, or
	// from an InstanceState resource that manages it.
	State string
	Res   *graph.Resource
}

// Peering is a VPC peering connection, requested from VPC's account
// (Account) to Peer's (PeerAccount, its peerOwnerId).
type Peering struct {
	ID, Name, VPC, Peer  string
	Account, PeerAccount string
	Active               bool
	Why                  string // why it is not active
	Consent              string // across accounts: how the peer's accepted it
}

// TGW is a transit gateway.
type TGW struct {
	ID, Name, ARN, Account    string
	AutoAccept                bool
	DefaultAssoc, DefaultProp bool
	SGRef                     bool
	Res                       *graph.Resource
}

// TGWAttachment is a transit gateway VPC attachment. One made from
// another account than the gateway's is usable once the gateway is shared
// with that account and the attachment accepted.
type TGWAttachment struct {
	ID, Name, TGW, VPC string
	Subnets            []string
	Account            string
	Usable             bool
	Why                string // why it is not usable
	Consent            string // from another account: how the gateway's shared and accepted it
}

// TGWRoute is a static TGW route.
type TGWRoute struct {
	Dest       netip.Prefix
	Attachment string
	Blackhole  bool
}

// TGWRouteTable is a transit gateway route table.
type TGWRouteTable struct {
	ID, Name, TGW string
	Assocs        []string // attachment ids associated with it
	Props         []string // attachment ids propagating into it
	Static        []TGWRoute
}

// LoadBalancer is an ALB with its listeners.
type LoadBalancer struct {
	ID, Name, ARN, DNSName, ZoneID string
	Internal, DropInvalid          bool
	Type                           string
	Subnets, SGs                   []string
	Listeners                      []*Listener
	AccessLogs                     AccessLogs
	Res                            *graph.Resource
}

// AccessLogs is a load balancer's access log setting.
type AccessLogs struct {
	Enabled        bool
	Bucket, Prefix string // bucket name as given
}

// Listener is an ALB listener.
type Listener struct {
	Name     string
	Port     int
	Protocol string
	TGs      []string // target group ids the default actions forward to
	Redirect bool
}

// HealthCheck is a target group's health check.
type HealthCheck struct {
	Enabled              bool
	Path, Port, Protocol string
}

// Target is one registered target.
type Target struct {
	ID   string
	Port int
}

// TargetGroup is an ALB target group.
type TargetGroup struct {
	ID, ARN, Name, VPC, Protocol string
	Port                         int
	HC                           HealthCheck
	Targets                      []Target
	Res                          *graph.Resource
}

// Endpoint is a VPC endpoint.
type Endpoint struct {
	ID, Name, VPC, Service, Type string
	Account                      string
	PrivateDNS                   bool
	Subnets, SGs, RouteTables    []string
	Policy                       string
	PrefixList                   string // a gateway endpoint's prefix list id ("" when the graph does not know it)
}

// Zone is a Route 53 hosted zone and the VPCs it is associated with
// (inline, or by an association in force).
type Zone struct {
	ID, Name string
	Account  string
	VPCs     []string
	Private  bool
}

// ZoneAssoc is a private zone's association with a VPC made by an
// aws:route53/zoneAssociation. With a VPC of another account than the
// zone's, it is in force only when the VPC's account made it and the zone's
// account authorized it (aws:route53/vpcAssociationAuthorization).
type ZoneAssoc struct {
	Name, Zone, VPC string
	Account         string // the account that made it
	InForce         bool
	Why             string // why it is not in force
}

// Record is a Route 53 record.
type Record struct {
	Name, Zone, FQDN, Type string
	AliasName, AliasZone   string
	Values                 []string
}

// PolicyDoc is a named IAM policy document (JSON).
type PolicyDoc struct {
	Name, JSON string
}

// Role is an IAM role with its trust policy and permission policies.
type Role struct {
	ID, Name, ARN string
	Account       string
	Trust         string
	Policies      []PolicyDoc
	ManagedArns   []string
	Res           *graph.Resource
}

// Function is a Lambda function.
type Function struct {
	Name, ARN, Runtime, Role string
	Account                  string
	Res                      *graph.Resource
}

// Bucket is an S3 bucket with the settings its satellite resources (public
// access block, ownership controls, encryption, lifecycle, policy, ACL)
// give it; they name it by id or by name in their `bucket` property.
type Bucket struct {
	ID, Name, ARN string
	PAB           map[string]bool // blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets
	Ownership     string          // objectOwnership ("" when no ownership controls)
	SSE           string          // default encryption algorithm ("" when none is set)
	ExpireDays    int             // expiration of an enabled lifecycle rule (0: objects never expire)
	Policy        string          // bucket policy JSON ("" when none)
	ACL           string          // canned ACL, when one is set
	Res           *graph.Resource
}

// PABKeys are the four Block Public Access settings.
var PABKeys = []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"}

// FlowLog is a flow log of a VPC.
type FlowLog struct {
	Name, VPC      string
	DestType, Dest string // logDestinationType ("cloud-watch-logs", "s3", …) and logDestination
	Traffic        string
	Bucket         *Bucket // the S3 destination when it is in the graph
}

// LambdaPermission is one statement of a function's resource policy.
type LambdaPermission struct {
	Name, Function, Action              string
	Account                             string // the function's account, where the permission is
	Principal, SourceArn, SourceAccount string
	PrincipalOrg, FunctionURLAuthType   string
}

// FunctionURL is a Lambda function URL.
type FunctionURL struct {
	Name, Function, AuthType string
}

// KeyPair is an EC2 key pair (the public half only).
type KeyPair struct {
	Name, KeyName, PublicKey string
}

// ConnectEndpoint is an EC2 Instance Connect Endpoint: an admin entry point
// inside a VPC, with a security group, like a bastion without a public
// address. Admins reach it through the EC2 Instance Connect API; it opens
// TCP connections to instances from its own address (or, with
// preserveClientIp, from the admin's).
type ConnectEndpoint struct {
	ID, Name, VPC, Subnet string
	SGs                   []string
	PreserveClientIP      bool
}

// Model is the network and IAM model every check runs on.
type Model struct {
	Graph       graph.Graph
	Region      string
	VPCs        map[string]*VPC
	Subnets     map[string]*Subnet
	RTs         map[string]*RouteTable
	SGs         map[string]*SG
	NACLs       map[string]*NACL
	Insts       map[string]*Instance
	Peers       map[string]*Peering
	TGWs        map[string]*TGW
	Attachs     map[string]*TGWAttachment
	TGWRTs      map[string]*TGWRouteTable
	LBs         map[string]*LoadBalancer
	TGs         map[string]*TargetGroup
	Vpces       map[string]*Endpoint
	Zones       map[string]*Zone
	ZoneAssocs  []*ZoneAssoc
	Records     []*Record
	Roles       map[string]*Role  // by id, name and arn
	Profile     map[string]string // profile id/name/arn → role name
	Funcs       []*Function
	Logs        map[string]int  // log group name → retention days (0 = never expire)
	Flows       map[string]bool // VPC id → has a flow log
	NATs        []*graph.Resource
	Account     string             // the stack's AWS account, from the ARNs of its default provider's resources ("" when none says)
	Accounts    []*Account         // the other accounts, one per explicit provider, in graph order
	Buckets     map[string]*Bucket // by id, name and ARN
	FlowLogs    []*FlowLog
	LambdaPerms []*LambdaPermission
	FuncURLs    []*FunctionURL
	KeyPairs    []*KeyPair
	EICEs       []*ConnectEndpoint
	EIPs        []*graph.Resource
	Notes       []string // things the model could not resolve

	providers    map[string]*Account // provider URN → the account it acts in
	shares       []*ramShare
	acctRoles    map[string]*Role  // "<account>|<role id, name or arn>" → role
	acctProfiles map[string]*Role  // "<account>|<profile id, name or arn>" → its role
	roleObjs     []*Role           // graph order
	existingRT   map[string]string // subnet id → route table id, for the subnets of existing VPCs

	igwIDs     map[string]bool
	natIDs     map[string]bool
	tgArn      map[string]string // arn or id → tg id
	lbArn      map[string]string // arn or id → lb id
	instList   []*Instance       // registration order
	vpcList    []*VPC
	lbList     []*LoadBalancer
	bucketList []*Bucket
}

func (m *Model) note(format string, a ...any) { m.Notes = append(m.Notes, fmt.Sprintf(format, a...)) }

// resID is the id other resources name this one by: its mock id in a plan,
// its physical id in a state export (its URN when it has none).
func resID(r *graph.Resource) string {
	if r.ID != "" {
		return r.ID
	}
	return r.URN
}

// BuildModel reduces a graph (plan or state export) to the model, one kind
// of resource after the other: a kind read later may refer to one read
// before (a subnet to its VPC, a route to its table, a flow log to its bucket).
func BuildModel(g graph.Graph) *Model {
	m := &Model{
		Graph: g, VPCs: map[string]*VPC{}, Subnets: map[string]*Subnet{}, RTs: map[string]*RouteTable{},
		SGs: map[string]*SG{}, NACLs: map[string]*NACL{}, Insts: map[string]*Instance{}, Peers: map[string]*Peering{},
		TGWs: map[string]*TGW{}, Attachs: map[string]*TGWAttachment{}, TGWRTs: map[string]*TGWRouteTable{},
		LBs: map[string]*LoadBalancer{}, TGs: map[string]*TargetGroup{}, Vpces: map[string]*Endpoint{},
		Zones: map[string]*Zone{}, Roles: map[string]*Role{}, Profile: map[string]string{}, Logs: map[string]int{},
		Flows: map[string]bool{}, Buckets: map[string]*Bucket{}, igwIDs: map[string]bool{}, natIDs: map[string]bool{}, tgArn: map[string]string{}, lbArn: map[string]string{},
		providers: map[string]*Account{}, acctRoles: map[string]*Role{}, acctProfiles: map[string]*Role{}, existingRT: map[string]string{},
	}
	rs := indexByType(g)
	m.readAccounts(rs)
	m.readNetwork(rs)
	m.readRouteTables(rs)
	m.readSecurityGroups(rs)
	m.readNACLs(rs)
	m.readInstances(rs)
	m.readPeerings(rs)
	m.readRAM(rs)
	m.readTransitGateways(rs)
	m.readLoadBalancers(rs)
	m.readEndpoints(rs)
	m.readDNS(rs)
	m.readIAM(rs)
	m.readLambda(rs)
	m.buildBuckets(rs)
	m.readFlowLogs(rs)
	m.readAdminAccess(rs)
	m.inferRegion()
	m.noteRegions()
	return m
}

// resourcesByType indexes a graph's resources by type token, each list in
// graph order.
type resourcesByType map[string][]*graph.Resource

func indexByType(g graph.Graph) resourcesByType {
	rs := resourcesByType{}
	for i := range g {
		r := &g[i]
		rs[r.Type] = append(rs[r.Type], r)
	}
	return rs
}

// each calls f on every resource of the type, in graph order.
func (rs resourcesByType) each(typ string, f func(r *graph.Resource)) {
	for _, r := range rs[typ] {
		f(r)
	}
}

// readNetwork reads the VPCs (and their added CIDR blocks), internet and NAT
// gateways, Elastic IPs and subnets.
func (m *Model) readNetwork(rs resourcesByType) {
	rs.each(awstype.Vpc, func(r *graph.Resource) {
		v := &VPC{ID: resID(r), Name: nameOf(r), Res: r, Account: m.acct(r),
			DNSSupport:   boolOr(prop(r, "enableDnsSupport"), true),
			DNSHostnames: boolOr(prop(r, "enableDnsHostnames"), false)}
		if p, ok := parsePrefix(str(r, "cidrBlock")); ok {
			v.CIDRs = append(v.CIDRs, p)
		}
		m.VPCs[v.ID] = v
		m.vpcList = append(m.vpcList, v)
	})
	rs.each(ExistingVpcType, m.addExistingVpc)
	rs.each(awstype.VpcIpv4CidrBlockAssociation, func(r *graph.Resource) {
		if v := m.VPCs[str(r, "vpcId")]; v != nil {
			if p, ok := parsePrefix(str(r, "cidrBlock")); ok {
				v.CIDRs = append(v.CIDRs, p)
			}
		}
	})
	rs.each(awstype.InternetGateway, func(r *graph.Resource) {
		m.igwIDs[resID(r)] = true
		if v := m.VPCs[str(r, "vpcId")]; v != nil {
			v.IGWs = append(v.IGWs, resID(r))
		}
	})
	rs.each(awstype.InternetGatewayAttachment, func(r *graph.Resource) {
		if v := m.VPCs[str(r, "vpcId")]; v != nil {
			v.IGWs = append(v.IGWs, str(r, "internetGatewayId"))
		}
	})
	rs.each(awstype.NatGateway, func(r *graph.Resource) { m.natIDs[resID(r)] = true; m.NATs = append(m.NATs, r) })
	rs.each(awstype.Eip, func(r *graph.Resource) { m.EIPs = append(m.EIPs, r) })

	rs.each(awstype.Subnet, func(r *graph.Resource) {
		s := &Subnet{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), AZ: str(r, "availabilityZone"),
			Tier: strings.ToLower(tag(r, "Tier")), MapPublicIP: boolOr(prop(r, "mapPublicIpOnLaunch"), false), Res: r}
		if s.AZ == "" {
			s.AZ = str(r, "availabilityZoneId")
		}
		s.CIDR, _ = parsePrefix(str(r, "cidrBlock"))
		if m.VPCs[s.VPC] == nil {
			m.note("subnet %s: vpc %q not in the graph", s.Name, s.VPC)
		}
		m.Subnets[s.ID] = s
	})
}

// readRouteTables reads the route tables and their routes, adds each VPC's
// local routes and, where the graph manages none, its implicit main table,
// and gives every subnet its effective table.
func (m *Model) readRouteTables(rs resourcesByType) {
	addRoute := func(rt *RouteTable, dest string, entry map[string]any, res string) {
		p, ok := parsePrefix(dest)
		if !ok {
			return
		}
		rt.Routes = append(rt.Routes, m.classifyRoute(p, entry, res))
	}
	mainRT := map[string]string{}
	rs.each(awstype.RouteTable, func(r *graph.Resource) {
		rt := &RouteTable{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId")}
		for _, e := range asList(prop(r, "routes")) {
			em := asMap(e)
			addRoute(rt, asString(em["cidrBlock"]), em, rt.Name)
		}
		m.RTs[rt.ID] = rt
	})
	rs.each(awstype.DefaultRouteTable, func(r *graph.Resource) {
		rt := &RouteTable{ID: firstNonEmpty(str(r, "defaultRouteTableId"), resID(r)), Name: nameOf(r), VPC: str(r, "vpcId")}
		for _, e := range asList(prop(r, "routes")) {
			em := asMap(e)
			addRoute(rt, asString(em["cidrBlock"]), em, rt.Name)
		}
		m.RTs[rt.ID] = rt
		if rt.VPC != "" {
			mainRT[rt.VPC] = rt.ID
		}
	})
	rs.each(awstype.MainRouteTableAssociation, func(r *graph.Resource) { mainRT[str(r, "vpcId")] = str(r, "routeTableId") })
	m.addExistingRouteTables()
	rs.each(awstype.Route, func(r *graph.Resource) {
		rt := m.RTs[str(r, "routeTableId")]
		if rt == nil {
			m.note("route %s: route table %q not in the graph", r.Name, str(r, "routeTableId"))
			return
		}
		em := map[string]any{}
		for _, k := range []string{"gatewayId", "natGatewayId", "vpcPeeringConnectionId", "transitGatewayId", "vpcEndpointId", "networkInterfaceId", "egressOnlyGatewayId", "localGatewayId", "carrierGatewayId"} {
			em[k] = prop(r, k)
		}
		addRoute(rt, str(r, "destinationCidrBlock"), em, r.Name)
	})
	m.addLocalRoutes(mainRT)
	for _, s := range m.Subnets {
		s.RouteTable = mainRT[s.VPC]
	}
	for sid, rt := range m.existingRT {
		m.Subnets[sid].RouteTable = rt
	}
	rs.each(awstype.RouteTableAssociation, func(r *graph.Resource) {
		if s := m.Subnets[str(r, "subnetId")]; s != nil {
			s.RouteTable = str(r, "routeTableId")
		}
	})
}

// addLocalRoutes gives every route table of a VPC the VPC's local routes,
// and a VPC whose main table the graph does not manage an implicit one
// (local routes only), which mainRT then names.
func (m *Model) addLocalRoutes(mainRT map[string]string) {
	for _, v := range m.vpcList {
		for _, rt := range m.RTs {
			if rt.VPC == v.ID {
				for _, c := range v.CIDRs {
					rt.Routes = append(rt.Routes, Route{Dest: c, Kind: "local", Target: "local", Res: "local"})
				}
			}
		}
		if mainRT[v.ID] == "" && !v.Existing {
			id := v.ID + "/main"
			rt := &RouteTable{ID: id, Name: v.Name + " main route table (implicit)", VPC: v.ID, Implicit: true}
			for _, c := range v.CIDRs {
				rt.Routes = append(rt.Routes, Route{Dest: c, Kind: "local", Target: "local", Res: "local"})
			}
			m.RTs[id] = rt
			mainRT[v.ID] = id
		}
	}
}

// readSecurityGroups reads the security groups (the VPCs' default ones too)
// with their inline rules and their rules as separate resources.
func (m *Model) readSecurityGroups(rs resourcesByType) {
	rs.each(awstype.SecurityGroup, func(r *graph.Resource) {
		sg := &SG{ID: resID(r), Name: firstNonEmpty(str(r, "name"), nameOf(r)), VPC: str(r, "vpcId"), Desc: str(r, "description"), Account: m.acct(r), Res: r}
		m.inlineSGRules(sg, r)
		m.SGs[sg.ID] = sg
	})
	rs.each(awstype.DefaultSecurityGroup, func(r *graph.Resource) {
		sg := &SG{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), Default: true, Desc: "default VPC security group", Account: m.acct(r), Res: r}
		m.inlineSGRules(sg, r)
		m.SGs[sg.ID] = sg
	})
	addRule := func(sgID string, rule *SGRule, res string) {
		sg := m.SGs[sgID]
		if sg == nil {
			m.note("security group rule %s: group %q not in the graph", res, sgID)
			return
		}
		sg.Rules = append(sg.Rules, rule)
	}
	vpcRule := func(r *graph.Resource, egress bool) {
		rule := &SGRule{Egress: egress, Proto: normProto(str(r, "ipProtocol")), From: intOr(prop(r, "fromPort"), -1), To: intOr(prop(r, "toPort"), -1),
			RefSG: str(r, "referencedSecurityGroupId"), PrefixList: str(r, "prefixListId"), Desc: str(r, "description"), Res: r.Name}
		rule.CIDR, _ = parsePrefix(str(r, "cidrIpv4"))
		if !rule.CIDR.IsValid() {
			rule.CIDR, _ = parsePrefix(str(r, "cidrIpv6"))
		}
		addRule(str(r, "securityGroupId"), rule, r.Name)
	}
	rs.each(awstype.SecurityGroupIngressRule, func(r *graph.Resource) { vpcRule(r, false) })
	rs.each(awstype.SecurityGroupEgressRule, func(r *graph.Resource) { vpcRule(r, true) })
	rs.each(awstype.SecurityGroupRule, func(r *graph.Resource) {
		base := SGRule{Egress: str(r, "type") == "egress", Proto: normProto(str(r, "protocol")), From: intOr(prop(r, "fromPort"), -1), To: intOr(prop(r, "toPort"), -1),
			Desc: str(r, "description"), Res: r.Name}
		for _, rr := range expandRule(base, prop(r, "cidrBlocks"), prop(r, "ipv6CidrBlocks"), asStrings(prop(r, "sourceSecurityGroupId")), boolOr(prop(r, "self"), false), str(r, "securityGroupId"), asStrings(prop(r, "prefixListIds"))) {
			addRule(str(r, "securityGroupId"), rr, r.Name)
		}
	})
}

// readNACLs reads the network ACLs and their entries, and gives every subnet
// its effective NACL. A subnet has exactly one: the one whose subnetIds (or an
// association) name it, else the VPC's default NACL — modelled with its
// rules when the graph manages it, as allow-all otherwise.
func (m *Model) readNACLs(rs resourcesByType) {
	var naclOrder []*NACL
	defaultNacl := map[string]*NACL{} // VPC id → managed default NACL
	rs.each(awstype.NetworkAcl, func(r *graph.Resource) {
		n := &NACL{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), Subnets: asStrings(prop(r, "subnetIds"))}
		n.Rules = append(n.Rules, inlineNacl(prop(r, "ingress"), false)...)
		n.Rules = append(n.Rules, inlineNacl(prop(r, "egress"), true)...)
		m.NACLs[n.ID] = n
		naclOrder = append(naclOrder, n)
	})
	rs.each(awstype.DefaultNetworkAcl, func(r *graph.Resource) {
		n := &NACL{ID: firstNonEmpty(str(r, "defaultNetworkAclId"), resID(r)), Name: nameOf(r), VPC: str(r, "vpcId"), Subnets: asStrings(prop(r, "subnetIds")), Default: true}
		if n.VPC == "" {
			for _, v := range m.vpcList {
				if id := str(v.Res, "defaultNetworkAclId"); id != "" && id == n.ID {
					n.VPC = v.ID
				}
			}
		}
		n.Rules = append(n.Rules, inlineNacl(prop(r, "ingress"), false)...)
		n.Rules = append(n.Rules, inlineNacl(prop(r, "egress"), true)...)
		m.NACLs[n.ID] = n
		naclOrder = append(naclOrder, n)
		if n.VPC != "" {
			defaultNacl[n.VPC] = n
		}
	})
	rs.each(awstype.NetworkAclRule, func(r *graph.Resource) {
		n := m.NACLs[str(r, "networkAclId")]
		if n == nil {
			m.note("NACL rule %s: NACL %q not in the graph (default NACLs are modelled as allow-all)", r.Name, str(r, "networkAclId"))
			return
		}
		nr := NACLRule{Num: intOr(prop(r, "ruleNumber"), 0), Egress: boolOr(prop(r, "egress"), false), Proto: normProto(str(r, "protocol")),
			From: intOr(prop(r, "fromPort"), 0), To: intOr(prop(r, "toPort"), 65535), Allow: strings.EqualFold(str(r, "ruleAction"), "allow")}
		nr.CIDR, _ = parsePrefix(firstNonEmpty(str(r, "cidrBlock"), str(r, "ipv6CidrBlock")))
		n.Rules = append(n.Rules, nr)
	})
	m.assignNACLs(rs, naclOrder, defaultNacl)
}

// assignNACLs gives every subnet its NACL: the first of order (in graph
// order) or association that claims it, noting a subnet claimed twice, else
// its VPC's managed default NACL (from defaults, by VPC id). It sorts each
// NACL's rules by number.
func (m *Model) assignNACLs(rs resourcesByType, order []*NACL, defaults map[string]*NACL) {
	claim := func(n *NACL, sid string) {
		s := m.Subnets[sid]
		if s == nil {
			return
		}
		if s.NACL != "" && s.NACL != n.ID {
			m.note("subnet %s is claimed by NACLs %s and %s; AWS keeps one association (the model takes %s)", s.Name, m.NACLs[s.NACL].Name, n.Name, n.Name)
		}
		s.NACL = n.ID
	}
	for _, n := range order {
		sort.SliceStable(n.Rules, func(i, j int) bool { return n.Rules[i].Num < n.Rules[j].Num })
		for _, sid := range n.Subnets {
			claim(n, sid)
		}
	}
	rs.each(awstype.NetworkAclAssociation, func(r *graph.Resource) {
		if n := m.NACLs[str(r, "networkAclId")]; n != nil {
			n.Subnets = append(n.Subnets, str(r, "subnetId"))
			claim(n, str(r, "subnetId"))
		}
	})
	for _, s := range m.Subnets {
		if d := defaults[s.VPC]; d != nil && s.NACL == "" {
			s.NACL = d.ID
		}
	}
}

// readInstances reads the EC2 instances and whether each has a public
// address (its own, an Elastic IP, or its subnet's default).
func (m *Model) readInstances(rs resourcesByType) {
	eipFor := map[string]bool{}
	rs.each(awstype.Eip, func(r *graph.Resource) {
		if id := str(r, "instance"); id != "" {
			eipFor[id] = true
		}
	})
	rs.each(awstype.EipAssociation, func(r *graph.Resource) {
		if id := str(r, "instanceId"); id != "" {
			eipFor[id] = true
		}
	})
	rs.each(awstype.Instance, func(r *graph.Resource) {
		in := &Instance{ID: resID(r), Name: firstNonEmpty(tag(r, "Name"), r.Name), Role: strings.ToLower(tag(r, "Role")), Subnet: str(r, "subnetId"),
			SGs: asStrings(prop(r, "vpcSecurityGroupIds")), Profile: str(r, "iamInstanceProfile"), Type: str(r, "instanceType"), KeyName: str(r, "keyName"), Account: m.acct(r), Res: r}
		if len(in.SGs) == 0 {
			in.SGs = asStrings(prop(r, "securityGroups"))
		}
		if a, err := netip.ParseAddr(str(r, "privateIp")); err == nil {
			in.PrivateIP = a
		}
		s := m.Subnets[in.Subnet]
		pub := prop(r, "associatePublicIpAddress")
		switch {
		case str(r, "publicIp") != "":
			in.PublicIP = true
		case eipFor[in.ID]:
			in.PublicIP = true
		case pub != nil:
			in.PublicIP = boolOr(pub, false)
		case s != nil:
			in.PublicIP = s.MapPublicIP
		}
		if s == nil {
			m.note("instance %s: subnet %q not in the graph", in.Name, in.Subnet)
		}
		in.State = notRunning(str(r, "instanceState"))
		m.Insts[in.ID] = in
		m.instList = append(m.instList, in)
	})
	rs.each(awstype.InstanceState, func(r *graph.Resource) {
		if in := m.Insts[str(r, "instanceId")]; in != nil && in.State == "" {
			in.State = notRunning(str(r, "state"))
		}
	})
}

// notRunning is state unless it is running (or about to be), else "".
func notRunning(state string) string {
	if state == "" || state == "running" || state == "pending" {
		return ""
	}
	return state
}

// readPeerings reads the VPC peering connections and whether each is
// active: within one account, its acceptStatus is "active" or it is
// auto-accepted; across accounts (and within one too), an accepter in the
// peer's account accepted it.
func (m *Model) readPeerings(rs resourcesByType) {
	type accepter struct {
		name, account string
		ok            bool
	}
	accepters := map[string][]accepter{}
	rs.each(awstype.VpcPeeringConnectionAccepter, func(r *graph.Resource) {
		// acceptStatus, when the state has it, is AWS's word; a plan has
		// only the request to accept.
		st := str(r, "acceptStatus")
		ok := st == "active" || (st == "" && boolOr(prop(r, "autoAccept"), false))
		id := str(r, "vpcPeeringConnectionId")
		accepters[id] = append(accepters[id], accepter{nameOf(r), m.acct(r), ok})
	})
	rs.each(awstype.VpcPeeringConnection, func(r *graph.Resource) {
		p := &Peering{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), Peer: str(r, "peerVpcId"), Account: m.acct(r)}
		p.PeerAccount = firstNonEmpty(str(r, "peerOwnerId"), p.Account)
		m.Peers[p.ID] = p
		if a := m.vpcAccount(p.VPC); crossAccount(a, p.Account) {
			p.Why = fmt.Sprintf("peering %s is requested from account %s, but its VPC %s is in account %s", p.Name, p.Account, m.vpcName(p.VPC), a)
			return
		}
		if a := m.vpcAccount(p.Peer); crossAccount(a, p.PeerAccount) {
			p.Why = fmt.Sprintf("peering %s names peerOwnerId %s, but VPC %s is in account %s", p.Name, p.PeerAccount, m.vpcName(p.Peer), a)
			return
		}
		// Within one account the requester's own word counts; across
		// accounts only the peer's accepter does (the requester's
		// acceptStatus is what it was when the stack created it, and a plan
		// makes it up).
		cross := crossAccount(p.Account, p.PeerAccount)
		if !cross && (str(r, "acceptStatus") == "active" || boolOr(prop(r, "autoAccept"), false)) {
			p.Active = true
			return
		}
		var wrong []string
		for _, a := range accepters[p.ID] {
			switch {
			case crossAccount(a.account, p.PeerAccount):
				wrong = append(wrong, fmt.Sprintf("accepter %s is in account %s, not the peer's %s", a.name, a.account, p.PeerAccount))
			case a.ok:
				p.Active = true
				if cross {
					p.Consent = fmt.Sprintf("accepted in account %s by %s", p.PeerAccount, a.name)
				}
				return
			default:
				wrong = append(wrong, fmt.Sprintf("accepter %s has not accepted it (autoAccept off, or acceptStatus not active)", a.name))
			}
		}
		switch {
		case len(wrong) > 0:
			p.Why = fmt.Sprintf("peering %s is not accepted: %s", p.Name, strings.Join(wrong, "; "))
		case cross:
			p.Why = fmt.Sprintf("peering %s is requested from account %s to account %s (peerOwnerId) and not accepted: no aws:ec2/vpcPeeringConnectionAccepter in account %s accepts it", p.Name, p.Account, p.PeerAccount, p.PeerAccount)
		default:
			p.Why = fmt.Sprintf("peering %s is not accepted (no autoAccept or accepter)", p.Name)
		}
	})
}

// readTransitGateways reads the transit gateways, their VPC attachments and
// route tables: associations, propagations (explicit or through the
// gateway's default table) and static routes.
func (m *Model) readTransitGateways(rs resourcesByType) {
	rs.each(awstype.TransitGateway, func(r *graph.Resource) {
		t := &TGW{ID: resID(r), Name: nameOf(r), ARN: str(r, "arn"), Account: m.acct(r), Res: r,
			AutoAccept:   boolOr(prop(r, "autoAcceptSharedAttachments"), false),
			DefaultAssoc: boolOr(prop(r, "defaultRouteTableAssociation"), true),
			DefaultProp:  boolOr(prop(r, "defaultRouteTablePropagation"), true),
			SGRef:        boolOr(prop(r, "securityGroupReferencingSupport"), false)}
		m.TGWs[t.ID] = t
	})
	rs.each(awstype.TgwRouteTable, func(r *graph.Resource) {
		m.TGWRTs[resID(r)] = &TGWRouteTable{ID: resID(r), Name: nameOf(r), TGW: str(r, "transitGatewayId")}
	})
	// An accepter (in the gateway's account) accepts an attachment made
	// from another account; what refers to it by its id means the
	// attachment (a state gives both one id, a plan two).
	accepters := map[string]*graph.Resource{}
	alias := map[string]string{}
	rs.each(awstype.TgwVpcAttachmentAccepter, func(r *graph.Resource) {
		id := str(r, "transitGatewayAttachmentId")
		accepters[id] = r
		alias[resID(r)] = id
	})
	attachment := func(id string) string { return firstNonEmpty(alias[id], id) }
	rs.each(awstype.TgwVpcAttachment, func(r *graph.Resource) {
		a := &TGWAttachment{ID: resID(r), Name: nameOf(r), TGW: str(r, "transitGatewayId"), VPC: str(r, "vpcId"), Subnets: asStrings(prop(r, "subnetIds")), Account: m.acct(r), Usable: true}
		m.Attachs[a.ID] = a
		t := m.TGWs[a.TGW]
		if t == nil {
			return
		}
		acc := accepters[a.ID]
		if crossAccount(a.Account, t.Account) {
			m.checkSharedAttachment(a, t, acc)
		}
		// The default route table settings are the accepter's, for an
		// attachment it accepts.
		settings := r
		if acc != nil {
			settings = acc
		}
		def := firstNonEmpty(str(t.Res, "associationDefaultRouteTableId"), t.ID+"/default")
		if t.DefaultAssoc && boolOr(prop(settings, "transitGatewayDefaultRouteTableAssociation"), true) {
			m.tgwDefaultRT(t, def).Assocs = append(m.tgwDefaultRT(t, def).Assocs, a.ID)
		}
		pdef := firstNonEmpty(str(t.Res, "propagationDefaultRouteTableId"), def)
		if t.DefaultProp && boolOr(prop(settings, "transitGatewayDefaultRouteTablePropagation"), true) {
			m.tgwDefaultRT(t, pdef).Props = append(m.tgwDefaultRT(t, pdef).Props, a.ID)
		}
	})
	rs.each(awstype.TgwRouteTableAssociation, func(r *graph.Resource) {
		if t := m.TGWRTs[str(r, "transitGatewayRouteTableId")]; t != nil {
			t.Assocs = append(t.Assocs, attachment(str(r, "transitGatewayAttachmentId")))
		}
	})
	rs.each(awstype.TgwRouteTablePropagation, func(r *graph.Resource) {
		if t := m.TGWRTs[str(r, "transitGatewayRouteTableId")]; t != nil {
			t.Props = append(t.Props, attachment(str(r, "transitGatewayAttachmentId")))
		}
	})
	rs.each(awstype.TgwRoute, func(r *graph.Resource) {
		if t := m.TGWRTs[str(r, "transitGatewayRouteTableId")]; t != nil {
			p, ok := parsePrefix(str(r, "destinationCidrBlock"))
			if ok {
				t.Static = append(t.Static, TGWRoute{Dest: p, Attachment: attachment(str(r, "transitGatewayAttachmentId")), Blackhole: boolOr(prop(r, "blackhole"), false)})
			}
		}
	})
}

// checkSharedAttachment decides whether an attachment made from another
// account than its gateway's is usable: the gateway is shared with that
// account through RAM, and the attachment is accepted (by an accepter in
// the gateway's account, unless the gateway auto-accepts).
func (m *Model) checkSharedAttachment(a *TGWAttachment, t *TGW, acc *graph.Resource) {
	ok, why := m.sharedWith(t.ARN, t.ID, t.Account, a.Account)
	if !ok {
		a.Usable = false
		a.Why = fmt.Sprintf("attachment %s is made from account %s, but transit gateway %s (account %s) is not shared with it: %s", a.Name, a.Account, t.Name, t.Account, why)
		return
	}
	switch {
	case acc != nil && !crossAccount(m.acct(acc), t.Account):
		a.Consent = fmt.Sprintf("from account %s: the gateway %s, accepted by %s", a.Account, why, nameOf(acc))
	case acc == nil && t.AutoAccept:
		a.Consent = fmt.Sprintf("from account %s: the gateway %s, auto-accepted", a.Account, why)
	case acc == nil:
		a.Usable = false
		a.Why = fmt.Sprintf("attachment %s from account %s is not accepted: no aws:ec2transitgateway/vpcAttachmentAccepter for it in account %s, and transit gateway %s does not auto-accept shared attachments", a.Name, a.Account, t.Account, t.Name)
	case crossAccount(m.acct(acc), t.Account):
		a.Usable = false
		a.Why = fmt.Sprintf("attachment %s is accepted by %s in account %s, not by the gateway's account %s", a.Name, nameOf(acc), m.acct(acc), t.Account)
	}
}

// readLoadBalancers reads the load balancers, their target groups,
// listeners and registered targets.
func (m *Model) readLoadBalancers(rs resourcesByType) {
	rs.each(awstype.LoadBalancer, m.addLoadBalancer)
	rs.each(awstype.AlbLoadBalancer, m.addLoadBalancer)
	rs.each(awstype.TargetGroup, func(r *graph.Resource) {
		t := &TargetGroup{ID: resID(r), ARN: str(r, "arn"), Name: firstNonEmpty(str(r, "name"), r.Name), VPC: str(r, "vpcId"),
			Protocol: str(r, "protocol"), Port: intOr(prop(r, "port"), 0), Res: r}
		hc := asMapOrFirst(prop(r, "healthCheck"))
		t.HC = HealthCheck{Enabled: boolOr(hc["enabled"], true), Path: asString(hc["path"]), Port: firstNonEmpty(asString(hc["port"]), "traffic-port"), Protocol: firstNonEmpty(asString(hc["protocol"]), "HTTP")}
		m.TGs[t.ID] = t
		m.tgArn[t.ID] = t.ID
		if t.ARN != "" {
			m.tgArn[t.ARN] = t.ID
		}
	})
	rs.each(awstype.Listener, m.addListener)
	rs.each(awstype.TargetGroupAttachment, func(r *graph.Resource) {
		t := m.TGs[m.tgArn[str(r, "targetGroupArn")]]
		if t == nil {
			m.note("target group attachment %s: target group %q not in the graph", r.Name, str(r, "targetGroupArn"))
			return
		}
		t.Targets = append(t.Targets, Target{ID: str(r, "targetId"), Port: intOr(prop(r, "port"), 0)})
	})
}

// addLoadBalancer reads a load balancer (lb or alb module) with its access
// log setting.
func (m *Model) addLoadBalancer(r *graph.Resource) {
	l := &LoadBalancer{ID: resID(r), Name: firstNonEmpty(str(r, "name"), r.Name), ARN: str(r, "arn"), DNSName: str(r, "dnsName"), ZoneID: str(r, "zoneId"),
		Internal: boolOr(prop(r, "internal"), false), DropInvalid: boolOr(prop(r, "dropInvalidHeaderFields"), false),
		Type: firstNonEmpty(str(r, "loadBalancerType"), "application"), Subnets: asStrings(prop(r, "subnets")), SGs: asStrings(prop(r, "securityGroups")), Res: r}
	al := asMapOrFirst(prop(r, "accessLogs"))
	l.AccessLogs = AccessLogs{Enabled: boolOr(al["enabled"], false), Bucket: asString(al["bucket"]), Prefix: asString(al["prefix"])}
	// A state lists the subnets twice, as subnets and as subnetMappings.
	for _, sm := range asList(prop(r, "subnetMappings")) {
		if id := asString(asMap(sm)["subnetId"]); id != "" && !slices.Contains(l.Subnets, id) {
			l.Subnets = append(l.Subnets, id)
		}
	}
	m.LBs[l.ID] = l
	m.lbList = append(m.lbList, l)
	m.lbArn[l.ID] = l.ID
	if l.ARN != "" {
		m.lbArn[l.ARN] = l.ID
	}
}

// addListener reads a listener onto its load balancer, with the target
// groups its default actions forward to.
func (m *Model) addListener(r *graph.Resource) {
	l := m.LBs[m.lbArn[str(r, "loadBalancerArn")]]
	if l == nil {
		m.note("listener %s: load balancer %q not in the graph", r.Name, str(r, "loadBalancerArn"))
		return
	}
	li := &Listener{Name: r.Name, Port: intOr(prop(r, "port"), 0), Protocol: strings.ToUpper(str(r, "protocol"))}
	for _, a := range asList(prop(r, "defaultActions")) {
		am := asMap(a)
		switch asString(am["type"]) {
		case "forward":
			if id := m.tgArn[asString(am["targetGroupArn"])]; id != "" {
				li.TGs = append(li.TGs, id)
			}
			for _, tg := range asList(asMapOrFirst(am["forward"])["targetGroups"]) {
				if id := m.tgArn[asString(asMap(tg)["arn"])]; id != "" {
					li.TGs = append(li.TGs, id)
				}
			}
		case "redirect":
			li.Redirect = true
		}
	}
	l.Listeners = append(l.Listeners, li)
}

// readEndpoints reads the VPC endpoints (the region from a service name when
// nothing before gave it).
func (m *Model) readEndpoints(rs resourcesByType) {
	rs.each(awstype.VpcEndpoint, func(r *graph.Resource) {
		e := &Endpoint{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), Service: str(r, "serviceName"), Type: firstNonEmpty(str(r, "vpcEndpointType"), "Gateway"), Account: m.acct(r),
			PrivateDNS: boolOr(prop(r, "privateDnsEnabled"), false), Subnets: asStrings(prop(r, "subnetIds")), SGs: asStrings(prop(r, "securityGroupIds")),
			RouteTables: asStrings(prop(r, "routeTableIds")), Policy: asPolicyString(prop(r, "policy")), PrefixList: str(r, "prefixListId")}
		m.Vpces[e.ID] = e
		if m.Region == "" {
			if parts := strings.Split(e.Service, "."); len(parts) >= 4 && parts[0] == "com" {
				m.Region = parts[2]
			}
		}
	})
}

// readDNS reads the Route 53 zones, their VPC associations and records.
func (m *Model) readDNS(rs resourcesByType) {
	rs.each(awstype.Zone, func(r *graph.Resource) {
		z := &Zone{ID: firstNonEmpty(str(r, "zoneId"), resID(r)), Name: normName(str(r, "name")), Account: m.acct(r)}
		for _, v := range asList(prop(r, "vpcs")) {
			z.VPCs = append(z.VPCs, asString(asMap(v)["vpcId"]))
		}
		z.Private = len(z.VPCs) > 0
		m.Zones[z.ID] = z
		if resID(r) != z.ID {
			m.Zones[resID(r)] = z
		}
	})
	type authorization struct{ name, account string }
	auths := map[string][]authorization{} // "<zone id>|<vpc id>" → authorizations
	rs.each(awstype.VpcAssociationAuthorization, func(r *graph.Resource) {
		zid := str(r, "zoneId")
		if z := m.Zones[zid]; z != nil {
			zid = z.ID
		}
		k := zid + "|" + str(r, "vpcId")
		auths[k] = append(auths[k], authorization{nameOf(r), m.acct(r)})
	})
	rs.each(awstype.ZoneAssociation, func(r *graph.Resource) {
		z := m.Zones[str(r, "zoneId")]
		if z == nil {
			m.note("zone association %s: zone %q not in the graph", r.Name, str(r, "zoneId"))
			return
		}
		za := &ZoneAssoc{Name: r.Name, Zone: z.ID, VPC: str(r, "vpcId"), Account: m.acct(r), InForce: true}
		m.ZoneAssocs = append(m.ZoneAssocs, za)
		vpcAcct := firstNonEmpty(m.vpcAccount(za.VPC), za.Account)
		if crossAccount(vpcAcct, z.Account) {
			var wrong []string
			authorized := false
			for _, a := range auths[z.ID+"|"+za.VPC] {
				if crossAccount(a.account, z.Account) {
					wrong = append(wrong, fmt.Sprintf("authorization %s is in account %s, not the zone's", a.name, a.account))
				} else {
					authorized = true
				}
			}
			switch {
			case crossAccount(za.Account, vpcAcct):
				za.InForce = false
				za.Why = fmt.Sprintf("association %s of zone %s with VPC %s is made from account %s, but the VPC is in account %s: its owner must make it", za.Name, z.Name, m.vpcName(za.VPC), za.Account, vpcAcct)
			case !authorized:
				za.InForce = false
				za.Why = fmt.Sprintf("association %s of zone %s (account %s) with VPC %s (account %s) is not authorized: no aws:route53/vpcAssociationAuthorization for that zone and VPC in account %s", za.Name, z.Name, z.Account, m.vpcName(za.VPC), vpcAcct, z.Account)
				if len(wrong) > 0 {
					za.Why += " (" + strings.Join(wrong, "; ") + ")"
				}
			}
		}
		if za.InForce {
			z.VPCs = append(z.VPCs, za.VPC)
			z.Private = true
		}
	})
	rs.each(awstype.Record, func(r *graph.Resource) {
		rec := &Record{Name: normName(str(r, "name")), Zone: str(r, "zoneId"), Type: strings.ToUpper(str(r, "type")), Values: asStrings(prop(r, "records"))}
		if z := m.Zones[rec.Zone]; z != nil {
			rec.Zone = z.ID
			rec.FQDN = rec.Name
			if rec.Name != z.Name && !strings.HasSuffix(rec.Name, "."+z.Name) {
				rec.FQDN = rec.Name + "." + z.Name
			}
		} else {
			rec.FQDN = rec.Name
			m.note("record %s: zone %q not in the graph", r.Name, rec.Zone)
		}
		if a := asMapOrFirst(prop(r, "aliases")); a != nil {
			rec.AliasName = normName(asString(a["name"]))
			rec.AliasZone = asString(a["zoneId"])
		} else if a := asMapOrFirst(prop(r, "alias")); a != nil {
			rec.AliasName = normName(asString(a["name"]))
			rec.AliasZone = asString(a["zoneId"])
		}
		m.Records = append(m.Records, rec)
	})
}

// readIAM reads the managed policies, roles with their inline, attached and
// AWS managed policies, and instance profiles.
func (m *Model) readIAM(rs resourcesByType) {
	policies := map[string]string{}
	rs.each(awstype.IamPolicy, func(r *graph.Resource) {
		policies[resID(r)] = str(r, "policy")
		if a := str(r, "arn"); a != "" {
			policies[a] = str(r, "policy")
		}
	})
	rs.each(awstype.Role, func(r *graph.Resource) {
		ro := &Role{ID: resID(r), Name: firstNonEmpty(str(r, "name"), resID(r)), ARN: str(r, "arn"), Trust: asPolicyString(prop(r, "assumeRolePolicy")), Account: m.acct(r), Res: r}
		for _, ip := range asList(prop(r, "inlinePolicies")) {
			im := asMap(ip)
			if doc := asPolicyString(im["policy"]); doc != "" {
				ro.Policies = append(ro.Policies, PolicyDoc{Name: asString(im["name"]), JSON: doc})
			}
		}
		ro.ManagedArns = asStrings(prop(r, "managedPolicyArns"))
		for _, k := range []string{ro.ID, ro.Name, ro.ARN} {
			if k != "" {
				m.Roles[k] = ro
				m.acctRoles[ro.Account+"|"+k] = ro
			}
		}
		m.roleObjs = append(m.roleObjs, ro)
	})
	// Role names are an account's own: a role is looked up in the account
	// of what names it first.
	role := func(r *graph.Resource, name string) *Role {
		if ro := m.acctRoles[m.acct(r)+"|"+name]; ro != nil {
			return ro
		}
		return m.Roles[name]
	}
	rs.each(awstype.RolePolicy, func(r *graph.Resource) {
		if ro := role(r, str(r, "role")); ro != nil {
			ro.Policies = append(ro.Policies, PolicyDoc{Name: r.Name, JSON: asPolicyString(prop(r, "policy"))})
		} else {
			m.note("role policy %s: role %q not in the graph", r.Name, str(r, "role"))
		}
	})
	rs.each(awstype.RolePolicyAttachment, func(r *graph.Resource) {
		ro := role(r, str(r, "role"))
		if ro == nil {
			return
		}
		arn := str(r, "policyArn")
		if doc, ok := policies[arn]; ok {
			ro.Policies = append(ro.Policies, PolicyDoc{Name: r.Name, JSON: doc})
		} else {
			ro.ManagedArns = append(ro.ManagedArns, arn)
		}
	})
	rs.each(awstype.InstanceProfile, func(r *graph.Resource) {
		name := str(r, "role")
		ro := role(r, name)
		if ro != nil {
			name = ro.Name
		}
		for _, k := range []string{resID(r), str(r, "name"), str(r, "arn")} {
			if k != "" {
				m.Profile[k] = name
				if ro != nil {
					m.acctProfiles[m.acct(r)+"|"+k] = ro
				}
			}
		}
	})
}

// readLambda reads the functions, their log groups, permissions (the
// function's resource policy) and URLs.
func (m *Model) readLambda(rs resourcesByType) {
	rs.each(awstype.Function, func(r *graph.Resource) {
		m.Funcs = append(m.Funcs, &Function{Name: firstNonEmpty(str(r, "name"), r.Name), ARN: str(r, "arn"), Runtime: str(r, "runtime"), Role: str(r, "role"), Account: m.acct(r), Res: r})
		if m.Region == "" {
			if parts := strings.Split(str(r, "arn"), ":"); len(parts) > 4 {
				m.Region = parts[3]
			}
		}
	})
	rs.each(awstype.LogGroup, func(r *graph.Resource) { m.Logs[str(r, "name")] = intOr(prop(r, "retentionInDays"), 0) })
	rs.each(awstype.LambdaPermission, func(r *graph.Resource) {
		m.LambdaPerms = append(m.LambdaPerms, &LambdaPermission{Name: r.Name, Function: str(r, "function"), Action: str(r, "action"), Account: m.acct(r),
			Principal: str(r, "principal"), SourceArn: str(r, "sourceArn"), SourceAccount: str(r, "sourceAccount"),
			PrincipalOrg: str(r, "principalOrgId"), FunctionURLAuthType: str(r, "functionUrlAuthType")})
	})
	rs.each(awstype.FunctionUrl, func(r *graph.Resource) {
		m.FuncURLs = append(m.FuncURLs, &FunctionURL{Name: r.Name, Function: str(r, "functionName"), AuthType: str(r, "authorizationType")})
	})
}

// readFlowLogs reads the flow logs (after the buckets they may deliver to).
func (m *Model) readFlowLogs(rs resourcesByType) {
	rs.each(awstype.FlowLog, func(r *graph.Resource) {
		f := &FlowLog{Name: nameOf(r), VPC: str(r, "vpcId"), DestType: firstNonEmpty(str(r, "logDestinationType"), "cloud-watch-logs"),
			Dest: firstNonEmpty(str(r, "logDestination"), str(r, "logGroupName")), Traffic: str(r, "trafficType")}
		if f.DestType == "s3" {
			f.Bucket = m.bucketOfArn(f.Dest)
		}
		m.FlowLogs = append(m.FlowLogs, f)
		if f.VPC != "" {
			m.Flows[f.VPC] = true
		}
	})
}

// readAdminAccess reads the key pairs and EC2 Instance Connect Endpoints.
func (m *Model) readAdminAccess(rs resourcesByType) {
	rs.each(awstype.KeyPair, func(r *graph.Resource) {
		m.KeyPairs = append(m.KeyPairs, &KeyPair{Name: r.Name, KeyName: firstNonEmpty(str(r, "keyName"), resID(r)), PublicKey: str(r, "publicKey")})
	})
	rs.each(awstype.InstanceConnectEndpoint, func(r *graph.Resource) {
		e := &ConnectEndpoint{ID: resID(r), Name: nameOf(r), VPC: str(r, "vpcId"), Subnet: str(r, "subnetId"),
			SGs: asStrings(prop(r, "securityGroupIds")), PreserveClientIP: boolOr(prop(r, "preserveClientIp"), true)}
		if s := m.Subnets[e.Subnet]; s != nil {
			e.VPC = s.VPC
		} else {
			m.note("instance connect endpoint %s: subnet %q not in the graph", e.Name, e.Subnet)
		}
		m.EICEs = append(m.EICEs, e)
	})
}

// inferRegion takes the region from the subnets' zones when no ARN or
// service name gave it.
func (m *Model) inferRegion() {
	if m.Region == "" {
		for _, s := range m.Subnets {
			if len(s.AZ) > 1 {
				m.Region = strings.TrimRight(s.AZ, "abcdefghijklmnopqrstuvwxyz")
				break
			}
		}
	}
}

func (m *Model) tgwDefaultRT(t *TGW, id string) *TGWRouteTable {
	if rt := m.TGWRTs[id]; rt != nil {
		return rt
	}
	rt := &TGWRouteTable{ID: id, Name: t.Name + " default route table", TGW: t.ID}
	m.TGWRTs[id] = rt
	return rt
}

func (m *Model) classifyRoute(p netip.Prefix, e map[string]any, res string) Route {
	r := Route{Dest: p, Res: res, Kind: "other"}
	get := func(k string) string { return asString(e[k]) }
	switch {
	case get("vpcPeeringConnectionId") != "":
		r.Kind, r.Target = "pcx", get("vpcPeeringConnectionId")
	case get("transitGatewayId") != "":
		r.Kind, r.Target = "tgw", get("transitGatewayId")
	case get("natGatewayId") != "":
		r.Kind, r.Target = "nat", get("natGatewayId")
	case get("vpcEndpointId") != "":
		r.Kind, r.Target = "vpce", get("vpcEndpointId")
	case get("networkInterfaceId") != "":
		r.Kind, r.Target = "eni", get("networkInterfaceId")
	case get("gatewayId") == "local":
		r.Kind, r.Target = "local", "local"
	case get("gatewayId") != "":
		g := get("gatewayId")
		r.Target = g
		switch {
		case m.igwIDs[g] || strings.HasPrefix(g, "igw-"):
			r.Kind = "igw"
		case strings.HasPrefix(g, "vgw-"):
			r.Kind = "vgw"
		case strings.HasPrefix(g, "vpce-"):
			r.Kind = "vpce"
		default:
			r.Kind = "igw?" // unknown gateway: treated as an internet gateway only if one with that id exists
		}
	default:
		for _, k := range []string{"egressOnlyGatewayId", "localGatewayId", "carrierGatewayId"} {
			if get(k) != "" {
				r.Target = get(k)
			}
		}
	}
	return r
}

func (m *Model) inlineSGRules(sg *SG, r *graph.Resource) {
	for _, dir := range []struct {
		key    string
		egress bool
	}{{"ingress", false}, {"egress", true}} {
		for _, e := range asList(prop(r, dir.key)) {
			em := asMap(e)
			base := SGRule{Egress: dir.egress, Proto: normProto(asString(em["protocol"])), From: intOr(em["fromPort"], -1), To: intOr(em["toPort"], -1),
				Desc: asString(em["description"]), Res: sg.Name + " (inline)"}
			sg.Rules = append(sg.Rules, expandRule(base, em["cidrBlocks"], em["ipv6CidrBlocks"], asStrings(em["securityGroups"]), boolOr(em["self"], false), sg.ID, asStrings(em["prefixListIds"]))...)
		}
	}
}

func expandRule(base SGRule, cidrs, cidrs6 any, sgs []string, self bool, selfID string, pls []string) []*SGRule {
	var out []*SGRule
	for _, c := range append(asStrings(cidrs), asStrings(cidrs6)...) {
		r := base
		r.CIDR, _ = parsePrefix(c)
		out = append(out, &r)
	}
	if self {
		sgs = append(sgs, selfID)
	}
	for _, s := range sgs {
		r := base
		r.RefSG = s
		out = append(out, &r)
	}
	for _, p := range pls {
		r := base
		r.PrefixList = p
		out = append(out, &r)
	}
	return out
}

func inlineNacl(v any, egress bool) []NACLRule {
	var out []NACLRule
	for _, e := range asList(v) {
		em := asMap(e)
		nr := NACLRule{Num: intOr(em["ruleNo"], intOr(em["ruleNumber"], 0)), Egress: egress, Proto: normProto(asString(em["protocol"])),
			From: intOr(em["fromPort"], 0), To: intOr(em["toPort"], 65535), Allow: strings.EqualFold(asString(firstNonNil(em["action"], em["ruleAction"])), "allow")}
		nr.CIDR, _ = parsePrefix(firstNonEmpty(asString(em["cidrBlock"]), asString(em["ipv6CidrBlock"])))
		out = append(out, nr)
	}
	return out
}

func normProto(p string) string {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "", "-1", "all":
		return "-1"
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	case "1", "icmp":
		return "icmp"
	}
	return strings.ToLower(p)
}

func normName(s string) string { return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")) }

func nameOf(r *graph.Resource) string {
	if n := tag(r, "Name"); n != "" {
		return n
	}
	return r.Name
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func firstNonNil(v ...any) any {
	for _, x := range v {
		if x != nil {
			return x
		}
	}
	return nil
}

func asPolicyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if m := asMap(v); m != nil {
		b, _ := jsonMarshal(m)
		return string(b)
	}
	return ""
}

// Lookups used by the checks.

func (m *Model) vpcName(id string) string {
	if v := m.VPCs[id]; v != nil {
		return v.Name
	}
	return id
}

func (m *Model) sgName(id string) string {
	if s := m.SGs[id]; s != nil {
		return s.Name
	}
	return id
}

func (m *Model) subnetName(id string) string {
	if s := m.Subnets[id]; s != nil {
		return s.Name
	}
	return id
}

// instVPC returns the VPC id of an instance ("" when its subnet is unknown).
func (m *Model) instVPC(in *Instance) string {
	if s := m.Subnets[in.Subnet]; s != nil {
		return s.VPC
	}
	return ""
}

// isPrivate reports whether a subnet is private: tagged so, or (untagged) with
// no route to an internet gateway.
func (m *Model) isPrivate(s *Subnet) bool {
	switch s.Tier {
	case "private":
		return true
	case "public":
		return false
	}
	if rt := m.RTs[s.RouteTable]; rt != nil {
		for _, r := range rt.Routes {
			if r.Kind == "igw" {
				return false
			}
		}
	}
	return true
}

// Instances returns the instances in registration order.
func (m *Model) Instances() []*Instance { return m.instList }

// LoadBalancers returns the load balancers in registration order.
func (m *Model) LoadBalancers() []*LoadBalancer { return m.lbList }

// VPCList returns the VPCs in registration order.
func (m *Model) VPCList() []*VPC { return m.vpcList }

// RoleOf resolves instance → profile → role (nil when the graph has none).
func (m *Model) RoleOf(in *Instance) *Role { return m.roleOfInstance(in) }

// roleOfInstance resolves instance → profile → role, the profile in the
// instance's account.
func (m *Model) roleOfInstance(in *Instance) *Role {
	if in.Profile == "" {
		return nil
	}
	if ro := m.acctProfiles[in.Account+"|"+in.Profile]; ro != nil {
		return ro
	}
	rn, ok := m.Profile[in.Profile]
	if !ok {
		return nil
	}
	return m.Roles[rn]
}

// buildBuckets reads S3 buckets and their satellite resources (public access
// block, ownership controls, encryption, lifecycle, policy, ACL).
func (m *Model) buildBuckets(rs resourcesByType) {
	rs.each(awstype.Bucket, m.addBucket)
	rs.each(awstype.BucketV2, m.addBucket)
	of := func(r *graph.Resource) *Bucket {
		b := m.Buckets[str(r, "bucket")]
		if b == nil {
			m.note("%s %s: bucket %q not in the graph", r.Type[strings.LastIndex(r.Type, ":")+1:], r.Name, str(r, "bucket"))
		}
		return b
	}
	rs.each(awstype.BucketPublicAccessBlock, func(r *graph.Resource) {
		if b := of(r); b != nil {
			for _, k := range PABKeys {
				b.PAB[k] = boolOr(prop(r, k), false)
			}
		}
	})
	rs.each(awstype.BucketOwnershipControls, func(r *graph.Resource) {
		if b := of(r); b != nil {
			b.Ownership = asString(asMapOrFirst(prop(r, "rule"))["objectOwnership"])
		}
	})
	sse := func(r *graph.Resource) {
		if b := of(r); b != nil {
			if alg := sseAlgorithm(map[string]any{"rules": prop(r, "rules")}); alg != "" {
				b.SSE = alg
			}
		}
	}
	rs.each(awstype.BucketServerSideEncryptionConfiguration, sse)
	rs.each(awstype.BucketServerSideEncryptionConfigurationV2, sse)
	lc := func(r *graph.Resource) {
		if b := of(r); b != nil {
			for _, rule := range asList(prop(r, "rules")) {
				rm := asMap(rule)
				if !strings.EqualFold(asString(rm["status"]), "Enabled") {
					continue
				}
				if d := intOr(asMapOrFirst(rm["expiration"])["days"], 0); d > 0 && (b.ExpireDays == 0 || d < b.ExpireDays) {
					b.ExpireDays = d
				}
			}
		}
	}
	rs.each(awstype.BucketLifecycleConfiguration, lc)
	rs.each(awstype.BucketLifecycleConfigurationV2, lc)
	rs.each(awstype.BucketPolicy, func(r *graph.Resource) {
		if b := of(r); b != nil {
			b.Policy = asPolicyString(prop(r, "policy"))
		}
	})
	acl := func(r *graph.Resource) {
		if b := of(r); b != nil {
			b.ACL = str(r, "acl")
		}
	}
	rs.each(awstype.BucketAcl, acl)
	rs.each(awstype.BucketAclV2, acl)
}

// addBucket reads an S3 bucket with the settings the bucket resource itself
// may carry.
func (m *Model) addBucket(r *graph.Resource) {
	b := &Bucket{ID: resID(r), Name: firstNonEmpty(str(r, "bucket"), resID(r)), ARN: str(r, "arn"), PAB: map[string]bool{}, Res: r}
	if b.ARN == "" {
		b.ARN = "arn:aws:s3:::" + b.Name
	}
	// Settings the bucket resource itself may carry (deprecated inline
	// blocks, and what a deployed state reads back).
	b.Policy = asPolicyString(prop(r, "policy"))
	b.ACL = str(r, "acl")
	for _, k := range []string{"serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"} {
		if alg := sseAlgorithm(prop(r, k)); alg != "" {
			b.SSE = alg
		}
	}
	for _, lr := range asList(prop(r, "lifecycleRules")) {
		lm := asMap(lr)
		if boolOr(lm["enabled"], false) {
			if d := intOr(asMapOrFirst(firstNonNil(lm["expiration"], lm["expirations"]))["days"], 0); d > 0 {
				b.ExpireDays = d
			}
		}
	}
	for _, k := range []string{b.ID, b.Name, b.ARN} {
		m.Buckets[k] = b
	}
	m.bucketList = append(m.bucketList, b)
}

// sseAlgorithm digs the default encryption algorithm out of an encryption
// configuration: {rules|rule: [{applyServerSideEncryptionByDefault(s): {sseAlgorithm}}]}.
func sseAlgorithm(v any) string {
	for _, c := range append(asList(v), asMap(v)) {
		cm := asMap(c)
		for _, rk := range []string{"rules", "rule"} {
			for _, rule := range append(asList(cm[rk]), asMap(cm[rk])) {
				rm := asMap(rule)
				for _, dk := range []string{"applyServerSideEncryptionByDefault", "applyServerSideEncryptionByDefaults"} {
					if alg := asString(asMapOrFirst(rm[dk])["sseAlgorithm"]); alg != "" {
						return alg
					}
				}
			}
		}
	}
	return ""
}

// bucketOfArn returns the bucket an S3 ARN (of the bucket or of a key in it)
// names, nil when it is not in the graph.
func (m *Model) bucketOfArn(arn string) *Bucket {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return nil
	}
	name, _, _ := strings.Cut(rest, "/")
	return m.Buckets[name]
}

// BucketList returns the buckets in registration order.
func (m *Model) BucketList() []*Bucket { return m.bucketList }

// LogBucket is the stack's log bucket: the one the load balancers' access
// logs or the flow logs go to, else the first bucket (nil when none).
func (m *Model) LogBucket() *Bucket {
	for _, lb := range m.lbList {
		if b := m.Buckets[lb.AccessLogs.Bucket]; b != nil && lb.AccessLogs.Enabled {
			return b
		}
	}
	for _, f := range m.FlowLogs {
		if f.Bucket != nil {
			return f.Bucket
		}
	}
	if len(m.bucketList) > 0 {
		return m.bucketList[0]
	}
	return nil
}
