package awscheck

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// Tagged is a resource in the account that carries a stack's tags.
type Tagged struct {
	Kind string // as Leftovers names kinds: vpc, subnet, load-balancer, …
	// ID is what a Pulumi state records as the resource's id (an ARN for
	// the load balancer, its target groups and listeners; a name for IAM,
	// Lambda, S3, log groups and key pairs).
	ID string
	// Name is its Name tag; Resource its logical name in the stack
	// (stacktag.Resource).
	Name, Resource string
	// Vpc is the VPC an EC2 resource lives in, when it has one (for a
	// security group rule, its group).
	Vpc string
}

func (r Tagged) String() string {
	s := r.Kind + " " + r.ID
	if r.Resource != "" {
		s += " (" + r.Resource
		if r.Name != "" && r.Name != r.Resource {
			s += ", Name " + r.Name
		}
		s += ")"
	}
	return s
}

// deleteOrder is the order Delete removes kinds in: what uses a resource
// before the resource.
var deleteOrder = []string{
	"instance", "instance-connect-endpoint", "listener", "load-balancer", "target-group",
	"lambda-function", "security-group-ingress-rule", "security-group-egress-rule", "vpc-endpoint", "flow-log", "nat-gateway", "transit-gateway-route-table",
	"transit-gateway-attachment", "peering-connection", "transit-gateway", "elastic-ip",
	"security-group", "network-acl", "route-table", "internet-gateway", "subnet", "vpc",
	"hosted-zone", "instance-profile", "iam-role", "log-group", "key-pair", "s3-bucket",
}

