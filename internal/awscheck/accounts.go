package awscheck

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ram"
	ramtypes "github.com/aws/aws-sdk-go-v2/service/ram/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumeRole returns clients that act in roleArn's account, with the
// credentials of an STS AssumeRole made with c's, on c's endpoint and in
// c's region. It fails when the role cannot be assumed. On the emulator,
// assumed-role credentials act in the account the role's ARN names.
func (c *Clients) AssumeRole(ctx context.Context, roleArn string) (*Clients, error) {
	if _, err := roleAccount(roleArn); err != nil {
		return nil, fmt.Errorf("assume role: %w", err)
	}
	cfg := c.cfg.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c.STS, roleArn,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "internal-alb-awscheck" }))
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("assume role %s: %w", roleArn, err)
	}
	out := FromConfig(cfg)
	if c.pathStyle {
		out = emulated(out)
	}
	return out, nil
}

// AccountID is the account the clients act in (STS GetCallerIdentity).
func (c *Clients) AccountID(ctx context.Context) (string, error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("get caller identity: %w", err)
	}
	return aws.ToString(out.Account), nil
}

// accountID is a bare account id.
var accountID = regexp.MustCompile(`^\d{12}$`)

// iamArn is an IAM ARN: arn:<partition>:iam::<account>:<resource>.
var iamArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):(.+)$`)

// roleAccount is the account of an IAM role's ARN.
func roleAccount(roleArn string) (string, error) {
	m := iamArn.FindStringSubmatch(roleArn)
	if m == nil || !strings.HasPrefix(m[2], "role/") {
		return "", fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", roleArn)
	}
	return m[1], nil
}

// principalAccount is the account of an AWS principal as policies name it
// (an IAM ARN or a bare account id), and whether it names the whole account
// rather than one role or user.
func principalAccount(p string) (account string, whole bool) {
	if accountID.MatchString(p) {
		return p, true
	}
	if m := iamArn.FindStringSubmatch(p); m != nil {
		return m[1], m[2] == "root"
	}
	return "", false
}

// ConsumerExpect is one consumer VPC, as the stack's config and outputs say
// it should be connected.
type ConsumerExpect struct {
	Name string // "bar"
	// VpcID is the consumer's VPC as configured: "" for a VPC the stack
	// created, which ConsumerAccountChecks then finds by Cidr and whose
	// route tables tagged Tier=private it checks. ServiceAccountChecks
	// needs the id in every case (see ConsumerVpcID).
	VpcID string
	// SubnetIDs are the subnets configured for an existing VPC (none: its
	// private subnets, whose route table has no route to an internet
	// gateway).
	SubnetIDs         []string
	Cidr, ServiceCidr string
	// ServiceAccount and Account are the accounts of the service VPC (and
	// zone and function) and of the consumer.
	ServiceAccount, Account string
	Connectivity            string // "peering" or "transitGateway"
	FunctionArn             string
	ZoneName                string // "home"
	// InvokerRoleArn is the consumer account's invoker role, when known;
	// else any single role of Account passes.
	InvokerRoleArn string
}

func (e ConsumerExpect) crossAccount() bool {
	return e.Account != "" && e.Account != e.ServiceAccount
}

// checks collects one side's problems, each prefixed with the consumer and
// the account it was seen from.
type checks struct {
	prefix string
	errs   []error
}

func newChecks(side string, exp ConsumerExpect) *checks {
	return &checks{prefix: fmt.Sprintf("consumer %s, %s account: ", exp.Name, side)}
}

func (k *checks) bad(check, format string, args ...any) {
	k.errs = append(k.errs, fmt.Errorf("%s%s: %s", k.prefix, check, fmt.Sprintf(format, args...)))
}

// ConsumerVpcID is the consumer's VPC id: exp.VpcID, or the id of the VPC
// with exp.Cidr; c must act in the consumer's account. ServiceAccountChecks
// needs it; ConsumerAccountChecks should keep the VpcID of the config
// (empty for a VPC the stack created).
func (c *Clients) ConsumerVpcID(ctx context.Context, exp ConsumerExpect) (string, error) {
	vpc, err := c.consumerVpc(ctx, exp)
	if err != nil {
		return "", err
	}
	return aws.ToString(vpc.VpcId), nil
}

func (c *Clients) consumerVpc(ctx context.Context, exp ConsumerExpect) (ec2types.Vpc, error) {
	in := &ec2.DescribeVpcsInput{}
	if exp.VpcID != "" {
		in.VpcIds = []string{exp.VpcID}
	} else {
		in.Filters = []ec2types.Filter{{Name: aws.String("cidr"), Values: []string{exp.Cidr}}}
	}
	out, err := c.EC2.DescribeVpcs(ctx, in)
	if err != nil {
		return ec2types.Vpc{}, fmt.Errorf("consumer %s: describe VPC %s%s: %w", exp.Name, exp.VpcID, exp.Cidr, err)
	}
	var found []ec2types.Vpc
	for _, v := range out.Vpcs {
		if !aws.ToBool(v.IsDefault) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		return ec2types.Vpc{}, fmt.Errorf("consumer %s: want 1 VPC %s%s, found %d", exp.Name, exp.VpcID, exp.Cidr, len(found))
	}
	return found[0], nil
}

// ConsumerAccountChecks checks, with the consumer account's clients, what
// the consumer's account should hold: its VPC's connected route tables
// route the service's block to an active peering connection requested by
// the service account (or to the service account's transit gateway, with
// this VPC's attachment available); one Lambda interface endpoint whose
// policy lets only an invoker role of this account invoke the function;
// that role, trusted by EC2, with an instance profile and no other right;
// and the zone, of the service account, among the VPC's zones.
func (c *Clients) ConsumerAccountChecks(ctx context.Context, exp ConsumerExpect) []error {
	k := newChecks("consumer", exp)
	vpc, err := c.consumerVpc(ctx, exp)
	if err != nil {
		return []error{err}
	}
	vpcID := aws.ToString(vpc.VpcId)
	if owner := aws.ToString(vpc.OwnerId); exp.Account != "" && owner != exp.Account {
		k.bad("VPC owner", "%s is owned by %s, want %s", vpcID, owner, exp.Account)
	}
	if got := aws.ToString(vpc.CidrBlock); exp.Cidr != "" && got != exp.Cidr {
		k.bad("VPC block", "%s is %s, want %s", vpcID, got, exp.Cidr)
	}
	c.consumerRoutes(ctx, k, exp, vpcID)
	c.consumerEndpoint(ctx, k, exp, vpcID)
	c.consumerZone(ctx, k, exp, vpcID)
	return k.errs
}

// connectedTables are the route tables that should route to the service:
// the private tier's of a VPC the stack created; for an existing VPC, those
// of its configured subnets, or of its private ones.
func (c *Clients) connectedTables(ctx context.Context, exp ConsumerExpect, vpcID string) ([]ec2types.RouteTable, error) {
	inVpc := ec2types.Filter{Name: aws.String("vpc-id"), Values: []string{vpcID}}
	if exp.VpcID == "" {
		out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
			inVpc, {Name: aws.String("tag:Tier"), Values: []string{"private"}},
		}})
		if err != nil {
			return nil, fmt.Errorf("describe route tables: %w", err)
		}
		return out.RouteTables, nil
	}
	out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{inVpc}})
	if err != nil {
		return nil, fmt.Errorf("describe route tables: %w", err)
	}
	subnets := exp.SubnetIDs
	if len(subnets) == 0 {
		sn, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{inVpc}})
		if err != nil {
			return nil, fmt.Errorf("describe subnets: %w", err)
		}
		for _, s := range sn.Subnets {
			subnets = append(subnets, aws.ToString(s.SubnetId))
		}
	}
	return tablesOf(out.RouteTables, subnets, len(exp.SubnetIDs) == 0), nil
}

// tablesOf are the route tables (of one VPC's tables) that serve subnets:
// each subnet's own, or the main table for a subnet without one; with
// privateOnly, a table that routes to an internet gateway is left out.
// Each table comes once, in the order of tables.
func tablesOf(tables []ec2types.RouteTable, subnets []string, privateOnly bool) []ec2types.RouteTable {
	own := map[string]string{} // subnet → table
	mainTable := ""
	for _, rt := range tables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				mainTable = aws.ToString(rt.RouteTableId)
			} else if s := aws.ToString(a.SubnetId); s != "" {
				own[s] = aws.ToString(rt.RouteTableId)
			}
		}
	}
	serving := map[string]bool{}
	for _, s := range subnets {
		if t, ok := own[s]; ok {
			serving[t] = true
		} else if mainTable != "" {
			serving[mainTable] = true
		}
	}
	var out []ec2types.RouteTable
	for _, rt := range tables {
		if serving[aws.ToString(rt.RouteTableId)] && !(privateOnly && routesToInternet(rt)) {
			out = append(out, rt)
		}
	}
	return out
}

func routesToInternet(rt ec2types.RouteTable) bool {
	for _, r := range rt.Routes {
		if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
			return true
		}
	}
	return false
}

func (c *Clients) consumerRoutes(ctx context.Context, k *checks, exp ConsumerExpect, vpcID string) {
	const check = "routes to the service"
	tables, err := c.connectedTables(ctx, exp, vpcID)
	if err != nil {
		k.bad(check, "%v", err)
		return
	}
	if len(tables) == 0 {
		k.bad(check, "VPC %s has no connected route table", vpcID)
		return
	}
	checked := map[string]bool{} // targets already checked
	for _, rt := range tables {
		id := aws.ToString(rt.RouteTableId)
		var route *ec2types.Route
		for i, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == exp.ServiceCidr {
				route = &rt.Routes[i]
			}
		}
		if route == nil {
			var have []string
			for _, r := range rt.Routes {
				have = append(have, Route{routeDestination(r), routeTarget(r), string(r.State)}.String())
			}
			k.bad(check, "route table %s has no route to %s; it has %v", id, exp.ServiceCidr, have)
			continue
		}
		target := routeTarget(*route)
		if route.State != ec2types.RouteStateActive {
			k.bad(check, "route table %s: the route to %s via %s is %s, want active", id, exp.ServiceCidr, target, route.State)
		}
		want := "pcx-"
		if exp.Connectivity == "transitGateway" {
			want = "tgw-"
		}
		if !strings.HasPrefix(target, want) {
			k.bad(check, "route table %s sends %s to %s, want a %s… target (%s)", id, exp.ServiceCidr, target, want, exp.Connectivity)
			continue
		}
		if checked[target] {
			continue
		}
		checked[target] = true
		if want == "pcx-" {
			c.consumerPeering(ctx, k, exp, vpcID, target)
		} else {
			c.consumerGateway(ctx, k, exp, vpcID, target)
		}
	}
}

func (c *Clients) consumerPeering(ctx context.Context, k *checks, exp ConsumerExpect, vpcID, pcxID string) {
	const check = "peering connection"
	out, err := c.EC2.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{pcxID}})
	if err != nil || len(out.VpcPeeringConnections) != 1 {
		k.bad(check, "describe %s: %d found (%v)", pcxID, lenOf(out, func(o *ec2.DescribeVpcPeeringConnectionsOutput) int { return len(o.VpcPeeringConnections) }), err)
		return
	}
	p := out.VpcPeeringConnections[0]
	if p.Status == nil || p.Status.Code != ec2types.VpcPeeringConnectionStateReasonCodeActive {
		k.bad(check, "%s is %s, want active", pcxID, peeringStatus(p))
	}
	req, acc := p.RequesterVpcInfo, p.AccepterVpcInfo
	if req == nil || acc == nil {
		k.bad(check, "%s lacks its requester or accepter", pcxID)
		return
	}
	if aws.ToString(req.OwnerId) != exp.ServiceAccount || aws.ToString(req.CidrBlock) != exp.ServiceCidr {
		k.bad(check, "%s is requested by %s (%s) in account %s, want the service VPC (%s) in account %s",
			pcxID, aws.ToString(req.VpcId), aws.ToString(req.CidrBlock), aws.ToString(req.OwnerId), exp.ServiceCidr, exp.ServiceAccount)
	}
	if aws.ToString(acc.VpcId) != vpcID || (exp.Account != "" && aws.ToString(acc.OwnerId) != exp.Account) {
		k.bad(check, "%s is accepted by %s in account %s, want %s in account %s", pcxID, aws.ToString(acc.VpcId), aws.ToString(acc.OwnerId), vpcID, exp.Account)
	}
}

func peeringStatus(p ec2types.VpcPeeringConnection) string {
	if p.Status == nil {
		return "without status"
	}
	return string(p.Status.Code)
}

func (c *Clients) consumerGateway(ctx context.Context, k *checks, exp ConsumerExpect, vpcID, tgwID string) {
	const check = "transit gateway"
	out, err := c.EC2.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{TransitGatewayIds: []string{tgwID}})
	if err != nil || len(out.TransitGateways) != 1 {
		k.bad(check, "describe %s: %d found (%v)", tgwID, lenOf(out, func(o *ec2.DescribeTransitGatewaysOutput) int { return len(o.TransitGateways) }), err)
		return
	}
	if g := out.TransitGateways[0]; aws.ToString(g.OwnerId) != exp.ServiceAccount || g.State != ec2types.TransitGatewayStateAvailable {
		k.bad(check, "%s is owned by %s and %s, want owned by the service account %s and available", tgwID, aws.ToString(g.OwnerId), g.State, exp.ServiceAccount)
	}
	atts, err := c.EC2.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{Filters: []ec2types.Filter{
		{Name: aws.String("transit-gateway-id"), Values: []string{tgwID}},
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
	}})
	if err != nil {
		k.bad(check, "describe attachments of %s to %s: %v", vpcID, tgwID, err)
		return
	}
	var states []string
	for _, a := range atts.TransitGatewayVpcAttachments {
		if a.State == ec2types.TransitGatewayAttachmentStateAvailable {
			return
		}
		states = append(states, aws.ToString(a.TransitGatewayAttachmentId)+" "+string(a.State))
	}
	k.bad(check, "no available attachment of %s to %s; found %v", vpcID, tgwID, states)
}

func (c *Clients) consumerEndpoint(ctx context.Context, k *checks, exp ConsumerExpect, vpcID string) {
	const check = "Lambda endpoint"
	service := fmt.Sprintf("com.amazonaws.%s.lambda", c.Region)
	out, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("service-name"), Values: []string{service}},
	}})
	if err != nil {
		k.bad(check, "describe endpoints: %v", err)
		return
	}
	var eps []ec2types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if e.State != ec2types.StateDeleted && e.State != ec2types.StateDeleting {
			eps = append(eps, e)
		}
	}
	if len(eps) != 1 {
		k.bad(check, "VPC %s has %d %s endpoints, want 1", vpcID, len(eps), service)
		return
	}
	e := eps[0]
	id := aws.ToString(e.VpcEndpointId)
	if e.VpcEndpointType != ec2types.VpcEndpointTypeInterface || !aws.ToBool(e.PrivateDnsEnabled) {
		k.bad(check, "%s is %s with private DNS %v, want Interface with private DNS", id, e.VpcEndpointType, aws.ToBool(e.PrivateDnsEnabled))
	}
	role, problem := endpointInvoker(decodePolicy(aws.ToString(e.PolicyDocument)), exp)
	if problem != "" {
		k.bad(check, "%s's policy %s: %s", id, problem, aws.ToString(e.PolicyDocument))
		return
	}
	c.invokerRole(ctx, k, exp, role)
}

// endpointInvoker reads the Lambda endpoint's policy: one statement that
// allows one role of the consumer's account lambda:InvokeFunction on the
// function, and nothing else. It returns the role's ARN, or what is wrong.
func endpointInvoker(doc string, exp ConsumerExpect) (string, string) {
	d, err := parseDoc(doc)
	if err != nil {
		return "", fmt.Sprintf("does not parse (%v)", err)
	}
	if len(d.Statement) != 1 {
		return "", fmt.Sprintf("has %d statements, want 1", len(d.Statement))
	}
	s := d.Statement[0]
	if s.Effect != "Allow" || !slices.Equal(list(s.Action), []string{"lambda:InvokeFunction"}) ||
		!slices.Equal(list(s.Resource), []string{exp.FunctionArn}) {
		return "", fmt.Sprintf("does not allow lambda:InvokeFunction on %s only", exp.FunctionArn)
	}
	principals := list(principalOf(s.Principal, "AWS"))
	if len(principals) != 1 {
		return "", fmt.Sprintf("allows %v, want one role", s.Principal)
	}
	role := principals[0]
	account, err := roleAccount(role)
	switch {
	case err != nil:
		return "", fmt.Sprintf("allows %s, not a role", role)
	case exp.Account != "" && account != exp.Account:
		return "", fmt.Sprintf("allows %s, a role of account %s, not of the consumer's %s", role, account, exp.Account)
	case exp.InvokerRoleArn != "" && role != exp.InvokerRoleArn:
		return "", fmt.Sprintf("allows %s, want the invoker role %s", role, exp.InvokerRoleArn)
	}
	return role, ""
}

// invokerRole checks the role the endpoint admits: trusted by EC2, in an
// instance profile, and allowed to invoke the function only.
func (c *Clients) invokerRole(ctx context.Context, k *checks, exp ConsumerExpect, roleArn string) {
	const check = "invoker role"
	name := roleArn[strings.LastIndex(roleArn, "/")+1:]
	r, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		k.bad(check, "get role %s: %v", name, err)
		return
	}
	if got := aws.ToString(r.Role.Arn); got != roleArn {
		k.bad(check, "role %s is %s, the endpoint admits %s", name, got, roleArn)
	}
	if err := checkTrust(aws.ToString(r.Role.AssumeRolePolicyDocument), "ec2.amazonaws.com"); err != nil {
		k.bad(check, "role %s: %v", name, err)
	}
	ps, err := c.IAM.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	if err != nil {
		k.bad(check, "instance profiles of %s: %v", name, err)
	} else if len(ps.InstanceProfiles) == 0 {
		k.bad(check, "role %s is in no instance profile", name)
	}
	for _, err := range c.checkInvokeOnly(ctx, name, exp.FunctionArn) {
		k.bad(check, "%v", err)
	}
}

func (c *Clients) consumerZone(ctx context.Context, k *checks, exp ConsumerExpect, vpcID string) {
	const check = "zone association"
	out, err := c.R53.ListHostedZonesByVPC(ctx, &route53.ListHostedZonesByVPCInput{
		VPCId: aws.String(vpcID), VPCRegion: r53types.VPCRegion(c.Region),
	})
	if err != nil {
		k.bad(check, "list hosted zones of %s: %v", vpcID, err)
		return
	}
	var seen []string
	for _, z := range out.HostedZoneSummaries {
		name := strings.TrimSuffix(aws.ToString(z.Name), ".")
		owner := ""
		if z.Owner != nil {
			owner = aws.ToString(z.Owner.OwningAccount) + aws.ToString(z.Owner.OwningService)
		}
		if name == exp.ZoneName && (exp.ServiceAccount == "" || owner == exp.ServiceAccount) {
			return
		}
		seen = append(seen, fmt.Sprintf("%s (%s, of %s)", name, aws.ToString(z.HostedZoneId), owner))
	}
	k.bad(check, "VPC %s is not associated with zone %s of account %s; its zones: %v", vpcID, exp.ZoneName, exp.ServiceAccount, seen)
}

// ServiceAccountChecks checks, with the service account's clients, what the
// service's account should hold for the consumer: the zone associated with
// the consumer's VPC in this region, and, for a consumer in another
// account, authorized to be; the function's resource policy letting the
// consumer's invoker role, and no wider principal, invoke it; the peering
// connection active and accepted by the consumer's account, or the transit
// gateway shared with that account through RAM and its attachment of the
// VPC accepted. exp.VpcID must be set (see ConsumerVpcID).
func (c *Clients) ServiceAccountChecks(ctx context.Context, exp ConsumerExpect) []error {
	k := newChecks("service", exp)
	if exp.VpcID == "" {
		k.bad("consumer VPC", "the VPC id is unknown: look it up with ConsumerVpcID in the consumer's account first")
		return k.errs
	}
	c.serviceZone(ctx, k, exp)
	if exp.crossAccount() {
		c.servicePermission(ctx, k, exp)
	}
	if exp.Connectivity == "transitGateway" {
		c.serviceGateway(ctx, k, exp)
	} else {
		c.servicePeering(ctx, k, exp)
	}
	return k.errs
}

func (c *Clients) serviceZone(ctx context.Context, k *checks, exp ConsumerExpect) {
	const check = "zone"
	zones, err := c.R53.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		k.bad(check, "list hosted zones: %v", err)
		return
	}
	zoneID := ""
	for _, z := range zones.HostedZones {
		if strings.TrimSuffix(aws.ToString(z.Name), ".") == exp.ZoneName && z.Config != nil && z.Config.PrivateZone {
			zoneID = strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/")
		}
	}
	if zoneID == "" {
		k.bad(check, "no private zone %s", exp.ZoneName)
		return
	}
	z, err := c.R53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		k.bad(check, "get hosted zone %s: %v", zoneID, err)
		return
	}
	if !hasVpc(z.VPCs, exp.VpcID, c.Region) {
		k.bad(check, "zone %s (%s) is not associated with %s in %s; it is with %v", exp.ZoneName, zoneID, exp.VpcID, c.Region, vpcList(z.VPCs))
	}
	if !exp.crossAccount() {
		return
	}
	auth, err := c.R53.ListVPCAssociationAuthorizations(ctx, &route53.ListVPCAssociationAuthorizationsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil {
		k.bad("zone authorization", "list authorizations of %s: %v", zoneID, err)
		return
	}
	if !hasVpc(auth.VPCs, exp.VpcID, c.Region) {
		k.bad("zone authorization", "zone %s (%s) does not authorize %s in %s; it authorizes %v", exp.ZoneName, zoneID, exp.VpcID, c.Region, vpcList(auth.VPCs))
	}
}

func hasVpc(vpcs []r53types.VPC, id, region string) bool {
	return slices.ContainsFunc(vpcs, func(v r53types.VPC) bool {
		return aws.ToString(v.VPCId) == id && string(v.VPCRegion) == region
	})
}

func vpcList(vpcs []r53types.VPC) []string {
	var out []string
	for _, v := range vpcs {
		out = append(out, aws.ToString(v.VPCId)+" ("+string(v.VPCRegion)+")")
	}
	return out
}

func (c *Clients) servicePermission(ctx context.Context, k *checks, exp ConsumerExpect) {
	const check = "function policy"
	out, err := c.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(exp.FunctionArn)})
	if err != nil {
		k.bad(check, "get policy of %s: %v", exp.FunctionArn, err)
		return
	}
	for _, problem := range FunctionPolicyProblems(aws.ToString(out.Policy), exp) {
		k.bad(check, "%s", problem)
	}
}

// lambdaPolicy is a function's resource policy as Lambda returns it.
type lambdaPolicy struct {
	Statement []struct {
		Sid       string
		Effect    string
		Principal any
		Action    any
		Resource  any
	}
}

// FunctionPolicyProblems reads a function's resource policy for a consumer
// in another account: exactly one statement names the consumer's account,
// allowing its invoker role (exp.InvokerRoleArn, or any one role of the
// account when unknown) lambda:InvokeFunction on the function; no statement
// allows everyone or a whole account.
func FunctionPolicyProblems(doc string, exp ConsumerExpect) []string {
	var p lambdaPolicy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return []string{fmt.Sprintf("does not parse (%v): %s", err, doc)}
	}
	var problems []string
	ours := 0
	for _, s := range p.Statement {
		principals := list(principalOf(s.Principal, "AWS"))
		if s.Effect != "Allow" {
			continue
		}
		if s.Principal == "*" || slices.Contains(principals, "*") {
			problems = append(problems, fmt.Sprintf("statement %q allows everyone %v", s.Sid, s.Action))
			continue
		}
		mine := false
		for _, pr := range principals {
			account, whole := principalAccount(pr)
			if whole {
				problems = append(problems, fmt.Sprintf("statement %q allows the whole account %s %v", s.Sid, account, s.Action))
			}
			if account == exp.Account {
				mine = true
			}
		}
		if !mine {
			continue
		}
		ours++
		switch role := principals[0]; {
		case len(principals) != 1:
			problems = append(problems, fmt.Sprintf("statement %q allows %v, want the invoker role alone", s.Sid, principals))
		case exp.InvokerRoleArn != "" && role != exp.InvokerRoleArn:
			problems = append(problems, fmt.Sprintf("statement %q allows %s, want the invoker role %s", s.Sid, role, exp.InvokerRoleArn))
		case !strings.Contains(role, ":role/"):
			problems = append(problems, fmt.Sprintf("statement %q allows %s, not a role", s.Sid, role))
		}
		if !slices.Equal(list(s.Action), []string{"lambda:InvokeFunction"}) || !slices.Equal(list(s.Resource), []string{exp.FunctionArn}) {
			problems = append(problems, fmt.Sprintf("statement %q allows %v on %v, want lambda:InvokeFunction on %s", s.Sid, s.Action, s.Resource, exp.FunctionArn))
		}
	}
	if ours != 1 {
		problems = append(problems, fmt.Sprintf("%d statements name account %s, want 1 allowing its invoker role: %s", ours, exp.Account, doc))
	}
	return problems
}

func (c *Clients) servicePeering(ctx context.Context, k *checks, exp ConsumerExpect) {
	const check = "peering connection"
	out, err := c.EC2.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{Filters: []ec2types.Filter{
		{Name: aws.String("accepter-vpc-info.vpc-id"), Values: []string{exp.VpcID}},
	}})
	if err != nil {
		k.bad(check, "describe peering connections of %s: %v", exp.VpcID, err)
		return
	}
	var seen []string
	for _, p := range out.VpcPeeringConnections {
		req, acc := p.RequesterVpcInfo, p.AccepterVpcInfo
		if req == nil || acc == nil {
			continue
		}
		if p.Status != nil && p.Status.Code == ec2types.VpcPeeringConnectionStateReasonCodeActive &&
			aws.ToString(req.OwnerId) == exp.ServiceAccount && aws.ToString(req.CidrBlock) == exp.ServiceCidr &&
			(exp.Account == "" || aws.ToString(acc.OwnerId) == exp.Account) {
			return
		}
		seen = append(seen, fmt.Sprintf("%s %s from %s (%s, account %s) to account %s", aws.ToString(p.VpcPeeringConnectionId), peeringStatus(p),
			aws.ToString(req.VpcId), aws.ToString(req.CidrBlock), aws.ToString(req.OwnerId), aws.ToString(acc.OwnerId)))
	}
	k.bad(check, "no active connection from the service VPC (%s, account %s) to %s of account %s; found %v",
		exp.ServiceCidr, exp.ServiceAccount, exp.VpcID, exp.Account, seen)
}

func (c *Clients) serviceGateway(ctx context.Context, k *checks, exp ConsumerExpect) {
	const check = "transit gateway"
	atts, err := c.EC2.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{exp.VpcID}},
	}})
	if err != nil {
		k.bad(check, "describe attachments of %s: %v", exp.VpcID, err)
		return
	}
	var att *ec2types.TransitGatewayVpcAttachment
	var seen []string
	for i, a := range atts.TransitGatewayVpcAttachments {
		seen = append(seen, fmt.Sprintf("%s %s (owner %s)", aws.ToString(a.TransitGatewayAttachmentId), a.State, aws.ToString(a.VpcOwnerId)))
		if a.State == ec2types.TransitGatewayAttachmentStateAvailable {
			att = &atts.TransitGatewayVpcAttachments[i]
		}
	}
	if att == nil {
		k.bad(check, "no available attachment of %s; found %v", exp.VpcID, seen)
		return
	}
	attID, tgwID := aws.ToString(att.TransitGatewayAttachmentId), aws.ToString(att.TransitGatewayId)
	if exp.Account != "" && aws.ToString(att.VpcOwnerId) != exp.Account {
		k.bad(check, "attachment %s is of account %s's VPC, want %s", attID, aws.ToString(att.VpcOwnerId), exp.Account)
	}
	tgws, err := c.EC2.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{TransitGatewayIds: []string{tgwID}})
	if err != nil || len(tgws.TransitGateways) != 1 {
		k.bad(check, "describe %s: %d found (%v)", tgwID, lenOf(tgws, func(o *ec2.DescribeTransitGatewaysOutput) int { return len(o.TransitGateways) }), err)
		return
	}
	g := tgws.TransitGateways[0]
	if aws.ToString(g.OwnerId) != exp.ServiceAccount {
		k.bad(check, "attachment %s is to %s of account %s, want the service account %s", attID, tgwID, aws.ToString(g.OwnerId), exp.ServiceAccount)
	}
	if exp.crossAccount() {
		c.serviceShare(ctx, k, exp, aws.ToString(g.TransitGatewayArn))
	}
}

// serviceShare checks that a RAM resource share holds the gateway and has
// the consumer's account among its principals, both associated.
func (c *Clients) serviceShare(ctx context.Context, k *checks, exp ConsumerExpect, tgwArn string) {
	const check = "resource share"
	res, err := c.RAM.GetResourceShareAssociations(ctx, &ram.GetResourceShareAssociationsInput{
		AssociationType: ramtypes.ResourceShareAssociationTypeResource,
		ResourceArn:     aws.String(tgwArn),
	})
	if err != nil {
		k.bad(check, "shares of %s: %v", tgwArn, err)
		return
	}
	var shares []string
	for _, a := range res.ResourceShareAssociations {
		if a.Status == ramtypes.ResourceShareAssociationStatusAssociated {
			shares = append(shares, aws.ToString(a.ResourceShareArn))
		}
	}
	if len(shares) == 0 {
		k.bad(check, "%s is in no resource share", tgwArn)
		return
	}
	prs, err := c.RAM.GetResourceShareAssociations(ctx, &ram.GetResourceShareAssociationsInput{
		AssociationType:   ramtypes.ResourceShareAssociationTypePrincipal,
		ResourceShareArns: shares,
		Principal:         aws.String(exp.Account),
	})
	if err != nil {
		k.bad(check, "principals of %v: %v", shares, err)
		return
	}
	var seen []string
	for _, a := range prs.ResourceShareAssociations {
		if aws.ToString(a.AssociatedEntity) == exp.Account && a.Status == ramtypes.ResourceShareAssociationStatusAssociated {
			return
		}
		seen = append(seen, aws.ToString(a.AssociatedEntity)+" "+string(a.Status))
	}
	k.bad(check, "the shares %v of %s are not associated with account %s; found %v", shares, tgwArn, exp.Account, seen)
}

// lenOf is n(out), or 0 for a call that failed.
func lenOf[T any](out *T, n func(*T) int) int {
	if out == nil {
		return 0
	}
	return n(out)
}

// LeftoversIn is Leftovers, plus the resource shares the account owns, less
// the resources whose id (or whole "kind id" line) is in keep: what a
// destroy left in an account that held things before the stack (an
// existing VPC: pass its Snapshot's IDs; a role the deployment assumes).
func (c *Clients) LeftoversIn(ctx context.Context, keep []string) ([]string, error) {
	left, err := c.Leftovers(ctx)
	if err != nil {
		return nil, err
	}
	shares, err := c.RAM.GetResourceShares(ctx, &ram.GetResourceSharesInput{ResourceOwner: ramtypes.ResourceOwnerSelf})
	if err != nil {
		return nil, fmt.Errorf("get resource shares: %w", err)
	}
	for _, s := range shares.ResourceShares {
		if s.Status != ramtypes.ResourceShareStatusDeleted && s.Status != ramtypes.ResourceShareStatusDeleting {
			left = append(left, "resource-share "+aws.ToString(s.ResourceShareArn))
		}
	}
	return Excluding(left, keep), nil
}

// Excluding is left (lines "kind id") without the lines whose id, or whole
// line, is in keep.
func Excluding(left, keep []string) []string {
	var out []string
	for _, l := range left {
		_, id, _ := strings.Cut(l, " ")
		if !slices.Contains(keep, id) && !slices.Contains(keep, l) {
			out = append(out, l)
		}
	}
	return out
}
