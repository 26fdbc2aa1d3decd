package awscheck

import (
	"context"
	"fmt"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"net/netip"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// The changes a person makes in the console, outside the stack: each finds
// what it changes the way that person would (the VPC by its block, the
// instance by its Name tag, the ALB as the one load balancer) and changes it
// through the AWS API. The drift checks make them and expect the stack to
// notice and repair them.

// RevokeAlbIngress removes the ALB group's ingress rules that admit the
// consumer VPC with block consumerCidr.
func (c *Clients) RevokeAlbIngress(ctx context.Context, consumerCidr string) error {
	sg, ids, err := c.AlbIngressFor(ctx, consumerCidr)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("the load balancer's group %s has no ingress rule for %s", sg, consumerCidr)
	}
	if _, err := c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(sg), SecurityGroupRuleIds: ids}); err != nil {
		return fmt.Errorf("revoke %v on %s: %w", ids, sg, err)
	}
	return nil
}

// AlbIngressFor is the ALB's group and the ids of its ingress rules that
// admit the consumer VPC with block consumerCidr: by reference to a group in
// that VPC, or by an address range inside it.
func (c *Clients) AlbIngressFor(ctx context.Context, consumerCidr string) (string, []string, error) {
	lb, err := c.theLoadBalancer(ctx)
	if err != nil {
		return "", nil, err
	}
	if len(lb.SecurityGroups) != 1 {
		return "", nil, fmt.Errorf("the load balancer has %d groups, want 1", len(lb.SecurityGroups))
	}
	sg := lb.SecurityGroups[0]
	vpc, err := c.vpcByCidr(ctx, consumerCidr)
	if err != nil {
		return "", nil, err
	}
	groups, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		return "", nil, fmt.Errorf("describe the groups of %s: %w", vpc, err)
	}
	inConsumer := map[string]bool{}
	for _, g := range groups.SecurityGroups {
		inConsumer[aws.ToString(g.GroupId)] = true
	}
	rules, err := c.EC2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-id"), Values: []string{sg}}}})
	if err != nil {
		return "", nil, fmt.Errorf("describe the rules of %s: %w", sg, err)
	}
	var ids []string
	for _, r := range rules.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) {
			continue
		}
		ref := r.ReferencedGroupInfo != nil && inConsumer[aws.ToString(r.ReferencedGroupInfo.GroupId)]
		if ref || (r.CidrIpv4 != nil && cidrWithin(aws.ToString(r.CidrIpv4), consumerCidr)) {
			ids = append(ids, aws.ToString(r.SecurityGroupRuleId))
		}
	}
	return sg, ids, nil
}

// DeleteRouteFrom deletes the route to destCidr from the route table of the
// subnet the instance named instanceName is in.
func (c *Clients) DeleteRouteFrom(ctx context.Context, instanceName, destCidr string) error {
	inst, err := c.instanceNamed(ctx, instanceName)
	if err != nil {
		return err
	}
	tables, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: aws.String("association.subnet-id"), Values: []string{aws.ToString(inst.SubnetId)}}}})
	if err != nil || len(tables.RouteTables) != 1 {
		return fmt.Errorf("the route table of %s's subnet %s: found %d, %v", instanceName, aws.ToString(inst.SubnetId), len(tables.RouteTables), err)
	}
	rt := tables.RouteTables[0].RouteTableId
	if _, err := c.EC2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: rt, DestinationCidrBlock: aws.String(destCidr)}); err != nil {
		return fmt.Errorf("delete the route to %s from %s: %w", destCidr, aws.ToString(rt), err)
	}
	return nil
}

// DisassociateZone takes the private zone named zoneName away from the VPC
// with block vpcCidr.
func (c *Clients) DisassociateZone(ctx context.Context, zoneName, vpcCidr string) error {
	vpc, err := c.vpcByCidr(ctx, vpcCidr)
	if err != nil {
		return err
	}
	zones, err := c.R53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(zoneName)})
	if err != nil {
		return fmt.Errorf("list zones: %w", err)
	}
	for _, z := range zones.HostedZones {
		if aws.ToString(z.Name) == zoneName+"." && z.Config != nil && z.Config.PrivateZone {
			_, err := c.R53.DisassociateVPCFromHostedZone(ctx, &route53.DisassociateVPCFromHostedZoneInput{
				HostedZoneId: z.Id, VPC: &r53types.VPC{VPCId: aws.String(vpc), VPCRegion: r53types.VPCRegion(c.Region)}})
			if err != nil {
				return fmt.Errorf("disassociate %s from %s: %w", zoneName, vpc, err)
			}
			return nil
		}
	}
	return fmt.Errorf("no private zone %s", zoneName)
}