// ec2Tags turns EC2 tags into a map.
func ec2Tags(ts []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// Tagged lists every resource of a type the program creates that carries
// the stack tag value stack (stacktag.Value), sorted by kind and id.
func (c *Clients) Tagged(ctx context.Context, stack string) ([]Tagged, error) {
	var out []Tagged
	add := func(kind, id, vpc string, tags map[string]string) {
		if tags[stacktag.Stack] != stack {
			return
		}
		out = append(out, Tagged{Kind: kind, ID: id, Name: tags["Name"], Resource: tags[stacktag.Resource], Vpc: vpc})
	}
	if err := c.taggedEC2(ctx, add); err != nil {
		return nil, err
	}
	if err := c.taggedELB(ctx, add); err != nil {
		return nil, err
	}
	if err := c.taggedOthers(ctx, add); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

type addFunc func(kind, id, vpc string, tags map[string]string)

func (c *Clients) taggedEC2(ctx context.Context, add addFunc) error {
	e := c.EC2
	for p := ec2.NewDescribeVpcsPaginator(e, &ec2.DescribeVpcsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe VPCs: %w", err)
		}
		for _, v := range page.Vpcs {
			add("vpc", aws.ToString(v.VpcId), aws.ToString(v.VpcId), ec2Tags(v.Tags))
		}
	}
	for p := ec2.NewDescribeSubnetsPaginator(e, &ec2.DescribeSubnetsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		for _, s := range page.Subnets {
			add("subnet", aws.ToString(s.SubnetId), aws.ToString(s.VpcId), ec2Tags(s.Tags))
		}
	}
	for p := ec2.NewDescribeRouteTablesPaginator(e, &ec2.DescribeRouteTablesInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe route tables: %w", err)
		}
		for _, rt := range page.RouteTables {
			add("route-table", aws.ToString(rt.RouteTableId), aws.ToString(rt.VpcId), ec2Tags(rt.Tags))
		}
	}
	for p := ec2.NewDescribeSecurityGroupsPaginator(e, &ec2.DescribeSecurityGroupsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			if aws.ToString(g.GroupName) == "default" {
				continue // goes with its VPC; the stack only adopts it
			}
			add("security-group", aws.ToString(g.GroupId), aws.ToString(g.VpcId), ec2Tags(g.Tags))
		}
	}
	for p := ec2.NewDescribeNetworkAclsPaginator(e, &ec2.DescribeNetworkAclsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe network ACLs: %w", err)
		}
		for _, n := range page.NetworkAcls {
			if !aws.ToBool(n.IsDefault) {
				add("network-acl", aws.ToString(n.NetworkAclId), aws.ToString(n.VpcId), ec2Tags(n.Tags))
			}
		}
	}
	for p := ec2.NewDescribeInternetGatewaysPaginator(e, &ec2.DescribeInternetGatewaysInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe internet gateways: %w", err)
		}
		for _, g := range page.InternetGateways {
			vpc := ""
			if len(g.Attachments) > 0 {
				vpc = aws.ToString(g.Attachments[0].VpcId)
			}
			add("internet-gateway", aws.ToString(g.InternetGatewayId), vpc, ec2Tags(g.Tags))
		}
	}
	for p := ec2.NewDescribeNatGatewaysPaginator(e, &ec2.DescribeNatGatewaysInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe NAT gateways: %w", err)
		}
		for _, n := range page.NatGateways {
			if n.State != ec2types.NatGatewayStateDeleted && n.State != ec2types.NatGatewayStateDeleting {
				add("nat-gateway", aws.ToString(n.NatGatewayId), aws.ToString(n.VpcId), ec2Tags(n.Tags))
			}
		}
	}
	eips, err := e.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return fmt.Errorf("describe addresses: %w", err)
	}
	for _, a := range eips.Addresses {
		add("elastic-ip", aws.ToString(a.AllocationId), "", ec2Tags(a.Tags))
	}
	for p := ec2.NewDescribeInstancesPaginator(e, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				add("instance", aws.ToString(i.InstanceId), aws.ToString(i.VpcId), ec2Tags(i.Tags))
			}
		}
	}
	for p := ec2.NewDescribeVpcEndpointsPaginator(e, &ec2.DescribeVpcEndpointsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe VPC endpoints: %w", err)
		}
		for _, ep := range page.VpcEndpoints {
			// moto answers the state in lower case, AWS capitalised.
			if st := string(ep.State); !strings.EqualFold(st, "deleted") && !strings.EqualFold(st, "deleting") {
				add("vpc-endpoint", aws.ToString(ep.VpcEndpointId), aws.ToString(ep.VpcId), ec2Tags(ep.Tags))
			}
		}
	}
	for p := ec2.NewDescribeVpcPeeringConnectionsPaginator(e, &ec2.DescribeVpcPeeringConnectionsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe peering connections: %w", err)
		}
		for _, pc := range page.VpcPeeringConnections {
			if pc.Status != nil && (pc.Status.Code == "deleted" || pc.Status.Code == "rejected" || pc.Status.Code == "deleting") {
				continue
			}
			vpc := ""
			if pc.RequesterVpcInfo != nil {
				vpc = aws.ToString(pc.RequesterVpcInfo.VpcId)
			}
			add("peering-connection", aws.ToString(pc.VpcPeeringConnectionId), vpc, ec2Tags(pc.Tags))
		}
	}
	for p := ec2.NewDescribeTransitGatewaysPaginator(e, &ec2.DescribeTransitGatewaysInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe transit gateways: %w", err)
		}
		for _, t := range page.TransitGateways {
			if t.State != "deleted" && t.State != "deleting" {
				add("transit-gateway", aws.ToString(t.TransitGatewayId), "", ec2Tags(t.Tags))
			}
		}
	}
	for p := ec2.NewDescribeTransitGatewayVpcAttachmentsPaginator(e, &ec2.DescribeTransitGatewayVpcAttachmentsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe transit gateway attachments: %w", err)
		}
		for _, a := range page.TransitGatewayVpcAttachments {
			if a.State != "deleted" && a.State != "deleting" {
				add("transit-gateway-attachment", aws.ToString(a.TransitGatewayAttachmentId), aws.ToString(a.VpcId), ec2Tags(a.Tags))
			}
		}
	}
	for p := ec2.NewDescribeTransitGatewayRouteTablesPaginator(e, &ec2.DescribeTransitGatewayRouteTablesInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe transit gateway route tables: %w", err)
		}
		for _, rt := range page.TransitGatewayRouteTables {
			if rt.State != "deleted" && rt.State != "deleting" {
				add("transit-gateway-route-table", aws.ToString(rt.TransitGatewayRouteTableId), "", ec2Tags(rt.Tags))
			}
		}
	}
	for p := ec2.NewDescribeFlowLogsPaginator(e, &ec2.DescribeFlowLogsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe flow logs: %w", err)
		}
		for _, f := range page.FlowLogs {
			add("flow-log", aws.ToString(f.FlowLogId), aws.ToString(f.ResourceId), ec2Tags(f.Tags))
		}
	}
	for p := ec2.NewDescribeSecurityGroupRulesPaginator(e, &ec2.DescribeSecurityGroupRulesInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe security group rules: %w", err)
		}
		for _, r := range page.SecurityGroupRules {
			kind := "security-group-ingress-rule"
			if aws.ToBool(r.IsEgress) {
				kind = "security-group-egress-rule"
			}
			// Vpc holds the rule's group: what deleting it needs.
			add(kind, aws.ToString(r.SecurityGroupRuleId), aws.ToString(r.GroupId), ec2Tags(r.Tags))
		}
	}
	keys, err := e.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		return fmt.Errorf("describe key pairs: %w", err)
	}
	for _, k := range keys.KeyPairs {
		add("key-pair", aws.ToString(k.KeyName), "", ec2Tags(k.Tags))
	}
	for p := ec2.NewDescribeInstanceConnectEndpointsPaginator(e, &ec2.DescribeInstanceConnectEndpointsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instance connect endpoints: %w", err)
		}
		for _, ep := range page.InstanceConnectEndpoints {
			if ep.State != ec2types.Ec2InstanceConnectEndpointStateDeleteComplete && ep.State != ec2types.Ec2InstanceConnectEndpointStateDeleteInProgress {
				add("instance-connect-endpoint", aws.ToString(ep.InstanceConnectEndpointId), aws.ToString(ep.VpcId), ec2Tags(ep.Tags))
			}
		}
	}
	return nil
}

