//go:build integration

package main

import (
	"context"
	"encoding/json"
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
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
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
