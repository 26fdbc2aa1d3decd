//go:build integration

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/internal-alb/internal-alb/internal/localrun"
)

// TestMotoPatches checks each patch of emulator/moto/launch.py against a
// running server with the AWS CLI: a zone created with a VPC is private and
// takes a second VPC; security group rules carry GroupOwnerId next to
// ReferencedGroupInfo; an internal ALB's DNS name starts with "internal-"; a
// network interface without a public IP has no Association; transit gateway
// attachments are associated by default only when the gateway says so, keep
// their tags, and stay visible as "deleted" once deleted; rules to a group
// or a prefix list keep their description; an instance launched through a
// network interface spec reports that interface's groups; Lambda runs
// without Docker; a flow log may write to a folder of a bucket;
// ResetPolicy restores an endpoint's full-access policy; Instance Connect
// Endpoints are created, described (with a network interface in their
// groups) and deleted; enabling an ALB's access logs needs a bucket policy
// that lets ELB write.
func TestMotoPatches(t *testing.T) {
	t.Parallel() // beside TestEmulator, which starts servers of its own
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no aws CLI:", err)
	}
	// A bound against a hang, not a timing: beside the emulator run's
	// stacks (make integration runs them all at once) it takes 2-3 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	moto, err := localrun.StartMoto(ctx, ".", filepath.Join(localrun.CacheDir("."), "logs", "it-patches-moto.log"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()

	aws := func(args ...string) map[string]interface{} {
		t.Helper()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", moto.URL, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		m := map[string]interface{}{}
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return m
	}
	get := func(m interface{}, path ...interface{}) interface{} {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				m = m.(map[string]interface{})[k]
			case int:
				m = m.([]interface{})[k]
			}
		}
		return m
	}

	vpcA := get(aws("ec2", "create-vpc", "--cidr-block", "10.1.0.0/16"), "Vpc", "VpcId").(string)
	vpcB := get(aws("ec2", "create-vpc", "--cidr-block", "10.2.0.0/16"), "Vpc", "VpcId").(string)

	t.Run("route53 zone with a VPC is private", func(t *testing.T) {
		zone := aws("route53", "create-hosted-zone", "--name", "home", "--caller-reference", "patch-test",
			"--vpc", "VPCRegion=us-east-1,VPCId="+vpcA)
		id := get(zone, "HostedZone", "Id").(string)
		if private := get(zone, "HostedZone", "Config", "PrivateZone"); private != true {
			t.Errorf("PrivateZone = %v, want true", private)
		}
		aws("route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", id,
			"--vpc", "VPCRegion=us-east-1,VPCId="+vpcB)
		if vpcs := get(aws("route53", "get-hosted-zone", "--id", id), "VPCs").([]interface{}); len(vpcs) != 2 {
			t.Errorf("zone VPCs = %v, want two", vpcs)
		}
	})

	t.Run("security group rules carry GroupOwnerId", func(t *testing.T) {
		sgA := get(aws("ec2", "create-security-group", "--group-name", "a", "--description", "a", "--vpc-id", vpcA), "GroupId").(string)
		sgB := get(aws("ec2", "create-security-group", "--group-name", "b", "--description", "b", "--vpc-id", vpcA), "GroupId").(string)
		aws("ec2", "authorize-security-group-ingress", "--group-id", sgA, "--ip-permissions",
			"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{GroupId="+sgB+"}]")
		rules := get(aws("ec2", "describe-security-group-rules", "--filters", "Name=group-id,Values="+sgA), "SecurityGroupRules").([]interface{})
		found := false
		for _, r := range rules {
			rule := r.(map[string]interface{})
			ref, ok := rule["ReferencedGroupInfo"].(map[string]interface{})
			if !ok {
				continue
			}
			found = true
			if rule["GroupOwnerId"] == nil || rule["GroupOwnerId"] != ref["UserId"] {
				t.Errorf("GroupOwnerId = %v, ReferencedGroupInfo.UserId = %v: want equal", rule["GroupOwnerId"], ref["UserId"])
			}
			if ref["GroupId"] != sgB {
				t.Errorf("ReferencedGroupInfo.GroupId = %v, want %s", ref["GroupId"], sgB)
			}
		}
		if !found {
			t.Errorf("no rule references %s: %v", sgB, rules)
		}
	})

	t.Run("internal ALB DNS name has the internal- prefix", func(t *testing.T) {
		s1 := get(aws("ec2", "create-subnet", "--vpc-id", vpcA, "--cidr-block", "10.1.1.0/24", "--availability-zone", "us-east-1a"), "Subnet", "SubnetId").(string)
		s2 := get(aws("ec2", "create-subnet", "--vpc-id", vpcA, "--cidr-block", "10.1.2.0/24", "--availability-zone", "us-east-1b"), "Subnet", "SubnetId").(string)
		internal := aws("elbv2", "create-load-balancer", "--name", "in", "--scheme", "internal", "--subnets", s1, s2)
		if dns := get(internal, "LoadBalancers", 0, "DNSName").(string); !strings.HasPrefix(dns, "internal-in-") {
			t.Errorf("internal DNSName = %s", dns)
		}
		public := aws("elbv2", "create-load-balancer", "--name", "out", "--subnets", s1, s2)
		if dns := get(public, "LoadBalancers", 0, "DNSName").(string); strings.HasPrefix(dns, "internal-") {
			t.Errorf("internet-facing DNSName = %s", dns)
		}
	})

	t.Run("private network interfaces have no Association", func(t *testing.T) {
		subnet := get(aws("ec2", "create-subnet", "--vpc-id", vpcB, "--cidr-block", "10.2.1.0/24"), "Subnet", "SubnetId").(string)
		image := get(aws("ec2", "describe-images", "--owners", "amazon"), "Images", 0, "ImageId").(string)
		run := func(public string) map[string]interface{} {
			id := get(aws("ec2", "run-instances", "--image-id", image, "--count", "1", "--instance-type", "t3.micro",
				"--network-interfaces", "DeviceIndex=0,SubnetId="+subnet+",AssociatePublicIpAddress="+public),
				"Instances", 0, "InstanceId").(string)
			return get(aws("ec2", "describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0).(map[string]interface{})
		}
		private := run("false")
		if a, ok := get(private, "NetworkInterfaces", 0).(map[string]interface{})["Association"]; ok {
			t.Errorf("private instance's interface has Association %v", a)
		}
		public := run("true")
		ip, _ := public["PublicIpAddress"].(string)
		if a, _ := get(public, "NetworkInterfaces", 0).(map[string]interface{})["Association"].(map[string]interface{}); ip == "" || a["PublicIp"] != ip {
			t.Errorf("public instance: PublicIpAddress %q, Association %v", ip, a)
		}
	})

	t.Run("transit gateway attachments follow the default-association setting", func(t *testing.T) {
		subnet := get(aws("ec2", "create-subnet", "--vpc-id", vpcA, "--cidr-block", "10.1.9.0/24"), "Subnet", "SubnetId").(string)
		tgw := get(aws("ec2", "create-transit-gateway", "--options",
			"DefaultRouteTableAssociation=disable,DefaultRouteTablePropagation=disable"), "TransitGateway", "TransitGatewayId").(string)
		created := aws("ec2", "create-transit-gateway-vpc-attachment", "--transit-gateway-id", tgw, "--vpc-id", vpcA,
			"--subnet-ids", subnet, "--tag-specifications", "ResourceType=transit-gateway-attachment,Tags=[{Key=Name,Value=att}]")
		att := get(created, "TransitGatewayVpcAttachment", "TransitGatewayAttachmentId").(string)
		described := aws("ec2", "describe-transit-gateway-vpc-attachments", "--transit-gateway-attachment-ids", att)
		if tags, _ := get(described, "TransitGatewayVpcAttachments", 0).(map[string]interface{})["Tags"].([]interface{}); len(tags) != 1 {
			t.Errorf("attachment tags = %v, want Name=att", tags)
		}
		association := func() interface{} {
			atts := get(aws("ec2", "describe-transit-gateway-attachments", "--transit-gateway-attachment-ids", att),
				"TransitGatewayAttachments").([]interface{})
			return atts[0].(map[string]interface{})["Association"]
		}
		if a := association(); a != nil {
			t.Errorf("new attachment is associated: %v", a)
		}
		rt := get(aws("ec2", "create-transit-gateway-route-table", "--transit-gateway-id", tgw),
			"TransitGatewayRouteTable", "TransitGatewayRouteTableId").(string)
		aws("ec2", "associate-transit-gateway-route-table", "--transit-gateway-route-table-id", rt, "--transit-gateway-attachment-id", att)
		if a, _ := association().(map[string]interface{}); a["TransitGatewayRouteTableId"] != rt {
			t.Errorf("after associate: %v, want %s", a, rt)
		}
		aws("ec2", "disassociate-transit-gateway-route-table", "--transit-gateway-route-table-id", rt, "--transit-gateway-attachment-id", att)
		if a := association(); a != nil {
			t.Errorf("after disassociate: %v", a)
		}

		// Deleted: visible by id as "deleted", left out of searches, and the
		// VPC can be attached again.
		aws("ec2", "delete-transit-gateway-vpc-attachment", "--transit-gateway-attachment-id", att)
		byID := get(aws("ec2", "describe-transit-gateway-vpc-attachments", "--transit-gateway-attachment-ids", att),
			"TransitGatewayVpcAttachments").([]interface{})
		if len(byID) != 1 || byID[0].(map[string]interface{})["State"] != "deleted" {
			t.Errorf("deleted attachment by id = %v, want one in state deleted", byID)
		}
		listed := get(aws("ec2", "describe-transit-gateway-vpc-attachments", "--filters", "Name=transit-gateway-id,Values="+tgw),
			"TransitGatewayVpcAttachments").([]interface{})
		if len(listed) != 0 {
			t.Errorf("search lists deleted attachments: %v", listed)
		}
		aws("ec2", "create-transit-gateway-vpc-attachment", "--transit-gateway-id", tgw, "--vpc-id", vpcA, "--subnet-ids", subnet)
	})

	t.Run("rules to a group or a prefix list keep their description", func(t *testing.T) {
		sgC := get(aws("ec2", "create-security-group", "--group-name", "c", "--description", "c", "--vpc-id", vpcA), "GroupId").(string)
		sgD := get(aws("ec2", "create-security-group", "--group-name", "d", "--description", "d", "--vpc-id", vpcA), "GroupId").(string)
		aws("ec2", "authorize-security-group-ingress", "--group-id", sgC, "--ip-permissions",
			"IpProtocol=tcp,FromPort=22,ToPort=22,UserIdGroupPairs=[{GroupId="+sgD+",Description=from-d}]")
		aws("ec2", "authorize-security-group-egress", "--group-id", sgC, "--ip-permissions",
			"IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=pl-12345678,Description=to-s3}]")
		got := map[string]bool{}
		for _, r := range get(aws("ec2", "describe-security-group-rules", "--filters", "Name=group-id,Values="+sgC), "SecurityGroupRules").([]interface{}) {
			if d, ok := r.(map[string]interface{})["Description"].(string); ok {
				got[d] = true
			}
		}
		if !got["from-d"] || !got["to-s3"] {
			t.Errorf("descriptions = %v, want from-d and to-s3", got)
		}
		// …and so do the group's own lists of permissions.
		egress := get(aws("ec2", "describe-security-groups", "--group-ids", sgC), "SecurityGroups", 0, "IpPermissionsEgress").([]interface{})
		found := false
		for _, p := range egress {
			for _, pl := range p.(map[string]interface{})["PrefixListIds"].([]interface{}) {
				if pl.(map[string]interface{})["Description"] == "to-s3" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("describe-security-groups egress = %v, want the prefix list rule's description to-s3", egress)
		}
	})

	t.Run("an instance reports its primary interface's groups", func(t *testing.T) {
		subnet := get(aws("ec2", "create-subnet", "--vpc-id", vpcB, "--cidr-block", "10.2.2.0/24"), "Subnet", "SubnetId").(string)
		sg := get(aws("ec2", "create-security-group", "--group-name", "web", "--description", "web", "--vpc-id", vpcB), "GroupId").(string)
		image := get(aws("ec2", "describe-images", "--owners", "amazon"), "Images", 0, "ImageId").(string)
		id := get(aws("ec2", "run-instances", "--image-id", image, "--count", "1", "--instance-type", "t3.micro",
			"--network-interfaces", "DeviceIndex=0,SubnetId="+subnet+",AssociatePublicIpAddress=false,Groups="+sg),
			"Instances", 0, "InstanceId").(string)
		inst := get(aws("ec2", "describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0).(map[string]interface{})
		groups, _ := inst["SecurityGroups"].([]interface{})
		if len(groups) != 1 || groups[0].(map[string]interface{})["GroupId"] != sg {
			t.Errorf("instance SecurityGroups = %v, want [%s]", groups, sg)
		}
	})

	// The patches below are checked through the AWS SDK for Go, the one the
	// Terraform provider uses, in-process: a CLI call costs a second or two
	// of start-up.
	cfg := awssdk.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: awssdk.String(moto.URL),
	}
	ec2c, elbc := ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	subnetIn := func(t *testing.T, vpc, cidr, zone string) string {
		t.Helper()
		out, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpc, CidrBlock: &cidr, AvailabilityZone: &zone})
		must(t, err)
		return *out.Subnet.SubnetId
	}

	t.Run("a flow log writes to a bucket folder", func(t *testing.T) {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awssdk.String("flow-logs-patch")})
		must(t, err)
		dest := "arn:aws:s3:::flow-logs-patch/flow-logs/"
		out, err := ec2c.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceType: ec2types.FlowLogsResourceTypeVpc,
			ResourceIds: []string{vpcA}, TrafficType: ec2types.TrafficTypeAll,
			LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: &dest})
		must(t, err)
		if len(out.FlowLogIds) != 1 {
			t.Fatalf("created %v, unsuccessful %+v: want one flow log", out.FlowLogIds, out.Unsuccessful)
		}
		fls, err := ec2c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		if d := awssdk.ToString(fls.FlowLogs[0].LogDestination); d != dest {
			t.Errorf("LogDestination = %s, want %s as given", d, dest)
		}
	})

	t.Run("ResetPolicy restores the full-access endpoint policy", func(t *testing.T) {
		out, err := ec2c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &vpcB,
			ServiceName: awssdk.String("com.amazonaws.us-east-1.s3"), PolicyDocument: awssdk.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`)})
		must(t, err)
		id := out.VpcEndpoint.VpcEndpointId
		_, err = ec2c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: id, ResetPolicy: awssdk.Bool(true)})
		must(t, err)
		eps, err := ec2c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*id}})
		must(t, err)
		if doc := awssdk.ToString(eps.VpcEndpoints[0].PolicyDocument); !strings.Contains(doc, `"Action": "*"`) || strings.Contains(doc, "s3:GetObject") {
			t.Errorf("policy after reset = %s, want the full-access default", doc)
		}
	})

	t.Run("instance connect endpoints", func(t *testing.T) {
		subnet := subnetIn(t, vpcB, "10.2.3.0/24", "us-east-1c")
		sg, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: awssdk.String("eice"),
			Description: awssdk.String("eice"), VpcId: &vpcB})
		must(t, err)
		created, err := ec2c.CreateInstanceConnectEndpoint(ctx, &ec2.CreateInstanceConnectEndpointInput{
			SubnetId: &subnet, SecurityGroupIds: []string{*sg.GroupId}, PreserveClientIp: awssdk.Bool(false),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstanceConnectEndpoint,
				Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String("eice")}}}}})
		must(t, err)
		id := awssdk.ToString(created.InstanceConnectEndpoint.InstanceConnectEndpointId)
		if !strings.HasPrefix(id, "eice-") || created.InstanceConnectEndpoint.State != ec2types.Ec2InstanceConnectEndpointStateCreateInProgress {
			t.Fatalf("created %s in %s, want an eice- id in create-in-progress", id, created.InstanceConnectEndpoint.State)
		}
		_, err = ec2c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id},
			Tags: []ec2types.Tag{{Key: awssdk.String("Team"), Value: awssdk.String("ops")}}})
		must(t, err)
		describe := func(ids ...string) ([]ec2types.Ec2InstanceConnectEndpoint, error) {
			out, err := ec2c.DescribeInstanceConnectEndpoints(ctx, &ec2.DescribeInstanceConnectEndpointsInput{InstanceConnectEndpointIds: ids})
			if err != nil {
				return nil, err
			}
			return out.InstanceConnectEndpoints, nil
		}
		found, err := describe(id)
		must(t, err)
		e := found[0]
		if e.State != ec2types.Ec2InstanceConnectEndpointStateCreateComplete || awssdk.ToString(e.SubnetId) != subnet ||
			awssdk.ToString(e.VpcId) != vpcB || awssdk.ToString(e.AvailabilityZone) != "us-east-1c" ||
			awssdk.ToBool(e.PreserveClientIp) || len(e.SecurityGroupIds) != 1 || e.SecurityGroupIds[0] != *sg.GroupId ||
			len(e.Tags) != 2 || e.CreatedAt == nil || awssdk.ToString(e.OwnerId) == "" ||
			!strings.Contains(awssdk.ToString(e.InstanceConnectEndpointArn), ":instance-connect-endpoint/"+id) ||
			!strings.HasPrefix(awssdk.ToString(e.DnsName), id+".") || !strings.HasPrefix(awssdk.ToString(e.FipsDnsName), id+".") {
			t.Errorf("described %+v", e)
		}
		if len(e.NetworkInterfaceIds) != 1 {
			t.Fatalf("NetworkInterfaceIds = %v, want one", e.NetworkInterfaceIds)
		}
		enis, err := ec2c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: e.NetworkInterfaceIds})
		must(t, err)
		if eni := enis.NetworkInterfaces[0]; awssdk.ToString(eni.SubnetId) != subnet || len(eni.Groups) != 1 ||
			awssdk.ToString(eni.Groups[0].GroupId) != *sg.GroupId {
			t.Errorf("interface in %s with %+v, want in %s with group %s", awssdk.ToString(eni.SubnetId), eni.Groups, subnet, *sg.GroupId)
		}

		deleted, err := ec2c.DeleteInstanceConnectEndpoint(ctx, &ec2.DeleteInstanceConnectEndpointInput{InstanceConnectEndpointId: &id})
		must(t, err)
		if s := deleted.InstanceConnectEndpoint.State; s != ec2types.Ec2InstanceConnectEndpointStateDeleteInProgress {
			t.Errorf("delete answered State %s", s)
		}
		if found, err := describe(id); err != nil || found[0].State != ec2types.Ec2InstanceConnectEndpointStateDeleteComplete {
			t.Errorf("deleted endpoint by id: %+v, %v; want it in delete-complete", found, err)
		}
		if all, err := describe(); err != nil || len(all) != 0 {
			t.Errorf("search: %+v, %v; want no deleted endpoints", all, err)
		}
		left, err := ec2c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
			{Name: awssdk.String("subnet-id"), Values: []string{subnet}}}})
		must(t, err)
		if len(left.NetworkInterfaces) != 0 {
			t.Errorf("the endpoint's interface outlived it: %+v", left.NetworkInterfaces)
		}
		if _, err := describe("eice-0123456789abcdef0"); err == nil || !strings.Contains(err.Error(), "InvalidInstanceConnectEndpointId.NotFound") {
			t.Errorf("unknown id: %v", err)
		}
	})

	t.Run("ALB access logs need a bucket ELB may write to", func(t *testing.T) {
		lbs, err := elbc.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String("logged"),
			Scheme:  elbtypes.LoadBalancerSchemeEnumInternal,
			Subnets: []string{subnetIn(t, vpcA, "10.1.3.0/24", "us-east-1a"), subnetIn(t, vpcA, "10.1.4.0/24", "us-east-1b")}})
		must(t, err)
		lb := lbs.LoadBalancers[0].LoadBalancerArn
		account := strings.Split(*lb, ":")[4]
		_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awssdk.String("alb-logs-patch")})
		must(t, err)
		attr := func(k, v string) elbtypes.LoadBalancerAttribute {
			return elbtypes.LoadBalancerAttribute{Key: &k, Value: &v}
		}
		enable := func() error {
			_, err := elbc.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb,
				Attributes: []elbtypes.LoadBalancerAttribute{attr("access_logs.s3.enabled", "true"),
					attr("access_logs.s3.bucket", "alb-logs-patch"), attr("access_logs.s3.prefix", "alb")}})
			return err
		}
		if err := enable(); err == nil || !strings.Contains(err.Error(), "Access Denied for bucket: alb-logs-patch") {
			t.Errorf("without a bucket policy: %v", err)
		}
		_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: awssdk.String("alb-logs-patch"), Policy: awssdk.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},` +
				`"Action":"s3:PutObject","Resource":"arn:aws:s3:::alb-logs-patch/alb/AWSLogs/` + account + `/*"}]}`)})
		must(t, err)
		must(t, enable())
		_, err = s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: awssdk.String("alb-logs-patch"),
			Key: awssdk.String("alb/AWSLogs/" + account + "/ELBAccessLogTestFile")})
		must(t, err)
	})

	t.Run("lambda runs without docker", func(t *testing.T) {
		resp, err := http.Get(moto.URL + "/moto-api/config")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var cfg map[string]map[string]interface{}
		if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		if cfg["lambda"]["use_docker"] != false {
			t.Errorf("moto config lambda = %v, want use_docker false", cfg["lambda"])
		}
	})
}