func (c *Clients) taggedELB(ctx context.Context, add addFunc) error {
	// kind and VPC of each ARN, then the tags, 20 ARNs a call.
	kinds, vpcs := map[string]string{}, map[string]string{}
	var arns []string
	for p := elbv2.NewDescribeLoadBalancersPaginator(c.ELB, &elbv2.DescribeLoadBalancersInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			arn := aws.ToString(lb.LoadBalancerArn)
			kinds[arn], vpcs[arn] = "load-balancer", aws.ToString(lb.VpcId)
			arns = append(arns, arn)
			ls, err := c.ELB.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
			if err != nil {
				return fmt.Errorf("describe listeners of %s: %w", arn, err)
			}
			for _, l := range ls.Listeners {
				kinds[aws.ToString(l.ListenerArn)], vpcs[aws.ToString(l.ListenerArn)] = "listener", aws.ToString(lb.VpcId)
				arns = append(arns, aws.ToString(l.ListenerArn))
			}
		}
	}
	for p := elbv2.NewDescribeTargetGroupsPaginator(c.ELB, &elbv2.DescribeTargetGroupsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe target groups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			arn := aws.ToString(tg.TargetGroupArn)
			kinds[arn], vpcs[arn] = "target-group", aws.ToString(tg.VpcId)
			arns = append(arns, arn)
		}
	}
	for i := 0; i < len(arns); i += 20 {
		tags, err := c.ELB.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns[i:min(i+20, len(arns))]})
		if err != nil {
			return fmt.Errorf("describe load balancing tags: %w", err)
		}
		for _, d := range tags.TagDescriptions {
			m := map[string]string{}
			for _, t := range d.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			arn := aws.ToString(d.ResourceArn)
			add(kinds[arn], arn, vpcs[arn], m)
		}
	}
	return nil
}

