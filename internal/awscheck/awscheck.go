// Package awscheck checks a deployed stack through the AWS APIs alone (the
// AWS SDK for Go v2), independently of the program's code: what the emulator
// (or an account) holds after `up`, and that nothing is left after `destroy`.
package awscheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ram"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Clients talk to one endpoint (the emulator) in one region, as one
// account's principal.
type Clients struct {
	Region string
	EC2    *ec2.Client
	ELB    *elbv2.Client
	R53    *route53.Client
	IAM    *iam.Client
	Lambda *lambda.Client
	Logs   *cloudwatchlogs.Client
	S3     *s3.Client
	RAM    *ram.Client
	STS    *sts.Client

	// cfg and pathStyle are what AssumeRole builds another account's
	// clients from.
	cfg       aws.Config
	pathStyle bool
}

// New returns clients for the emulator at endpoint, with dummy credentials.
func New(endpoint, region string) *Clients {
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	return emulated(FromConfig(cfg))
}

// emulated sets c's S3 client to path-style addressing: the emulator answers
// on one host, not per bucket.
func emulated(c *Clients) *Clients {
	c.S3 = s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	c.pathStyle = true
	return c
}

// FromConfig returns clients for an AWS SDK config (a real account's).
func FromConfig(cfg aws.Config) *Clients {
	return &Clients{
		Region: cfg.Region,
		EC2:    ec2.NewFromConfig(cfg),
		ELB:    elbv2.NewFromConfig(cfg),
		R53:    route53.NewFromConfig(cfg),
		IAM:    iam.NewFromConfig(cfg),
		Lambda: lambda.NewFromConfig(cfg),
		Logs:   cloudwatchlogs.NewFromConfig(cfg),
		S3:     s3.NewFromConfig(cfg),
		RAM:    ram.NewFromConfig(cfg),
		STS:    sts.NewFromConfig(cfg),
		cfg:    cfg,
	}
}

// Vpc is a VPC the stack should have, by name and block.
type Vpc struct{ Name, Cidr string }

// Expect is what the stack's config says should exist.
type Expect struct {
	Service      Vpc
	Consumers    []Vpc
	Connectivity string // "peering" or "transitGateway"
	ZoneName     string // "home"
	RecordFqdn   string // "alb.home"
	FunctionName string
	TargetPort   int32 // 8080
}

// Mission checks the deployed stack against exp and returns every problem
// found (nil when there is none).
func (c *Clients) Mission(ctx context.Context, exp Expect) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	vpcs, err := c.vpcsByCidr(ctx)
	if err != nil {
		return []error{err}
	}
	all := append([]Vpc{exp.Service}, exp.Consumers...)
	ids := map[string]string{} // name → id
	for _, v := range all {
		vpc, ok := vpcs[v.Cidr]
		if !ok {
			bad("VPC %s (%s) does not exist", v.Name, v.Cidr)
			continue
		}
		ids[v.Name] = aws.ToString(vpc.VpcId)
	}
	if len(errs) > 0 {
		return errs
	}

	// One internal ALB in ≥2 AZs, HTTP:80 → target group HTTP:8080 with the
	// web servers registered.
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		return append(errs, fmt.Errorf("describe load balancers: %w", err))
	}
	if len(lbs.LoadBalancers) != 1 {
		return append(errs, fmt.Errorf("want 1 load balancer, found %d", len(lbs.LoadBalancers)))
	}
	lb := lbs.LoadBalancers[0]
	if lb.Scheme != "internal" {
		bad("load balancer %s has scheme %q, want internal", aws.ToString(lb.LoadBalancerName), lb.Scheme)
	}
	if aws.ToString(lb.VpcId) != ids[exp.Service.Name] {
		bad("load balancer is in %s, not in the service VPC %s", aws.ToString(lb.VpcId), ids[exp.Service.Name])
	}
	azs := map[string]bool{}
	for _, az := range lb.AvailabilityZones {
		azs[aws.ToString(az.ZoneName)] = true
	}
	if len(azs) < 2 {
		bad("load balancer spans %d AZs, want at least 2", len(azs))
	}
	errs = append(errs, c.listenerAndTargets(ctx, lb, exp)...)

	// The private zone, associated with every VPC, with the alias.
	errs = append(errs, c.zone(ctx, exp, ids, aws.ToString(lb.DNSName))...)

	// Cross-VPC routes both ways in every private route table.
	errs = append(errs, c.routes(ctx, exp, ids)...)

	// The Lambda endpoint with private DNS in each consumer, and the
	// clients' role.
	errs = append(errs, c.lambdaPath(ctx, exp, ids)...)
	return errs
}

