package awscheck

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Leftovers lists, by type, every resource of a type the program creates
// that the account (emulator) still holds, leaving out what an account has
// before any stack: the default VPC and its default pieces. Empty means clean.
func (c *Clients) Leftovers(ctx context.Context) ([]string, error) {
	var left []string
	add := func(kind string, ids ...string) {
		for _, id := range ids {
			left = append(left, kind+" "+id)
		}
	}

	vpcs, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe VPCs: %w", err)
	}
	var ours []string
	for _, v := range vpcs.Vpcs {
		if !aws.ToBool(v.IsDefault) {
			ours = append(ours, aws.ToString(v.VpcId))
		}
	}
	add("vpc", ours...)
	inOurs := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: ours}}
	if len(ours) > 0 {
		subnets, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: inOurs})
		if err != nil {
			return nil, fmt.Errorf("describe subnets: %w", err)
		}
		for _, s := range subnets.Subnets {
			add("subnet", aws.ToString(s.SubnetId))
		}
		rts, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: inOurs})
		if err != nil {
			return nil, fmt.Errorf("describe route tables: %w", err)
		}
		for _, rt := range rts.RouteTables {
			add("route-table", aws.ToString(rt.RouteTableId))
		}
		sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: inOurs})
		if err != nil {
			return nil, fmt.Errorf("describe security groups: %w", err)
		}
		for _, g := range sgs.SecurityGroups {
			add("security-group", aws.ToString(g.GroupId))
		}
	}
	igws, err := c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{})
	if err != nil {
		return nil, fmt.Errorf("describe internet gateways: %w", err)
	}
	for _, g := range igws.InternetGateways {
		attachedToDefault := false
		for _, a := range g.Attachments {
			for _, v := range vpcs.Vpcs {
				if aws.ToBool(v.IsDefault) && aws.ToString(v.VpcId) == aws.ToString(a.VpcId) {
					attachedToDefault = true
				}
			}
		}
		if !attachedToDefault {
			add("internet-gateway", aws.ToString(g.InternetGatewayId))
		}
	}
	insts, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	if err != nil {
		return nil, fmt.Errorf("describe instances: %w", err)
	}
	for _, r := range insts.Reservations {
		for _, i := range r.Instances {
			add("instance", aws.ToString(i.InstanceId))
		}
	}
	eps, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe endpoints: %w", err)
	}
	for _, e := range eps.VpcEndpoints {
		if e.State != "deleted" {
			add("vpc-endpoint", aws.ToString(e.VpcEndpointId))
		}
	}
	pcxs, err := c.EC2.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe peering connections: %w", err)
	}
	for _, p := range pcxs.VpcPeeringConnections {
		if p.Status != nil && p.Status.Code != "deleted" && p.Status.Code != "rejected" {
			add("peering-connection", aws.ToString(p.VpcPeeringConnectionId))
		}
	}
	tgws, err := c.EC2.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	if err != nil {
		return nil, fmt.Errorf("describe transit gateways: %w", err)
	}
	for _, t := range tgws.TransitGateways {
		if t.State != "deleted" && t.State != "deleting" {
			add("transit-gateway", aws.ToString(t.TransitGatewayId))
		}
	}
	atts, err := c.EC2.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe transit gateway attachments: %w", err)
	}
	for _, a := range atts.TransitGatewayVpcAttachments {
		if a.State != "deleted" && a.State != "deleting" {
			add("transit-gateway-attachment", aws.ToString(a.TransitGatewayAttachmentId))
		}
	}
	nats, err := c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{})
	if err != nil {
		return nil, fmt.Errorf("describe NAT gateways: %w", err)
	}
	for _, n := range nats.NatGateways {
		if n.State != "deleted" && n.State != "deleting" {
			add("nat-gateway", aws.ToString(n.NatGatewayId))
		}
	}
	eips, err := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return nil, fmt.Errorf("describe addresses: %w", err)
	}
	for _, a := range eips.Addresses {
		add("elastic-ip", aws.ToString(a.AllocationId))
	}

	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		return nil, fmt.Errorf("describe load balancers: %w", err)
	}
	for _, lb := range lbs.LoadBalancers {
		add("load-balancer", aws.ToString(lb.LoadBalancerName))
	}
	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe target groups: %w", err)
	}
	for _, tg := range tgs.TargetGroups {
		add("target-group", aws.ToString(tg.TargetGroupName))
	}

	zones, err := c.R53.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		return nil, fmt.Errorf("list hosted zones: %w", err)
	}
	for _, z := range zones.HostedZones {
		add("hosted-zone", aws.ToString(z.Name))
	}

	roles, err := c.IAM.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	for _, r := range roles.Roles {
		add("iam-role", aws.ToString(r.RoleName))
	}
	profiles, err := c.IAM.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	if err != nil {
		return nil, fmt.Errorf("list instance profiles: %w", err)
	}
	for _, p := range profiles.InstanceProfiles {
		add("instance-profile", aws.ToString(p.InstanceProfileName))
	}
	fns, err := c.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	for _, f := range fns.Functions {
		add("lambda-function", aws.ToString(f.FunctionName))
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe log groups: %w", err)
	}
	for _, g := range groups.LogGroups {
		add("log-group", aws.ToString(g.LogGroupName))
	}
	buckets, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	for _, b := range buckets.Buckets {
		add("s3-bucket", aws.ToString(b.Name))
	}
	fls, err := c.EC2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe flow logs: %w", err)
	}
	for _, f := range fls.FlowLogs {
		add("flow-log", aws.ToString(f.FlowLogId))
	}
	keys, err := c.EC2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe key pairs: %w", err)
	}
	for _, k := range keys.KeyPairs {
		add("key-pair", aws.ToString(k.KeyName))
	}
	eices, err := c.EC2.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe instance connect endpoints: %w", err)
	}
	for _, e := range eices.InstanceConnectEndpoints {
		if e.State != ec2types.Ec2InstanceConnectEndpointStateDeleteComplete {
			add("instance-connect-endpoint", aws.ToString(e.InstanceConnectEndpointId))
		}
	}
	return left, nil
}