// taggedOthers: Route 53, IAM (under the stack's path), Lambda, log groups, S3.
func (c *Clients) taggedOthers(ctx context.Context, add addFunc) error {
	for p := route53.NewListHostedZonesPaginator(c.R53, &route53.ListHostedZonesInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list hosted zones: %w", err)
		}
		for _, z := range page.HostedZones {
			id := strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/")
			t, err := c.R53.ListTagsForResource(ctx, &route53.ListTagsForResourceInput{ResourceId: aws.String(id), ResourceType: r53types.TagResourceTypeHostedzone})
			if err != nil {
				return fmt.Errorf("tags of hosted zone %s: %w", id, err)
			}
			m := map[string]string{}
			if t.ResourceTagSet != nil {
				for _, tag := range t.ResourceTagSet.Tags {
					m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
				}
			}
			add("hosted-zone", id, "", m)
		}
	}
	// Every role and instance profile the program makes is under one path
	// (internal/policy.IamPath); ListRoles returns no tags.
	const iamPath = "/internal-alb/"
	for p := iam.NewListRolesPaginator(c.IAM, &iam.ListRolesInput{PathPrefix: aws.String(iamPath)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		for _, r := range page.Roles {
			t, err := c.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName})
			if err != nil {
				return fmt.Errorf("tags of role %s: %w", aws.ToString(r.RoleName), err)
			}
			m := map[string]string{}
			for _, tag := range t.Tags {
				m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			add("iam-role", aws.ToString(r.RoleName), "", m)
		}
	}
	for p := iam.NewListInstanceProfilesPaginator(c.IAM, &iam.ListInstanceProfilesInput{PathPrefix: aws.String(iamPath)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles: %w", err)
		}
		for _, ip := range page.InstanceProfiles {
			// GetInstanceProfile has the tags (moto has no ListInstanceProfileTags).
			t, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: ip.InstanceProfileName})
			if err != nil {
				return fmt.Errorf("tags of instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
			}
			m := map[string]string{}
			for _, tag := range t.InstanceProfile.Tags {
				m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			add("instance-profile", aws.ToString(ip.InstanceProfileName), "", m)
		}
	}
	for p := lambda.NewListFunctionsPaginator(c.Lambda, &lambda.ListFunctionsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			t, err := c.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn})
			if err != nil {
				return fmt.Errorf("tags of function %s: %w", aws.ToString(f.FunctionName), err)
			}
			add("lambda-function", aws.ToString(f.FunctionName), "", t.Tags)
		}
	}
	for p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.Logs, &cloudwatchlogs.DescribeLogGroupsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe log groups: %w", err)
		}
		for _, g := range page.LogGroups {
			//nolint:staticcheck // ListTagsForResource wants the ARN without ":*"; moto answers this one.
			t, err := c.Logs.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: g.LogGroupName})
			if err != nil {
				return fmt.Errorf("tags of log group %s: %w", aws.ToString(g.LogGroupName), err)
			}
			add("log-group", aws.ToString(g.LogGroupName), "", t.Tags)
		}
	}
	buckets, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String(c.Region)})
	if err != nil {
		return fmt.Errorf("list buckets: %w", err)
	}
	for _, b := range buckets.Buckets {
		t, err := c.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b.Name})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchTagSet" {
			continue
		} else if err != nil {
			return fmt.Errorf("tags of bucket %s: %w", aws.ToString(b.Name), err)
		}
		m := map[string]string{}
		for _, tag := range t.TagSet {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		add("s3-bucket", aws.ToString(b.Name), "", m)
	}
	return nil
}

