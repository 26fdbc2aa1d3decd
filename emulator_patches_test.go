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
// without Docker.
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