// TestMotoCrossAccount checks the cross-account patches of
// emulator/moto/launch.py, (o) to (s), and the account mechanics they rest
// on: the service account A is moto's default, 123456789012; the consumer
// account B, 111111111111, is whatever STS AssumeRole returns credentials
// for (the AWS CLI assumes the role, as a provider with assumeRole does, and
// the role need not exist). Each subtest walks one flow the way the
// Terraform provider does, in both accounts: a VPC peering connection
// requested by A and accepted by B, each side tagging its own view; A's
// private zone associated with B's VPC after A's authorization; A's transit
// gateway shared with B through RAM (an invitation B accepts), attached to by
// B and accepted by A; a Lambda permission for B's role; and the reads of an
// existing VPC the program makes. RAM is driven by the CLI (the program's
// module has no RAM client), the rest by the AWS SDK for Go in-process.
func TestMotoCrossAccount(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no aws CLI:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a bound against a hang, as above
	defer cancel()
	moto, err := localrun.StartMoto(ctx, ".", filepath.Join(localrun.CacheDir("."), "logs", "it-crossaccount-moto.log"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()

	const accountA, accountB = "123456789012", "111111111111"
	keysA := []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
	// cli runs the AWS CLI with the given credentials (AWS_* variables).
	cli := func(creds []string, args ...string) (map[string]interface{}, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", moto.URL, "--output", "json"}, args...)...)
		cmd.Env = append(append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER="), creds...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		m := map[string]interface{}{}
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &m); err != nil {
				return nil, fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return m, nil
	}
	mustCLI := func(t *testing.T, creds []string, args ...string) map[string]interface{} {
		t.Helper()
		m, err := cli(creds, args...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// code is an AWS error's code, "" for no error.
	code := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}

	// Account B: the credentials of an assumed role in 111111111111.
	assumed := mustCLI(t, keysA, "sts", "assume-role", "--role-arn",
		"arn:aws:iam::"+accountB+":role/internal-alb-consumer", "--role-session-name", "consumer")
	c, _ := assumed["Credentials"].(map[string]interface{})
	akid, _ := c["AccessKeyId"].(string)
	secret, _ := c["SecretAccessKey"].(string)
	token, _ := c["SessionToken"].(string)
	if akid == "" || secret == "" || token == "" {
		t.Fatalf("assume-role answered %v", assumed)
	}
	keysB := []string{"AWS_ACCESS_KEY_ID=" + akid, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=" + token}
	config := func(p awssdk.CredentialsProvider) awssdk.Config {
		return awssdk.Config{Region: "us-east-1", Credentials: p, BaseEndpoint: awssdk.String(moto.URL)}
	}
	cfgA := config(credentials.NewStaticCredentialsProvider("test", "test", ""))
	cfgB := config(credentials.NewStaticCredentialsProvider(akid, secret, token))
	ec2A, ec2B := ec2.NewFromConfig(cfgA), ec2.NewFromConfig(cfgB)

	t.Run("assumed credentials act in the role's account", func(t *testing.T) {
		who, err := sts.NewFromConfig(cfgB).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		must(t, err)
		if awssdk.ToString(who.Account) != accountB {
			t.Errorf("caller account %s, want %s", awssdk.ToString(who.Account), accountB)
		}
		// moto does not check that the role exists (AWS does).
		_, err = iam.NewFromConfig(cfgB).GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String("internal-alb-consumer")})
		if code(err) != "NoSuchEntity" {
			t.Errorf("get-role in B: %v, want NoSuchEntity (the role was never created)", err)
		}
		vpc, err := ec2B.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.30.0.0/16")})
		must(t, err)
		if o := awssdk.ToString(vpc.Vpc.OwnerId); o != accountB {
			t.Errorf("B's VPC has owner %s", o)
		}
		_, err = ec2A.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{*vpc.Vpc.VpcId}})
		if code(err) != "InvalidVpcID.NotFound" {
			t.Errorf("A sees B's VPC: %v", err)
		}
	})

	vpcIn := func(t *testing.T, c *ec2.Client, cidr string) (vpc, subnet, routeTable string) {
		t.Helper()
		v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: &cidr})
		must(t, err)
		s, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId,
			CidrBlock: awssdk.String(strings.Replace(cidr, ".0.0/16", ".1.0/24", 1))})
		must(t, err)
		rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
			{Name: awssdk.String("vpc-id"), Values: []string{*v.Vpc.VpcId}}}})
		must(t, err)
		return *v.Vpc.VpcId, *s.Subnet.SubnetId, *rts.RouteTables[0].RouteTableId
	}
	tag := func(k, v string) ec2types.Tag { return ec2types.Tag{Key: &k, Value: &v} }
	tagsOf := func(tags []ec2types.Tag) map[string]string {
		m := map[string]string{}
		for _, t := range tags {
			m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
		}
		return m
	}

	t.Run("peering across accounts, each side with its own tags", func(t *testing.T) {
		vpcA, _, rtA := vpcIn(t, ec2A, "10.1.0.0/16")
		vpcB, _, rtB := vpcIn(t, ec2B, "10.2.0.0/16")
		created, err := ec2A.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: &vpcA,
			PeerVpcId: &vpcB, PeerOwnerId: awssdk.String(accountB),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcPeeringConnection,
				Tags: []ec2types.Tag{tag("Side", "requester")}}}})
		must(t, err)
		id := created.VpcPeeringConnection.VpcPeeringConnectionId
		describe := func(c *ec2.Client) ec2types.VpcPeeringConnection {
			t.Helper()
			out, err := c.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{*id}})
			must(t, err)
			if len(out.VpcPeeringConnections) != 1 {
				t.Fatalf("described %d connections", len(out.VpcPeeringConnections))
			}
			return out.VpcPeeringConnections[0]
		}
		if s := describe(ec2B).Status.Code; s != ec2types.VpcPeeringConnectionStateReasonCodePendingAcceptance {
			t.Errorf("B sees %s, want pending-acceptance", s)
		}
		_, err = ec2A.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: id})
		if code(err) != "OperationNotPermitted" {
			t.Errorf("the requester accepted: %v", err)
		}
		_, err = ec2B.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: id})
		must(t, err)
		// The accepter resource tags B's view; the requester's tags stay A's.
		_, err = ec2B.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*id}, Tags: []ec2types.Tag{tag("Side", "accepter")}})
		must(t, err)
		for _, side := range []struct {
			c    *ec2.Client
			name string
			tag  string
		}{{ec2A, "A", "requester"}, {ec2B, "B", "accepter"}} {
			p := describe(side.c)
			if p.Status.Code != ec2types.VpcPeeringConnectionStateReasonCodeActive {
				t.Errorf("%s sees %s, want active", side.name, p.Status.Code)
			}
			if r, a := p.RequesterVpcInfo, p.AccepterVpcInfo; awssdk.ToString(r.OwnerId) != accountA ||
				awssdk.ToString(r.CidrBlock) != "10.1.0.0/16" || awssdk.ToString(r.VpcId) != vpcA ||
				awssdk.ToString(a.OwnerId) != accountB || awssdk.ToString(a.CidrBlock) != "10.2.0.0/16" ||
				awssdk.ToString(a.VpcId) != vpcB {
				t.Errorf("%s sees requester %+v, accepter %+v", side.name, r, a)
			}
			if got := tagsOf(p.Tags); len(got) != 1 || got["Side"] != side.tag {
				t.Errorf("%s sees tags %v, want only Side=%s", side.name, got, side.tag)
			}
		}
		for _, r := range []struct {
			c          *ec2.Client
			table, dst string
		}{{ec2A, rtA, "10.2.0.0/16"}, {ec2B, rtB, "10.1.0.0/16"}} {
			_, err := r.c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &r.table, DestinationCidrBlock: &r.dst, VpcPeeringConnectionId: id})
			must(t, err)
			out, err := r.c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{r.table}})
			must(t, err)
			found := false
			for _, route := range out.RouteTables[0].Routes {
				found = found || (awssdk.ToString(route.DestinationCidrBlock) == r.dst && awssdk.ToString(route.VpcPeeringConnectionId) == *id)
			}
			if !found {
				t.Errorf("no route to %s through %s in %s", r.dst, *id, r.table)
			}
		}
		_, err = ec2A.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: id})
		must(t, err)
		if s := describe(ec2B).Status.Code; s != ec2types.VpcPeeringConnectionStateReasonCodeDeleted {
			t.Errorf("after A deleted it, B sees %s", s)
		}
	})

	t.Run("a private zone associated with another account's VPC", func(t *testing.T) {
		r53A, r53B := route53.NewFromConfig(cfgA), route53.NewFromConfig(cfgB)
		vpcA, _, _ := vpcIn(t, ec2A, "10.3.0.0/16")
		vpcB, _, _ := vpcIn(t, ec2B, "10.4.0.0/16")
		zone, err := r53A.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: awssdk.String("cross.home"),
			CallerReference: awssdk.String("cross"), VPC: &r53types.VPC{VPCId: &vpcA, VPCRegion: r53types.VPCRegionUsEast1}})
		must(t, err)
		zoneID := strings.TrimPrefix(*zone.HostedZone.Id, "/hostedzone/")
		vpc := &r53types.VPC{VPCId: &vpcB, VPCRegion: r53types.VPCRegionUsEast1}
		associate := func() error {
			_, err := r53B.AssociateVPCWithHostedZone(ctx, &route53.AssociateVPCWithHostedZoneInput{HostedZoneId: &zoneID, VPC: vpc})
			return err
		}
		if c := code(associate()); c != "NotAuthorizedException" {
			t.Errorf("associating without an authorization: %s, want NotAuthorizedException", c)
		}
		auth, err := r53A.CreateVPCAssociationAuthorization(ctx, &route53.CreateVPCAssociationAuthorizationInput{HostedZoneId: &zoneID, VPC: vpc})
		must(t, err)
		if awssdk.ToString(auth.HostedZoneId) != zoneID || awssdk.ToString(auth.VPC.VPCId) != vpcB {
			t.Errorf("authorization answered zone %s, VPC %s", awssdk.ToString(auth.HostedZoneId), awssdk.ToString(auth.VPC.VPCId))
		}
		listed, err := r53A.ListVPCAssociationAuthorizations(ctx, &route53.ListVPCAssociationAuthorizationsInput{HostedZoneId: &zoneID})
		must(t, err)
		if awssdk.ToString(listed.HostedZoneId) != zoneID || len(listed.VPCs) != 1 ||
			awssdk.ToString(listed.VPCs[0].VPCId) != vpcB || listed.VPCs[0].VPCRegion != r53types.VPCRegionUsEast1 {
			t.Errorf("authorizations: %s %+v", awssdk.ToString(listed.HostedZoneId), listed.VPCs)
		}
		// B may associate only a VPC of its own.
		_, err = r53B.AssociateVPCWithHostedZone(ctx, &route53.AssociateVPCWithHostedZoneInput{HostedZoneId: &zoneID,
			VPC: &r53types.VPC{VPCId: &vpcA, VPCRegion: r53types.VPCRegionUsEast1}})
		if code(err) != "InvalidVPCId" {
			t.Errorf("B associated A's VPC: %v", err)
		}
		must(t, associate())
		got, err := r53A.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: &zoneID})
		must(t, err)
		var vpcs []string
		for _, v := range got.VPCs {
			vpcs = append(vpcs, awssdk.ToString(v.VPCId))
		}
		if len(vpcs) != 2 || vpcs[0] != vpcA || vpcs[1] != vpcB {
			t.Errorf("zone VPCs %v, want [%s %s]", vpcs, vpcA, vpcB)
		}
		byVPC, err := r53B.ListHostedZonesByVPC(ctx, &route53.ListHostedZonesByVPCInput{VPCId: &vpcB, VPCRegion: r53types.VPCRegionUsEast1})
		must(t, err)
		if s := byVPC.HostedZoneSummaries; len(s) != 1 || awssdk.ToString(s[0].HostedZoneId) != zoneID ||
			awssdk.ToString(s[0].Owner.OwningAccount) != accountA {
			t.Errorf("B's zones by VPC: %+v", s)
		}
		// The association outlives its authorization.
		_, err = r53A.DeleteVPCAssociationAuthorization(ctx, &route53.DeleteVPCAssociationAuthorizationInput{HostedZoneId: &zoneID, VPC: vpc})
		must(t, err)
		_, err = r53A.DeleteVPCAssociationAuthorization(ctx, &route53.DeleteVPCAssociationAuthorizationInput{HostedZoneId: &zoneID, VPC: vpc})
		if code(err) != "VPCAssociationAuthorizationNotFound" {
			t.Errorf("deleting it twice: %v", err)
		}
		_, err = r53B.DisassociateVPCFromHostedZone(ctx, &route53.DisassociateVPCFromHostedZoneInput{HostedZoneId: &zoneID, VPC: vpc})
		must(t, err)
		_, err = r53B.DisassociateVPCFromHostedZone(ctx, &route53.DisassociateVPCFromHostedZoneInput{HostedZoneId: &zoneID, VPC: vpc})
		if code(err) != "VPCAssociationNotFound" {
			t.Errorf("disassociating twice: %v", err)
		}
		got, err = r53A.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: &zoneID})
		must(t, err)
		if len(got.VPCs) != 1 || awssdk.ToString(got.VPCs[0].VPCId) != vpcA {
			t.Errorf("after B left, zone VPCs %+v", got.VPCs)
		}
	})

	t.Run("a transit gateway shared through RAM and attached from another account", func(t *testing.T) {
		gw, err := ec2A.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{Options: &ec2types.TransitGatewayRequestOptions{
			AutoAcceptSharedAttachments:  ec2types.AutoAcceptSharedAttachmentsValueDisable,
			DefaultRouteTableAssociation: ec2types.DefaultRouteTableAssociationValueDisable,
			DefaultRouteTablePropagation: ec2types.DefaultRouteTablePropagationValueDisable}})
		must(t, err)
		gwID, gwArn := *gw.TransitGateway.TransitGatewayId, *gw.TransitGateway.TransitGatewayArn
		visibleToB := func() bool {
			t.Helper()
			out, err := ec2B.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
			must(t, err)
			for _, g := range out.TransitGateways {
				if *g.TransitGatewayId == gwID {
					if o := awssdk.ToString(g.OwnerId); o != accountA {
						t.Errorf("B sees the gateway with owner %s", o)
					}
					return true
				}
			}
			return false
		}

		// A share that keeps to the organization refuses an outside account.
		if _, err := cli(keysA, "ram", "create-resource-share", "--name", "closed", "--no-allow-external-principals",
			"--principals", accountB); err == nil || !strings.Contains(err.Error(), "OperationNotPermittedException") {
			t.Errorf("a closed share took account %s: %v", accountB, err)
		}
		share := mustCLI(t, keysA, "ram", "create-resource-share", "--name", "tgw", "--allow-external-principals")
		shareArn, _ := share["resourceShare"].(map[string]interface{})["resourceShareArn"].(string)
		mustCLI(t, keysA, "ram", "associate-resource-share", "--resource-share-arn", shareArn, "--resource-arns", gwArn)
		mustCLI(t, keysA, "ram", "associate-resource-share", "--resource-share-arn", shareArn, "--principals", accountB)
		principal := func() map[string]interface{} {
			t.Helper()
			out := mustCLI(t, keysA, "ram", "get-resource-share-associations", "--association-type", "PRINCIPAL",
				"--resource-share-arns", shareArn, "--principal", accountB)
			list, _ := out["resourceShareAssociations"].([]interface{})
			if len(list) != 1 {
				t.Fatalf("principal associations %v", out)
			}
			return list[0].(map[string]interface{})
		}
		if p := principal(); p["status"] != "ASSOCIATING" || p["external"] != true {
			t.Errorf("before B accepts: %v, want ASSOCIATING and external", p)
		}
		if visibleToB() {
			t.Errorf("B sees the gateway before accepting the invitation")
		}
		invitations := mustCLI(t, keysB, "ram", "get-resource-share-invitations", "--resource-share-arns", shareArn)
		list, _ := invitations["resourceShareInvitations"].([]interface{})
		if len(list) != 1 || list[0].(map[string]interface{})["status"] != "PENDING" ||
			list[0].(map[string]interface{})["senderAccountId"] != accountA {
			t.Fatalf("B's invitations: %v", invitations)
		}
		mustCLI(t, keysB, "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn",
			list[0].(map[string]interface{})["resourceShareInvitationArn"].(string))
		if p := principal(); p["status"] != "ASSOCIATED" {
			t.Errorf("after B accepted: %v", p)
		}
		received := mustCLI(t, keysB, "ram", "list-resources", "--resource-owner", "OTHER-ACCOUNTS", "--resource-share-arns", shareArn)
		if r, _ := received["resources"].([]interface{}); len(r) != 1 || r[0].(map[string]interface{})["arn"] != gwArn {
			t.Errorf("B's shared resources: %v", received)
		}
		permissions := mustCLI(t, keysA, "ram", "list-resource-share-permissions", "--resource-share-arn", shareArn)
		if p, _ := permissions["permissions"].([]interface{}); len(p) != 1 ||
			p[0].(map[string]interface{})["arn"] != "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionTransitGateway" {
			t.Errorf("share permissions: %v", permissions)
		}
		if !visibleToB() {
			t.Fatalf("B does not see the shared gateway")
		}

		vpcB, subnetB, rtB := vpcIn(t, ec2B, "10.6.0.0/16")
		att, err := ec2B.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{
			TransitGatewayId: &gwID, VpcId: &vpcB, SubnetIds: []string{subnetB},
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeTransitGatewayAttachment,
				Tags: []ec2types.Tag{tag("Side", "consumer")}}}})
		must(t, err)
		attID := *att.TransitGatewayVpcAttachment.TransitGatewayAttachmentId
		attachment := func(c *ec2.Client) ec2types.TransitGatewayVpcAttachment {
			t.Helper()
			out, err := c.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{
				TransitGatewayAttachmentIds: []string{attID}})
			must(t, err)
			if len(out.TransitGatewayVpcAttachments) != 1 {
				t.Fatalf("described %d attachments", len(out.TransitGatewayVpcAttachments))
			}
			return out.TransitGatewayVpcAttachments[0]
		}
		if a := attachment(ec2A); a.State != ec2types.TransitGatewayAttachmentStatePendingAcceptance ||
			awssdk.ToString(a.VpcOwnerId) != accountB || awssdk.ToString(a.VpcId) != vpcB {
			t.Errorf("A sees the new attachment in %s, VPC %s of %s", a.State, awssdk.ToString(a.VpcId), awssdk.ToString(a.VpcOwnerId))
		}
		owners, err := ec2A.DescribeTransitGatewayAttachments(ctx, &ec2.DescribeTransitGatewayAttachmentsInput{TransitGatewayAttachmentIds: []string{attID}})
		must(t, err)
		if a := owners.TransitGatewayAttachments[0]; awssdk.ToString(a.TransitGatewayOwnerId) != accountA || awssdk.ToString(a.ResourceOwnerId) != accountB {
			t.Errorf("attachment owners: gateway %s, resource %s", awssdk.ToString(a.TransitGatewayOwnerId), awssdk.ToString(a.ResourceOwnerId))
		}
		_, err = ec2B.AcceptTransitGatewayVpcAttachment(ctx, &ec2.AcceptTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: &attID})
		if code(err) != "InvalidParameterValue" {
			t.Errorf("B accepted its own attachment: %v", err)
		}
		_, err = ec2A.AcceptTransitGatewayVpcAttachment(ctx, &ec2.AcceptTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: &attID})
		must(t, err)
		_, err = ec2A.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{attID}, Tags: []ec2types.Tag{tag("Side", "owner")}})
		must(t, err)
		for _, side := range []struct {
			c         *ec2.Client
			name, tag string
		}{{ec2A, "A", "owner"}, {ec2B, "B", "consumer"}} {
			a := attachment(side.c)
			if a.State != ec2types.TransitGatewayAttachmentStateAvailable {
				t.Errorf("after acceptance %s sees %s", side.name, a.State)
			}
			if got := tagsOf(a.Tags); len(got) != 1 || got["Side"] != side.tag {
				t.Errorf("%s sees tags %v, want only Side=%s", side.name, got, side.tag)
			}
		}
		table, err := ec2A.CreateTransitGatewayRouteTable(ctx, &ec2.CreateTransitGatewayRouteTableInput{TransitGatewayId: &gwID})
		must(t, err)
		tableID := table.TransitGatewayRouteTable.TransitGatewayRouteTableId
		_, err = ec2A.AssociateTransitGatewayRouteTable(ctx, &ec2.AssociateTransitGatewayRouteTableInput{
			TransitGatewayRouteTableId: tableID, TransitGatewayAttachmentId: &attID})
		must(t, err)
		_, err = ec2A.EnableTransitGatewayRouteTablePropagation(ctx, &ec2.EnableTransitGatewayRouteTablePropagationInput{
			TransitGatewayRouteTableId: tableID, TransitGatewayAttachmentId: &attID})
		must(t, err)
		onTable := func() (associated, propagated bool) {
			t.Helper()
			as, err := ec2A.GetTransitGatewayRouteTableAssociations(ctx, &ec2.GetTransitGatewayRouteTableAssociationsInput{TransitGatewayRouteTableId: tableID})
			must(t, err)
			for _, a := range as.Associations {
				associated = associated || awssdk.ToString(a.TransitGatewayAttachmentId) == attID
			}
			ps, err := ec2A.GetTransitGatewayRouteTablePropagations(ctx, &ec2.GetTransitGatewayRouteTablePropagationsInput{TransitGatewayRouteTableId: tableID})
			must(t, err)
			for _, p := range ps.TransitGatewayRouteTablePropagations {
				propagated = propagated || awssdk.ToString(p.TransitGatewayAttachmentId) == attID
			}
			return
		}
		if a, p := onTable(); !a || !p {
			t.Errorf("A's route table: associated %v, propagated %v", a, p)
		}
		_, err = ec2B.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &rtB, DestinationCidrBlock: awssdk.String("10.5.0.0/16"), TransitGatewayId: &gwID})
		must(t, err)
		routes, err := ec2B.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtB}})
		must(t, err)
		routed := false
		for _, r := range routes.RouteTables[0].Routes {
			routed = routed || (awssdk.ToString(r.DestinationCidrBlock) == "10.5.0.0/16" && awssdk.ToString(r.TransitGatewayId) == gwID)
		}
		if !routed {
			t.Errorf("B's route to the shared gateway: %+v", routes.RouteTables[0].Routes)
		}

		_, err = ec2B.DeleteTransitGatewayVpcAttachment(ctx, &ec2.DeleteTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: &attID})
		must(t, err)
		if a := attachment(ec2A); a.State != ec2types.TransitGatewayAttachmentStateDeleted {
			t.Errorf("after B deleted it, A sees %s", a.State)
		}
		if a, p := onTable(); a || p {
			t.Errorf("A's route table keeps the deleted attachment: associated %v, propagated %v", a, p)
		}
		mustCLI(t, keysA, "ram", "disassociate-resource-share", "--resource-share-arn", shareArn, "--principals", accountB)
		if p := principal(); p["status"] != "DISASSOCIATED" {
			t.Errorf("after disassociating: %v", p)
		}
		if visibleToB() {
			t.Errorf("B still sees the gateway once the share left it")
		}
		mustCLI(t, keysA, "ram", "delete-resource-share", "--resource-share-arn", shareArn)
	})

	t.Run("a Lambda permission for another account's role", func(t *testing.T) {
		lamA := lambda.NewFromConfig(cfgA)
		role, err := iam.NewFromConfig(cfgA).CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("fn"),
			AssumeRolePolicyDocument: awssdk.String(`{"Version":"2012-10-17","Statement":[]}`)})
		must(t, err)
		var zipped bytes.Buffer
		zw := zip.NewWriter(&zipped)
		f, err := zw.Create("index.py")
		must(t, err)
		_, _ = f.Write([]byte("def handler(event, context):\n    return 1\n"))
		must(t, zw.Close())
		_, err = lamA.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: awssdk.String("cross"),
			Runtime: lambdatypes.RuntimePython312, Role: role.Role.Arn, Handler: awssdk.String("index.handler"),
			Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}})
		must(t, err)
		invoker := "arn:aws:iam::" + accountB + ":role/internal-alb/invoker"
		permit := func(sid, principal string) error {
			_, err := lamA.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: awssdk.String("cross"),
				StatementId: &sid, Action: awssdk.String("lambda:InvokeFunction"), Principal: &principal})
			return err
		}
		if c := code(permit("InvokeFromB", invoker)); c != "InvalidParameterValueException" {
			t.Errorf("a permission for a role that does not exist: %s", c)
		}
		_, err = iam.NewFromConfig(cfgB).CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("invoker"),
			Path: awssdk.String("/internal-alb/"), AssumeRolePolicyDocument: awssdk.String(`{"Version":"2012-10-17","Statement":[]}`)})
		must(t, err)
		must(t, permit("InvokeFromB", invoker))
		if c := code(permit("InvokeFromB", invoker)); c != "ResourceConflictException" {
			t.Errorf("the same statement id twice: %s", c)
		}
		must(t, permit("AccountB", accountB))
		statements := func() map[string]interface{} {
			t.Helper()
			out, err := lamA.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: awssdk.String("cross")})
			if code(err) == "ResourceNotFoundException" {
				return nil
			}
			must(t, err)
			var doc struct{ Statement []map[string]interface{} }
			must(t, json.Unmarshal([]byte(awssdk.ToString(out.Policy)), &doc))
			bySid := map[string]interface{}{}
			for _, s := range doc.Statement {
				bySid[s["Sid"].(string)] = s["Principal"]
			}
			return bySid
		}
		got := statements()
		if p, _ := got["InvokeFromB"].(map[string]interface{}); p["AWS"] != invoker {
			t.Errorf("role principal reads back as %v", got["InvokeFromB"])
		}
		if p, _ := got["AccountB"].(map[string]interface{}); p["AWS"] != "arn:aws:iam::"+accountB+":root" {
			t.Errorf("account principal reads back as %v", got["AccountB"])
		}
		for _, sid := range []string{"InvokeFromB", "AccountB"} {
			_, err := lamA.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: awssdk.String("cross"), StatementId: awssdk.String(sid)})
			must(t, err)
		}
		if got := statements(); len(got) != 0 {
			t.Errorf("after removing both: %v", got)
		}
	})

	t.Run("an existing VPC reads as the program reads it", func(t *testing.T) {
		vpc, subnet, _ := vpcIn(t, ec2B, "10.7.0.0/16")
		for _, in := range []*ec2.ModifyVpcAttributeInput{
			{VpcId: &vpc, EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: awssdk.Bool(false)}},
			{VpcId: &vpc, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: awssdk.Bool(true)}},
		} {
			_, err := ec2B.ModifyVpcAttribute(ctx, in)
			must(t, err)
		}
		support, err := ec2B.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &vpc, Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
		must(t, err)
		hostnames, err := ec2B.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &vpc, Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
		must(t, err)
		if awssdk.ToBool(support.EnableDnsSupport.Value) || !awssdk.ToBool(hostnames.EnableDnsHostnames.Value) {
			t.Errorf("DNS support %v, hostnames %v; want false, true", *support.EnableDnsSupport.Value, *hostnames.EnableDnsHostnames.Value)
		}
		other, err := ec2B.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpc, CidrBlock: awssdk.String("10.7.2.0/24")})
		must(t, err)
		own, err := ec2B.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &vpc})
		must(t, err)
		_, err = ec2B.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: own.RouteTable.RouteTableId, SubnetId: &subnet})
		must(t, err)
		tables := func(filters ...ec2types.Filter) []string {
			t.Helper()
			out, err := ec2B.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filters})
			must(t, err)
			var ids []string
			for _, rt := range out.RouteTables {
				ids = append(ids, *rt.RouteTableId)
			}
			return ids
		}
		filter := func(name, value string) ec2types.Filter {
			return ec2types.Filter{Name: &name, Values: []string{value}}
		}
		if got := tables(filter("association.subnet-id", subnet)); len(got) != 1 || got[0] != *own.RouteTable.RouteTableId {
			t.Errorf("route table of %s: %v, want [%s]", subnet, got, *own.RouteTable.RouteTableId)
		}
		if got := tables(filter("association.subnet-id", *other.Subnet.SubnetId)); len(got) != 0 {
			t.Errorf("a subnet on the main table has an explicit one: %v", got)
		}
		main := tables(filter("vpc-id", vpc), filter("association.main", "true"))
		if len(main) != 1 || main[0] == *own.RouteTable.RouteTableId {
			t.Errorf("main route table: %v", main)
		}
		subnets, err := ec2B.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("vpc-id", vpc)}})
		must(t, err)
		if len(subnets.Subnets) != 2 {
			t.Errorf("subnets of %s: %d, want 2", vpc, len(subnets.Subnets))
		}
	})
}