func (c *Clients) vpcsByCidr(ctx context.Context) (map[string]ec2types.Vpc, error) {
	out, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe VPCs: %w", err)
	}
	m := map[string]ec2types.Vpc{}
	for _, v := range out.Vpcs {
		if !aws.ToBool(v.IsDefault) {
			m[aws.ToString(v.CidrBlock)] = v
		}
	}
	return m, nil
}

func (c *Clients) listenerAndTargets(ctx context.Context, lb elbtypes.LoadBalancer, exp Expect) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	arn := aws.ToString(lb.LoadBalancerArn)
	ls, err := c.ELB.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(arn)})
	if err != nil {
		return []error{fmt.Errorf("describe listeners: %w", err)}
	}
	if len(ls.Listeners) != 1 {
		return []error{fmt.Errorf("want 1 listener, found %d", len(ls.Listeners))}
	}
	l := ls.Listeners[0]
	if aws.ToInt32(l.Port) != 80 || l.Protocol != "HTTP" {
		bad("listener is %s:%d, want HTTP:80", l.Protocol, aws.ToInt32(l.Port))
	}
	if len(l.DefaultActions) != 1 || l.DefaultActions[0].Type != "forward" {
		return append(errs, fmt.Errorf("listener's default action is not one forward: %+v", l.DefaultActions))
	}
	tgArn := aws.ToString(l.DefaultActions[0].TargetGroupArn)
	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tgArn}})
	if err != nil || len(tgs.TargetGroups) != 1 {
		return append(errs, fmt.Errorf("describe target group %s: %v", tgArn, err))
	}
	tg := tgs.TargetGroups[0]
	if aws.ToInt32(tg.Port) != exp.TargetPort || tg.Protocol != "HTTP" {
		bad("target group is %s:%d, want HTTP:%d", tg.Protocol, aws.ToInt32(tg.Port), exp.TargetPort)
	}
	if aws.ToString(tg.HealthCheckPath) != "/" {
		bad("target group health-checks %q, want /", aws.ToString(tg.HealthCheckPath))
	}
	health, err := c.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgArn)})
	if err != nil {
		return append(errs, fmt.Errorf("describe target health: %w", err))
	}
	var registered []string
	for _, d := range health.TargetHealthDescriptions {
		registered = append(registered, aws.ToString(d.Target.Id))
	}
	webs, err := c.instanceIDs(ctx, "web")
	if err != nil {
		return append(errs, err)
	}
	slices.Sort(registered)
	slices.Sort(webs)
	if len(webs) == 0 || !slices.Equal(registered, webs) {
		bad("target group has targets %v, want the web servers %v", registered, webs)
	}
	return errs
}

