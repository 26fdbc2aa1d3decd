package awscheck

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Secure is what the stack's config says about its secure defaults.
type Secure struct {
	Logs bool // a log bucket, a flow log per VPC, the ALB's access logs
	// AdminAccess is "bastion", "instanceConnectEndpoint" or "none".
	AdminAccess string
	KeyPair     bool // sshPublicKey set: one key pair on every instance
}

// SecureDefaults checks the deployed stack's secure defaults through the
// AWS API, as a reviewer would in the console: every endpoint has a policy
// other than full access, every subnet of the stack has a network ACL other
// than its VPC's default, and, per config, the log bucket locked with flow
// logs and access logs into it, the admin entry points, and the key pair.
func (c *Clients) SecureDefaults(ctx context.Context, exp Expect, sec Secure) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	vpcs, err := c.vpcsByCidr(ctx)
	if err != nil {
		return []error{err}
	}
	var ids []string
	for _, v := range append([]Vpc{exp.Service}, exp.Consumers...) {
		if vpc, ok := vpcs[v.Cidr]; ok {
			ids = append(ids, aws.ToString(vpc.VpcId))
		} else {
			bad("VPC %s (%s) does not exist", v.Name, v.Cidr)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	inOurs := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: ids}}

	eps, err := c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: inOurs})
	if err != nil {
		return append(errs, fmt.Errorf("describe endpoints: %w", err))
	}
	for _, e := range eps.VpcEndpoints {
		doc, err := parseDoc(decodePolicy(aws.ToString(e.PolicyDocument)))
		if err != nil {
			bad("endpoint %s: policy: %v", aws.ToString(e.VpcEndpointId), err)
			continue
		}
		for _, s := range doc.Statement {
			if s.Effect == "Allow" && (contains(list(s.Resource), "*") || contains(list(s.Action), "*")) {
				bad("endpoint %s (%s) allows %v on %v: full access", aws.ToString(e.VpcEndpointId), aws.ToString(e.ServiceName), s.Action, s.Resource)
			}
		}
	}

	// Every subnet of the stack is associated with a network ACL of its own.
	acls, err := c.EC2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: inOurs})
	if err != nil {
		return append(errs, fmt.Errorf("describe network ACLs: %w", err))
	}
	subnets, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: inOurs})
	if err != nil {
		return append(errs, fmt.Errorf("describe subnets: %w", err))
	}
	aclOf := map[string]ec2types.NetworkAcl{}
	for _, a := range acls.NetworkAcls {
		for _, as := range a.Associations {
			aclOf[aws.ToString(as.SubnetId)] = a
		}
	}
	for _, s := range subnets.Subnets {
		a, ok := aclOf[aws.ToString(s.SubnetId)]
		if !ok || aws.ToBool(a.IsDefault) {
			bad("subnet %s (%s) uses its VPC's default network ACL", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock))
		}
	}

	if sec.Logs {
		errs = append(errs, c.logs(ctx, ids)...)
	}
	errs = append(errs, c.admin(ctx, ids, sec)...)
	return errs
}