// Delete deletes rs, what uses a resource before the resource
// (deleteOrder), retrying what AWS still refuses for a dependency until
// nothing is left or timeout passes. It reports each deletion to log.
func (c *Clients) Delete(ctx context.Context, rs []Tagged, timeout time.Duration, log func(string)) error {
	rank := map[string]int{}
	for i, k := range deleteOrder {
		rank[k] = i
	}
	left := append([]Tagged(nil), rs...)
	sort.SliceStable(left, func(i, j int) bool { return rank[left[i].Kind] < rank[left[j].Kind] })
	deadline := time.Now().Add(timeout)
	for {
		var again []Tagged
		var lastErr error
		for _, r := range left {
			if err := c.delete(ctx, r); err != nil {
				again, lastErr = append(again, r), err
				continue
			}
			log("deleted " + r.String())
		}
		if len(again) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d resources not deleted after %s; the last error: %w", len(again), timeout, lastErr)
		}
		left = again
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// delete deletes one resource, and what only it holds (a role's policies,
// a zone's records, a bucket's objects), waiting where a later kind needs it
// gone (instances, NAT gateways, load balancers).
func (c *Clients) delete(ctx context.Context, r Tagged) error {
	id := aws.String(r.ID)
	var err error
	switch r.Kind {
	case "instance":
		if _, err = c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{r.ID}}); err == nil {
			err = ec2.NewInstanceTerminatedWaiter(c.EC2).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{r.ID}}, 10*time.Minute)
		}
	case "instance-connect-endpoint":
		_, err = c.EC2.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: id})
	case "listener":
		_, err = c.ELB.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: id})
	case "load-balancer":
		if _, err = c.ELB.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: id}); err == nil {
			err = elbv2.NewLoadBalancersDeletedWaiter(c.ELB).Wait(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{r.ID}}, 10*time.Minute)
		}
	case "target-group":
		_, err = c.ELB.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: id})
	case "lambda-function":
		_, err = c.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: id})
	case "vpc-endpoint":
		_, err = c.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{r.ID}})
	case "flow-log":
		_, err = c.EC2.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{r.ID}})
	case "nat-gateway":
		if _, err = c.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: id}); err == nil {
			err = ec2.NewNatGatewayDeletedWaiter(c.EC2).Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{r.ID}}, 10*time.Minute)
		}
	case "transit-gateway-route-table":
		_, err = c.EC2.DeleteTransitGatewayRouteTable(ctx, &ec2.DeleteTransitGatewayRouteTableInput{TransitGatewayRouteTableId: id})
	case "transit-gateway-attachment":
		_, err = c.EC2.DeleteTransitGatewayVpcAttachment(ctx, &ec2.DeleteTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: id})
	case "peering-connection":
		_, err = c.EC2.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: id})
	case "transit-gateway":
		_, err = c.EC2.DeleteTransitGateway(ctx, &ec2.DeleteTransitGatewayInput{TransitGatewayId: id})
	case "elastic-ip":
		_, err = c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: id})
	case "security-group-ingress-rule":
		_, err = c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(r.Vpc), SecurityGroupRuleIds: []string{r.ID}})
	case "security-group-egress-rule":
		_, err = c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(r.Vpc), SecurityGroupRuleIds: []string{r.ID}})
	case "security-group":
		_, err = c.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: id})
	case "network-acl":
		_, err = c.EC2.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: id})
	case "route-table":
		err = c.deleteRouteTable(ctx, r.ID)
	case "internet-gateway":
		if r.Vpc != "" {
			_, err = c.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: id, VpcId: aws.String(r.Vpc)})
		}
		if err == nil {
			_, err = c.EC2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: id})
		}
	case "subnet":
		_, err = c.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: id})
	case "vpc":
		_, err = c.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: id})
	case "hosted-zone":
		err = c.deleteZone(ctx, r.ID)
	case "instance-profile":
		err = c.deleteInstanceProfile(ctx, r.ID)
	case "iam-role":
		err = c.deleteRole(ctx, r.ID)
	case "log-group":
		_, err = c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: id})
	case "key-pair":
		_, err = c.EC2.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: id})
	case "s3-bucket":
		err = c.deleteBucket(ctx, r.ID)
	default:
		return fmt.Errorf("%s: no way to delete a %s", r.ID, r.Kind)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", r, err)
	}
	return nil
}

func (c *Clients) deleteRouteTable(ctx context.Context, id string) error {
	rts, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if err != nil {
		return err
	}
	for _, rt := range rts.RouteTables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				return fmt.Errorf("%s is its VPC's main route table: it goes with the VPC", id)
			}
			if _, err := c.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId}); err != nil {
				return err
			}
		}
	}
	_, err = c.EC2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
	return err
}

func (c *Clients) deleteZone(ctx context.Context, id string) error {
	var changes []r53types.Change
	for p := route53.NewListResourceRecordSetsPaginator(c.R53, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(id)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, rr := range page.ResourceRecordSets {
			if rr.Type == r53types.RRTypeNs || rr.Type == r53types.RRTypeSoa {
				continue
			}
			changes = append(changes, r53types.Change{Action: r53types.ChangeActionDelete, ResourceRecordSet: &rr})
		}
	}
	if len(changes) > 0 {
		if _, err := c.R53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
			HostedZoneId: aws.String(id), ChangeBatch: &r53types.ChangeBatch{Changes: changes},
		}); err != nil {
			return err
		}
	}
	_, err := c.R53.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(id)})
	return err
}