// DeregisterTarget takes the instance named instanceName out of the ALB's
// target groups.
func (c *Clients) DeregisterTarget(ctx context.Context, instanceName string) error {
	inst, err := c.instanceNamed(ctx, instanceName)
	if err != nil {
		return err
	}
	return c.eachTargetGroup(ctx, func(tg elbtypes.TargetGroup) error {
		_, err := c.ELB.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn,
			Targets: []elbtypes.TargetDescription{{Id: inst.InstanceId}}})
		return err
	})
}

// SetHealthCheckPath changes the health-check path of the ALB's target groups.
func (c *Clients) SetHealthCheckPath(ctx context.Context, path string) error {
	return c.eachTargetGroup(ctx, func(tg elbtypes.TargetGroup) error {
		_, err := c.ELB.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn,
			HealthCheckPath: aws.String(path)})
		return err
	})
}

// HealthCheckPaths are the health-check paths of the ALB's target groups.
func (c *Clients) HealthCheckPaths(ctx context.Context) ([]string, error) {
	var paths []string
	err := c.eachTargetGroup(ctx, func(tg elbtypes.TargetGroup) error {
		paths = append(paths, aws.ToString(tg.HealthCheckPath))
		return nil
	})
	return paths, err
}

// InstanceState is the state of the instance named name.
func (c *Clients) InstanceState(ctx context.Context, name string) (string, error) {
	inst, err := c.instanceNamed(ctx, name)
	if err != nil {
		return "", err
	}
	if inst.State == nil {
		return "", nil
	}
	return string(inst.State.Name), nil
}

// StopInstance stops the instance named name and waits until it is stopped.
func (c *Clients) StopInstance(ctx context.Context, name string) error {
	inst, err := c.instanceNamed(ctx, name)
	if err != nil {
		return err
	}
	if _, err := c.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{aws.ToString(inst.InstanceId)}}); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	w := ec2.NewInstanceStoppedWaiter(c.EC2, func(o *ec2.InstanceStoppedWaiterOptions) { o.MinDelay = time.Second })
	return w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(inst.InstanceId)}}, 2*time.Minute)
}

func (c *Clients) theLoadBalancer(ctx context.Context) (elbtypes.LoadBalancer, error) {
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		return elbtypes.LoadBalancer{}, fmt.Errorf("describe load balancers: %w", err)
	}
	if len(lbs.LoadBalancers) != 1 {
		return elbtypes.LoadBalancer{}, fmt.Errorf("want 1 load balancer, found %d", len(lbs.LoadBalancers))
	}
	return lbs.LoadBalancers[0], nil
}

func (c *Clients) eachTargetGroup(ctx context.Context, f func(elbtypes.TargetGroup) error) error {
	lb, err := c.theLoadBalancer(ctx)
	if err != nil {
		return err
	}
	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		return fmt.Errorf("describe target groups: %w", err)
	}
	if len(tgs.TargetGroups) == 0 {
		return fmt.Errorf("the load balancer has no target group")
	}
	for _, tg := range tgs.TargetGroups {
		if err := f(tg); err != nil {
			return fmt.Errorf("target group %s: %w", aws.ToString(tg.TargetGroupName), err)
		}
	}
	return nil
}

func (c *Clients) vpcByCidr(ctx context.Context, cidr string) (string, error) {
	vpcs, err := c.vpcsByCidr(ctx)
	if err != nil {
		return "", err
	}
	v, ok := vpcs[cidr]
	if !ok {
		return "", fmt.Errorf("no VPC with block %s", cidr)
	}
	return aws.ToString(v.VpcId), nil
}

func (c *Clients) instanceNamed(ctx context.Context, name string) (ec2types.Instance, error) {
	out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Name"), Values: []string{name}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	if err != nil {
		return ec2types.Instance{}, fmt.Errorf("describe instance %s: %w", name, err)
	}
	var all []ec2types.Instance
	for _, r := range out.Reservations {
		all = append(all, r.Instances...)
	}
	if len(all) != 1 {
		return ec2types.Instance{}, fmt.Errorf("want one instance named %s, found %d", name, len(all))
	}
	return all[0], nil
}

// cidrWithin reports whether block inner lies inside block outer.
func cidrWithin(inner, outer string) bool {
	i, err1 := netip.ParsePrefix(inner)
	o, err2 := netip.ParsePrefix(outer)
	return err1 == nil && err2 == nil && o.Bits() <= i.Bits() && o.Contains(i.Addr())
}