// logs checks the log bucket and what writes into it.
func (c *Clients) logs(ctx context.Context, vpcIDs []string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		return []error{fmt.Errorf("describe load balancers: want 1 (%v)", err)}
	}
	attrs, err := c.ELB.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil {
		return []error{fmt.Errorf("describe load balancer attributes: %w", err)}
	}
	attr := map[string]string{}
	for _, a := range attrs.Attributes {
		attr[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	bucket := attr["access_logs.s3.bucket"]
	if attr["access_logs.s3.enabled"] != "true" || bucket == "" {
		return append(errs, fmt.Errorf("the ALB's access logs are off (%v)", attr))
	}
	if p := attr["access_logs.s3.prefix"]; p != "alb" {
		bad("the ALB's access logs go to prefix %q, want alb", p)
	}

	pab, err := c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if err != nil {
		bad("bucket %s: public access block: %v", bucket, err)
	} else if b := pab.PublicAccessBlockConfiguration; !aws.ToBool(b.BlockPublicAcls) || !aws.ToBool(b.BlockPublicPolicy) ||
		!aws.ToBool(b.IgnorePublicAcls) || !aws.ToBool(b.RestrictPublicBuckets) {
		bad("bucket %s: not every Block Public Access setting is on: %+v", bucket, *b)
	}
	own, err := c.S3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
	if err != nil {
		bad("bucket %s: ownership controls: %v", bucket, err)
	} else if r := own.OwnershipControls.Rules; len(r) != 1 || r[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
		bad("bucket %s: ownership is not BucketOwnerEnforced: %+v", bucket, r)
	}
	enc, err := c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil {
		bad("bucket %s: encryption: %v", bucket, err)
	} else if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		bad("bucket %s: default encryption is not SSE-S3", bucket)
	}
	life, err := c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		bad("bucket %s: lifecycle: %v", bucket, err)
	} else if len(life.Rules) != 1 || life.Rules[0].Expiration == nil || aws.ToInt32(life.Rules[0].Expiration.Days) < 1 {
		bad("bucket %s: objects do not expire: %+v", bucket, life.Rules)
	}
	pol, err := c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		bad("bucket %s: policy: %v", bucket, err)
	} else if doc, err := parseDoc(aws.ToString(pol.Policy)); err != nil {
		bad("bucket %s: policy: %v", bucket, err)
	} else {
		tlsOnly := false
		for _, s := range doc.Statement {
			if s.Effect == "Deny" && s.Principal == "*" && contains(list(s.Action), "s3:*") {
				tlsOnly = true
			}
			if s.Effect == "Allow" && (s.Principal == "*" || contains(list(principalOf(s.Principal, "AWS")), "*")) {
				bad("bucket %s: policy allows %v to everyone", bucket, s.Action)
			}
		}
		if !tlsOnly {
			bad("bucket %s: policy does not deny requests without TLS", bucket)
		}
	}

	// A flow log of every VPC of the stack, into the bucket.
	fls, err := c.EC2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	if err != nil {
		return append(errs, fmt.Errorf("describe flow logs: %w", err))
	}
	logged := map[string]bool{}
	for _, f := range fls.FlowLogs {
		if f.LogDestinationType == ec2types.LogDestinationTypeS3 && strings.HasPrefix(aws.ToString(f.LogDestination), "arn:aws:s3:::"+bucket+"/") {
			logged[aws.ToString(f.ResourceId)] = true
		}
	}
	for _, id := range vpcIDs {
		if !logged[id] {
			bad("VPC %s has no flow log into bucket %s", id, bucket)
		}
	}
	return errs
}

// admin checks the admin entry points and the key pair against the config.
func (c *Clients) admin(ctx context.Context, vpcIDs []string, sec Secure) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	insts, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: vpcIDs},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	if err != nil {
		return []error{fmt.Errorf("describe instances: %w", err)}
	}
	keys, err := c.EC2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		return []error{fmt.Errorf("describe key pairs: %w", err)}
	}
	if sec.KeyPair != (len(keys.KeyPairs) == 1) {
		bad("want a key pair: %v, found %d", sec.KeyPair, len(keys.KeyPairs))
	}
	bastions := 0
	for _, r := range insts.Reservations {
		for _, i := range r.Instances {
			role := ""
			for _, t := range i.Tags {
				if aws.ToString(t.Key) == "Role" {
					role = aws.ToString(t.Value)
				}
			}
			if role == "bastion" {
				bastions++
			} else if i.PublicIpAddress != nil {
				bad("instance %s (%s) has a public address %s", aws.ToString(i.InstanceId), role, aws.ToString(i.PublicIpAddress))
			}
			if sec.KeyPair && (len(keys.KeyPairs) != 1 || aws.ToString(i.KeyName) != aws.ToString(keys.KeyPairs[0].KeyName)) {
				bad("instance %s (%s) does not carry the key pair", aws.ToString(i.InstanceId), role)
			}
		}
	}
	want := map[string]int{"bastion": len(vpcIDs)}[sec.AdminAccess]
	if bastions != want {
		bad("%d bastions, want %d with adminAccess %s", bastions, want, sec.AdminAccess)
	}
	eices, err := c.EC2.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{})
	if err != nil {
		return append(errs, fmt.Errorf("describe instance connect endpoints: %w", err))
	}
	in := map[string]bool{}
	for _, e := range eices.InstanceConnectEndpoints {
		if e.State == ec2types.Ec2InstanceConnectEndpointStateCreateComplete {
			in[aws.ToString(e.VpcId)] = true
			if aws.ToBool(e.PreserveClientIp) {
				bad("instance connect endpoint %s preserves client addresses: group references would not match", aws.ToString(e.InstanceConnectEndpointId))
			}
		}
	}
	for _, id := range vpcIDs {
		if in[id] != (sec.AdminAccess == "instanceConnectEndpoint") {
			bad("VPC %s: instance connect endpoint present %v with adminAccess %s", id, in[id], sec.AdminAccess)
		}
	}
	return errs
}

// decodePolicy undoes the URL encoding some answers carry.
func decodePolicy(s string) string {
	if strings.HasPrefix(s, "%7B") {
		if d, err := url.QueryUnescape(s); err == nil {
			return d
		}
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