func (c *Clients) deleteInstanceProfile(ctx context.Context, name string) error {
	ip, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return err
	}
	for _, r := range ip.InstanceProfile.Roles {
		if _, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName}); err != nil {
			return err
		}
	}
	_, err = c.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)})
	return err
}

func (c *Clients) deleteRole(ctx context.Context, name string) error {
	n := aws.String(name)
	ips, err := c.IAM.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: n})
	if err != nil {
		return err
	}
	for _, ip := range ips.InstanceProfiles {
		if _, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: ip.InstanceProfileName, RoleName: n}); err != nil {
			return err
		}
	}
	inline, err := c.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: n})
	if err != nil {
		return err
	}
	for _, p := range inline.PolicyNames {
		if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: n, PolicyName: aws.String(p)}); err != nil {
			return err
		}
	}
	attached, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: n})
	if err != nil {
		return err
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: n, PolicyArn: p.PolicyArn}); err != nil {
			return err
		}
	}
	_, err = c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: n})
	return err
}

func (c *Clients) deleteBucket(ctx context.Context, name string) error {
	b := aws.String(name)
	for p := s3.NewListObjectVersionsPaginator(c.S3, &s3.ListObjectVersionsInput{Bucket: b}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) > 0 {
			if _, err := c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
				return err
			}
		}
	}
	_, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
	return err
}

// Orphans are the resources of tagged whose id is not in ids (the ids a
// stack's state holds).
func Orphans(tagged []Tagged, ids map[string]bool) []Tagged {
	var out []Tagged
	for _, r := range tagged {
		if !ids[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// KindOf is the kind Tagged lists resources of a pulumi-aws type token
// under ("" for a type it does not list).
func KindOf(typ string) string { return kinds[typ] }

var kinds = map[string]string{
	"aws:ec2/vpc:Vpc":                                                       "vpc",
	"aws:ec2/subnet:Subnet":                                                 "subnet",
	"aws:ec2/routeTable:RouteTable":                                         "route-table",
	"aws:ec2/securityGroup:SecurityGroup":                                   "security-group",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":             "security-group-ingress-rule",
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":               "security-group-egress-rule",
	"aws:ec2/networkAcl:NetworkAcl":                                         "network-acl",
	"aws:ec2/internetGateway:InternetGateway":                               "internet-gateway",
	"aws:ec2/natGateway:NatGateway":                                         "nat-gateway",
	"aws:ec2/eip:Eip":                                                       "elastic-ip",
	"aws:ec2/instance:Instance":                                             "instance",
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                       "vpc-endpoint",
	"aws:ec2/vpcPeeringConnection:VpcPeeringConnection":                     "peering-connection",
	"aws:ec2/flowLog:FlowLog":                                               "flow-log",
	"aws:ec2/keyPair:KeyPair":                                               "key-pair",
	"aws:ec2transitgateway/transitGateway:TransitGateway":                   "transit-gateway",
	"aws:ec2transitgateway/vpcAttachment:VpcAttachment":                     "transit-gateway-attachment",
	"aws:ec2transitgateway/routeTable:RouteTable":                           "transit-gateway-route-table",
	"aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint": "instance-connect-endpoint",
	"aws:lb/loadBalancer:LoadBalancer":                                      "load-balancer",
	"aws:lb/targetGroup:TargetGroup":                                        "target-group",
	"aws:lb/listener:Listener":                                              "listener",
	"aws:route53/zone:Zone":                                                 "hosted-zone",
	"aws:iam/role:Role":                                                     "iam-role",
	"aws:iam/instanceProfile:InstanceProfile":                               "instance-profile",
	"aws:lambda/function:Function":                                          "lambda-function",
	"aws:cloudwatch/logGroup:LogGroup":                                      "log-group",
	"aws:s3/bucketV2:BucketV2":                                              "s3-bucket",
}