func (c *Clients) zone(ctx context.Context, exp Expect, ids map[string]string, lbDNS string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	zones, err := c.R53.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		return []error{fmt.Errorf("list hosted zones: %w", err)}
	}
	var zoneID string
	for _, z := range zones.HostedZones {
		if strings.TrimSuffix(aws.ToString(z.Name), ".") == exp.ZoneName {
			zoneID = aws.ToString(z.Id)
			if z.Config == nil || !z.Config.PrivateZone {
				bad("zone %s is not private", exp.ZoneName)
			}
		}
	}
	if zoneID == "" {
		return []error{fmt.Errorf("no hosted zone %s", exp.ZoneName)}
	}
	z, err := c.R53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		return append(errs, fmt.Errorf("get hosted zone: %w", err))
	}
	var associated []string
	for _, v := range z.VPCs {
		associated = append(associated, aws.ToString(v.VPCId))
	}
	for name, id := range ids {
		if !slices.Contains(associated, id) {
			bad("zone %s is not associated with VPC %s (%s); it is with %v", exp.ZoneName, name, id, associated)
		}
	}
	recs, err := c.R53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil {
		return append(errs, fmt.Errorf("list records: %w", err))
	}
	found := false
	for _, r := range recs.ResourceRecordSets {
		if strings.TrimSuffix(aws.ToString(r.Name), ".") != exp.RecordFqdn || r.Type != "A" {
			continue
		}
		found = true
		if r.AliasTarget == nil {
			bad("%s is not an alias record", exp.RecordFqdn)
			continue
		}
		got := strings.ToLower(strings.TrimSuffix(aws.ToString(r.AliasTarget.DNSName), "."))
		if !strings.HasSuffix(got, strings.ToLower(strings.TrimSuffix(lbDNS, "."))) {
			bad("%s aliases %s, not the ALB %s", exp.RecordFqdn, got, lbDNS)
		}
	}
	if !found {
		bad("no A record %s in zone %s", exp.RecordFqdn, exp.ZoneName)
	}
	return errs
}

func (c *Clients) routes(ctx context.Context, exp Expect, ids map[string]string) []error {
	var errs []error
	want := map[string][]string{exp.Service.Name: nil} // VPC name → blocks its private tables must route
	for _, v := range exp.Consumers {
		want[exp.Service.Name] = append(want[exp.Service.Name], v.Cidr)
		want[v.Name] = []string{exp.Service.Cidr}
	}
	prefix := "pcx-"
	if exp.Connectivity == "transitGateway" {
		prefix = "tgw-"
	}
	for name, dests := range want {
		out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{ids[name]}},
			{Name: aws.String("tag:Tier"), Values: []string{"private"}},
		}})
		if err != nil {
			return append(errs, fmt.Errorf("describe route tables of %s: %w", name, err))
		}
		if len(out.RouteTables) == 0 {
			errs = append(errs, fmt.Errorf("VPC %s has no private route tables", name))
		}
		for _, rt := range out.RouteTables {
			for _, dest := range dests {
				ok := false
				for _, r := range rt.Routes {
					target := aws.ToString(r.VpcPeeringConnectionId) + aws.ToString(r.TransitGatewayId)
					if aws.ToString(r.DestinationCidrBlock) == dest && strings.HasPrefix(target, prefix) {
						ok = true
					}
				}
				if !ok {
					errs = append(errs, fmt.Errorf("route table %s of VPC %s has no route to %s via %s…", aws.ToString(rt.RouteTableId), name, dest, prefix))
				}
			}
		}
	}
	return errs
}

func (c *Clients) lambdaPath(ctx context.Context, exp Expect, ids map[string]string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	service := fmt.Sprintf("com.amazonaws.%s.lambda", c.Region)
	for _, v := range exp.Consumers {
		out, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{ids[v.Name]}},
			{Name: aws.String("service-name"), Values: []string{service}},
		}})
		if err != nil {
			return append(errs, fmt.Errorf("describe endpoints: %w", err))
		}
		if len(out.VpcEndpoints) != 1 {
			bad("VPC %s has %d %s endpoints, want 1", v.Name, len(out.VpcEndpoints), service)
			continue
		}
		e := out.VpcEndpoints[0]
		if e.VpcEndpointType != "Interface" || !aws.ToBool(e.PrivateDnsEnabled) {
			bad("endpoint %s in %s is %s with private DNS %v, want Interface with private DNS", aws.ToString(e.VpcEndpointId), v.Name, e.VpcEndpointType, aws.ToBool(e.PrivateDnsEnabled))
		}
	}

	fn, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(exp.FunctionName)})
	if err != nil {
		return append(errs, fmt.Errorf("get function %s: %w", exp.FunctionName, err))
	}
	fnArn := aws.ToString(fn.Configuration.FunctionArn)

	clients, err := c.instances(ctx, "client")
	if err != nil {
		return append(errs, err)
	}
	if len(clients) != len(exp.Consumers) {
		bad("%d client instances, want one per consumer (%d)", len(clients), len(exp.Consumers))
	}
	for _, inst := range clients {
		if inst.IamInstanceProfile == nil {
			bad("client %s has no instance profile", aws.ToString(inst.InstanceId))
			continue
		}
		arn := aws.ToString(inst.IamInstanceProfile.Arn)
		name := arn[strings.LastIndex(arn, "/")+1:]
		p, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if err != nil {
			return append(errs, fmt.Errorf("get instance profile %s: %w", name, err))
		}
		if len(p.InstanceProfile.Roles) != 1 {
			bad("instance profile %s has %d roles", name, len(p.InstanceProfile.Roles))
			continue
		}
		role := p.InstanceProfile.Roles[0]
		if err := checkTrust(aws.ToString(role.AssumeRolePolicyDocument), "ec2.amazonaws.com"); err != nil {
			bad("role %s: %v", aws.ToString(role.RoleName), err)
		}
		errs = append(errs, c.checkInvokeOnly(ctx, aws.ToString(role.RoleName), fnArn)...)
	}
	return errs
}

// policyDoc is an IAM policy document; Action and Resource may be a string
// or a list.
type policyDoc struct {
	Statement []struct {
		Effect    string
		Action    any
		Resource  any
		Principal any // "*" or a map such as {"Service": ...}
	}
}

func parseDoc(s string) (policyDoc, error) {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u // IAM returns documents URL-encoded
	}
	var d policyDoc
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func checkTrust(doc, service string) error {
	d, err := parseDoc(doc)
	if err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	if len(d.Statement) != 1 || !slices.Contains(list(principalOf(d.Statement[0].Principal, "Service")), service) ||
		!slices.Equal(list(d.Statement[0].Action), []string{"sts:AssumeRole"}) {
		return fmt.Errorf("trust policy is not sts:AssumeRole by %s only: %s", service, doc)
	}
	return nil
}

func (c *Clients) checkInvokeOnly(ctx context.Context, role, fnArn string) []error {
	names, err := c.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return []error{fmt.Errorf("list policies of %s: %w", role, err)}
	}
	attached, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return []error{fmt.Errorf("list attached policies of %s: %w", role, err)}
	}
	if len(attached.AttachedPolicies) > 0 || len(names.PolicyNames) != 1 {
		return []error{fmt.Errorf("role %s has %d inline and %d managed policies, want one inline", role, len(names.PolicyNames), len(attached.AttachedPolicies))}
	}
	p, err := c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(names.PolicyNames[0])})
	if err != nil {
		return []error{fmt.Errorf("get policy of %s: %w", role, err)}
	}
	d, err := parseDoc(aws.ToString(p.PolicyDocument))
	if err != nil {
		return []error{fmt.Errorf("policy of %s: %w", role, err)}
	}
	if len(d.Statement) != 1 || d.Statement[0].Effect != "Allow" ||
		!slices.Equal(list(d.Statement[0].Action), []string{"lambda:InvokeFunction"}) ||
		!slices.Equal(list(d.Statement[0].Resource), []string{fnArn}) {
		return []error{fmt.Errorf("role %s's policy is not lambda:InvokeFunction on %s only: %s", role, fnArn, aws.ToString(p.PolicyDocument))}
	}
	return nil
}

func (c *Clients) instances(ctx context.Context, role string) ([]ec2types.Instance, error) {
	out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Role"), Values: []string{role}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	if err != nil {
		return nil, fmt.Errorf("describe %s instances: %w", role, err)
	}
	var all []ec2types.Instance
	for _, r := range out.Reservations {
		all = append(all, r.Instances...)
	}
	return all, nil
}

func (c *Clients) instanceIDs(ctx context.Context, role string) ([]string, error) {
	insts, err := c.instances(ctx, role)
	var ids []string
	for _, i := range insts {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids, err
}

// principalOf is a statement principal's entry of kind ("AWS", "Service"),
// or "*" for the everyone principal.
func principalOf(p any, kind string) any {
	if m, ok := p.(map[string]any); ok {
		return m[kind]
	}
	return p
}
