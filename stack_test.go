package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
)

func TestDefaultStackResourceCounts(t *testing.T) {
	g := mustPlan(t, nil)
	assert.Equal(t, map[string]int{
		awstype.Vpc: 2, awstype.Subnet: 8, awstype.InternetGateway: 2,
		awstype.RouteTable: 6, awstype.Route: 2 + 4, awstype.RouteTableAssociation: 8, // internet for 2 public tables; peering both ways in 4 private
		awstype.VpcEndpoint: 3, awstype.DefaultSecurityGroup: 2, awstype.SecurityGroup: 6, awstype.SecurityGroupIngressRule: 7, awstype.SecurityGroupEgressRule: 7,
		awstype.NetworkAcl: 4, awstype.FlowLog: 2, // a network ACL per tier and a flow log per VPC
		awstype.Instance: 5, awstype.InstanceState: 5, awstype.Eip: 2, awstype.VpcPeeringConnection: 1, // each instance declared running; an Elastic IP per bastion
		awstype.LoadBalancer: 1, awstype.TargetGroup: 1, awstype.Listener: 1, awstype.TargetGroupAttachment: 2,
		awstype.Zone: 1, awstype.Record: 1,
		awstype.Role: 3, awstype.RolePolicy: 3, awstype.InstanceProfile: 2, awstype.Function: 1, awstype.LogGroup: 1, // the web servers' role writes their logs
		awstype.BucketV2: 1, awstype.BucketPublicAccessBlock: 1, awstype.BucketOwnershipControls: 1,
		awstype.BucketServerSideEncryptionConfigurationV2: 1, awstype.BucketLifecycleConfigurationV2: 1, awstype.BucketPolicy: 1,
	}, g.countByType())
}

func TestEveryResourceIsParentedToAComponent(t *testing.T) {
	g := mustPlan(t, nil)
	components := map[string]string{}
	for _, r := range g.Graph {
		if !r.Custom {
			components[r.URN] = r.Type
			assert.True(t, strings.HasPrefix(r.Type, "internal-alb:"), "component type %s", r.Type)
			assert.True(t, strings.HasSuffix(r.Parent, "pulumi:pulumi:Stack::internal-alb-dev"), "%s is a child of the stack", r.Name)
		}
	}
	assert.ElementsMatch(t, []string{
		"internal-alb:network:Vpc", "internal-alb:network:Vpc", "internal-alb:network:Peering",
		"internal-alb:network:Client", "internal-alb:alb:InternalAlb", "internal-alb:dns:PrivateZone",
		"internal-alb:lambda:PrivateFunction", "internal-alb:logs:Bucket",
	}, slices.Collect(func(yield func(string) bool) {
		for _, v := range components {
			if !yield(v) {
				return
			}
		}
	}))
	for _, r := range g.Graph {
		if r.Custom {
			_, ok := components[r.Parent]
			assert.True(t, ok, "%s %s has parent %q, not a component", r.Type, r.Name, r.Parent)
			parent, _ := g.ByURN(r.Parent)
			assert.True(t, strings.HasPrefix(r.Name, parent.Name), "%s is named after its component %s", r.Name, parent.Name)
		}
	}
}

func TestSubnetLayoutAcrossLookedUpZones(t *testing.T) {
	g := mustPlan(t, nil)
	got := map[string]string{}
	for _, s := range g.OfType(awstype.Subnet) {
		got[s.Name] = s.String("cidrBlock") + " " + s.String("availabilityZone") + " " + obj(s.Prop("tags"))["Tier"].(string)
		assert.Equal(t, false, s.Prop("mapPublicIpOnLaunch"), s.Name)
	}
	assert.Equal(t, map[string]string{
		"foo-private-1": "10.2.1.0/24 ap-northeast-1a private", "foo-private-2": "10.2.2.0/24 ap-northeast-1c private",
		"foo-public-1": "10.2.129.0/24 ap-northeast-1a public", "foo-public-2": "10.2.130.0/24 ap-northeast-1c public",
		"bar-private-1": "10.3.1.0/24 ap-northeast-1a private", "bar-private-2": "10.3.2.0/24 ap-northeast-1c private",
		"bar-public-1": "10.3.129.0/24 ap-northeast-1a public", "bar-public-2": "10.3.130.0/24 ap-northeast-1c public",
	}, got)
}

func TestAlbIsInternalInServicePrivateSubnetsAcrossTwoAZs(t *testing.T) {
	g := mustPlan(t, nil)
	lb := g.one(t, awstype.LoadBalancer)
	assert.Equal(t, "foo-internal-alb", lb.String("name"))
	assert.Equal(t, true, lb.Prop("internal"))
	assert.Equal(t, "application", lb.String("loadBalancerType"))
	assert.Equal(t, true, lb.Prop("dropInvalidHeaderFields"))
	azs := map[string]bool{}
	for _, id := range strs(lb.Prop("subnets")) {
		s := g.byID(t, id)
		assert.Equal(t, "private", obj(s.Prop("tags"))["Tier"], s.Name)
		assert.Equal(t, "foo", g.byID(t, s.Prop("vpcId")).Name, s.Name)
		azs[s.String("availabilityZone")] = true
	}
	assert.GreaterOrEqual(t, len(azs), 2)
	sgs := strs(lb.Prop("securityGroups"))
	require.Len(t, sgs, 1)
	assert.Equal(t, "web-alb", g.byID(t, sgs[0]).Name)
	assert.True(t, strings.HasPrefix(lb.String("dnsName"), "internal-foo-internal-alb-"))
}

func TestListenerForwardsToTargetGroupOfTheWebServersOn8080(t *testing.T) {
	g := mustPlan(t, nil)
	lb, tgrp, l := g.one(t, awstype.LoadBalancer), g.one(t, awstype.TargetGroup), g.one(t, awstype.Listener)
	assert.Equal(t, lb.String("arn"), l.String("loadBalancerArn"))
	assert.Equal(t, 80, num(l.Prop("port")))
	assert.Equal(t, "HTTP", l.String("protocol"))
	action := obj(l.Prop("defaultActions"))
	assert.Equal(t, "forward", action["type"])
	assert.Equal(t, tgrp.String("arn"), action["targetGroupArn"])

	assert.Equal(t, 8080, num(tgrp.Prop("port")))
	assert.Equal(t, "HTTP", tgrp.String("protocol"))
	assert.Equal(t, "instance", tgrp.String("targetType"))
	assert.Equal(t, "foo", g.byID(t, tgrp.Prop("vpcId")).Name)
	hc := obj(tgrp.Prop("healthCheck"))
	assert.Equal(t, "/", hc["path"])
	assert.Equal(t, "200", hc["matcher"])
	assert.Equal(t, "HTTP", hc["protocol"])
	assert.Equal(t, "traffic-port", hc["port"])
	assert.Equal(t, 30, num(hc["interval"]))

	var targets []string
	for _, a := range g.OfType(awstype.TargetGroupAttachment) {
		assert.Equal(t, tgrp.String("arn"), a.String("targetGroupArn"))
		assert.Nil(t, a.Prop("port"), "targets take the target group's port")
		web := g.byID(t, a.Prop("targetId"))
		assert.Equal(t, "web", obj(web.Prop("tags"))["Role"])
		targets = append(targets, web.Name)
	}
	assert.ElementsMatch(t, []string{"web-web1", "web-web2"}, targets)
}

func TestWebServersOnePerAzInServicePrivateSubnets(t *testing.T) {
	g := mustPlan(t, map[string]string{"webCount": "3"})
	var azs []string
	for _, i := range g.OfType(awstype.Instance) {
		if obj(i.Prop("tags"))["Role"] != "web" {
			continue
		}
		s := g.byID(t, i.Prop("subnetId"))
		assert.Equal(t, "private", obj(s.Prop("tags"))["Tier"])
		assert.Equal(t, "foo", g.byID(t, s.Prop("vpcId")).Name)
		azs = append(azs, s.String("availabilityZone"))
		ud := i.String("userData")
		for _, want := range []string{"python3 -m http.server 8080", "systemctl enable --now web.service", "Hello World", "X-aws-ec2-metadata-token"} {
			assert.Contains(t, ud, want, i.Name)
		}
		assert.Equal(t, true, i.Prop("userDataReplaceOnChange"))
	}
	sort.Strings(azs)
	assert.Equal(t, []string{"ap-northeast-1a", "ap-northeast-1a", "ap-northeast-1c"}, azs)
	assert.Len(t, g.OfType(awstype.TargetGroupAttachment), 3)
}

func TestSecurityGroupRulesAreExactlyTheMissionsPaths(t *testing.T) {
	g := mustPlan(t, nil)
	var got []string
	for _, r := range g.rules(t) {
		got = append(got, r.String())
	}
	assert.ElementsMatch(t, []string{
		// bastions: SSH in from the admins, out to their own VPC
		"foo-bastion in 22 203.0.113.0/24", "foo-bastion out 22 10.2.0.0/16",
		"bar-bastion in 22 203.0.113.0/24", "bar-bastion out 22 10.3.0.0/16",
		// ALB: HTTP from the consumers' client groups (across the peering), to the web group on 8080
		"web-alb in 80 sg:bar-client", "web-alb out 8080 sg:web-web",
		// web: 8080 from the ALB group only, SSH from the bastion group, S3 out
		"web-web in 8080 sg:web-alb", "web-web in 22 sg:foo-bastion", "web-web out 443 pl:pl-61a54008",
		// client: HTTP to the service VPC, HTTPS to its endpoint and S3, SSH from its bastion
		"bar-client out 80 10.2.0.0/16", "bar-client out 443 sg:hello-world-bar-endpoint",
		"bar-client out 443 pl:pl-61a54008", "bar-client in 22 sg:bar-bastion",
		// endpoint: HTTPS from the client group only
		"hello-world-bar-endpoint in 443 sg:bar-client",
	}, got)
}

func TestNoIngressFromAnywhereEvenWithManyConsumers(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers})
	for _, r := range g.rules(t) {
		assert.NotEqual(t, "0.0.0.0/0", r.Peer, r.String())
	}
	for _, s := range g.OfType(awstype.SecurityGroup) {
		assert.Nil(t, s.Prop("ingress"), "%s has no inline rules", s.Name)
		assert.Nil(t, s.Prop("egress"), "%s has no inline rules", s.Name)
		assert.NotEmpty(t, s.String("description"), s.Name)
	}
}

func TestInstancesRequireImdsv2AndEncryptedRootVolumes(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers, "natMode": "single"})
	require.Len(t, g.OfType(awstype.Instance), 4+2+3) // bastions, webs, clients
	for _, i := range g.OfType(awstype.Instance) {
		md := obj(i.Prop("metadataOptions"))
		assert.Equal(t, "required", md["httpTokens"], i.Name)
		assert.Equal(t, 1, num(md["httpPutResponseHopLimit"]), i.Name)
		rb := obj(i.Prop("rootBlockDevice"))
		assert.Equal(t, true, rb["encrypted"], i.Name)
		assert.Equal(t, "gp3", rb["volumeType"], i.Name)
		assert.Equal(t, "ami-0a1b2c3d4e5f60718", i.String("ami"), "%s uses the looked-up AMI", i.Name)
	}
}

func TestClientsUseTheInvokerProfile(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers})
	profile := g.named(t, awstype.InstanceProfile, "hello-world-invoker")
	web := g.named(t, awstype.InstanceProfile, "web-web")
	var vpcs []string
	for _, i := range g.OfType(awstype.Instance) {
		switch obj(i.Prop("tags"))["Role"] {
		case "client":
			assert.Equal(t, profile.String("name"), i.String("iamInstanceProfile"), i.Name)
			vpcs = append(vpcs, g.byID(t, g.byID(t, i.Prop("subnetId")).Prop("vpcId")).Name)
		case "web":
			assert.Equal(t, web.String("name"), i.String("iamInstanceProfile"), i.Name)
		default:
			assert.Empty(t, i.String("iamInstanceProfile"), "%s needs no role", i.Name)
		}
	}
	assert.ElementsMatch(t, []string{"bar", "baz", "qux"}, vpcs)
}

func TestPrivateZoneAssociatedWithEveryVpcAndAliasesTheAlb(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers})
	z := g.one(t, awstype.Zone)
	assert.Equal(t, "home", z.String("name"))
	var vpcs []string
	for _, v := range z.Prop("vpcs").([]any) {
		vpcs = append(vpcs, g.byID(t, obj(v)["vpcId"]).Name)
		assert.Equal(t, "ap-northeast-1", obj(v)["vpcRegion"])
	}
	assert.ElementsMatch(t, []string{"foo", "bar", "baz", "qux"}, vpcs)

	rec, lb := g.one(t, awstype.Record), g.one(t, awstype.LoadBalancer)
	assert.Equal(t, z.String("zoneId"), rec.String("zoneId"))
	assert.Equal(t, "alb.home", rec.String("name"))
	assert.Equal(t, "A", rec.String("type"))
	alias := obj(rec.Prop("aliases"))
	assert.Equal(t, lb.String("dnsName"), alias["name"])
	assert.Equal(t, lb.String("zoneId"), alias["zoneId"])
	assert.Equal(t, true, alias["evaluateTargetHealth"])
}

func TestLambdaFunctionFromTheRepoSource(t *testing.T) {
	g := mustPlan(t, nil)
	fn := g.one(t, awstype.Function)
	assert.Equal(t, "hello-world", fn.String("name"))
	assert.Equal(t, "nodejs22.x", fn.String("runtime"))
	assert.Equal(t, "index.handler", fn.String("handler"))
	assert.Equal(t, g.named(t, awstype.Role, "hello-world-exec").String("arn"), fn.String("role"))
	code := obj(fn.Prop("code"))["archive"].(map[string]any)
	src, ok := code["index.mjs"].(string)
	require.True(t, ok, "code archive holds index.mjs: %v", code)
	assert.Contains(t, src, "export const handler")
	assert.Contains(t, src, `JSON.stringify("Hello from Lambda!")`)
	assert.Contains(t, src, "statusCode: 200")

	lg := g.one(t, awstype.LogGroup)
	assert.Equal(t, "/aws/lambda/hello-world", lg.String("name"))
	assert.Equal(t, 14, num(lg.Prop("retentionInDays")))
}

func TestLambdaInterfaceEndpointInEachConsumer(t *testing.T) {
	for _, perAz := range []bool{false, true} {
		t.Run(fmt.Sprintf("endpointPerAz=%v", perAz), func(t *testing.T) {
			g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers, "endpointPerAz": fmt.Sprint(perAz)})
			var vpcs []string
			for _, e := range g.OfType(awstype.VpcEndpoint) {
				if e.String("vpcEndpointType") != "Interface" {
					continue
				}
				vpc := g.byID(t, e.Prop("vpcId")).Name
				vpcs = append(vpcs, vpc)
				assert.Equal(t, "com.amazonaws.ap-northeast-1.lambda", e.String("serviceName"))
				assert.Equal(t, true, e.Prop("privateDnsEnabled"))
				subnets := strs(e.Prop("subnetIds"))
				want := []string{vpc + "-private-1"}
				if perAz {
					want = append(want, vpc+"-private-2")
				}
				var got []string
				for _, s := range subnets {
					got = append(got, g.byID(t, s).Name)
				}
				assert.ElementsMatch(t, want, got)
				sgs := strs(e.Prop("securityGroupIds"))
				require.Len(t, sgs, 1)
				assert.Equal(t, "hello-world-"+vpc+"-endpoint", g.byID(t, sgs[0]).Name)
			}
			assert.ElementsMatch(t, []string{"bar", "baz", "qux"}, vpcs, "the service VPC needs no endpoint")
		})
	}
}

func TestS3GatewayEndpointOnEveryPrivateRouteTable(t *testing.T) {
	g := mustPlan(t, nil)
	n := 0
	for _, e := range g.OfType(awstype.VpcEndpoint) {
		if e.String("vpcEndpointType") != "Gateway" {
			continue
		}
		n++
		assert.Equal(t, "com.amazonaws.ap-northeast-1.s3", e.String("serviceName"))
		vpc := g.byID(t, e.Prop("vpcId")).Name
		var rts []string
		for _, id := range strs(e.Prop("routeTableIds")) {
			rts = append(rts, g.byID(t, id).Name)
		}
		assert.ElementsMatch(t, []string{vpc + "-private-1", vpc + "-private-2"}, rts)
	}
	assert.Equal(t, 2, n)

	off := mustPlan(t, map[string]string{"s3GatewayEndpoint": "false"})
	for _, e := range off.OfType(awstype.VpcEndpoint) {
		assert.Equal(t, "Interface", e.String("vpcEndpointType"))
	}
	for _, r := range off.rules(t) {
		assert.False(t, strings.HasPrefix(r.Peer, "pl:"), "no S3 rule without the endpoint: %s", r)
	}
}

func TestNoBastionMeansNoSshAnywhere(t *testing.T) {
	g := mustPlan(t, map[string]string{"adminAccess": "none", "adminCidrs": "[]"})
	for _, i := range g.OfType(awstype.Instance) {
		assert.NotEqual(t, "bastion", obj(i.Prop("tags"))["Role"])
	}
	for _, r := range g.rules(t) {
		assert.NotEqual(t, 22, r.Port, r.String())
	}
}

// The stack's natMode applies to every VPC, a VPC's own nat overrides it,
// and each private table routes 0.0.0.0/0 to its VPC's gateway in its AZ
// (network's own tests hold each mode's exact routes).
func TestNatModeAndPerVpcOverride(t *testing.T) {
	g := mustPlan(t, map[string]string{"natMode": "onePerAz", "serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","nat":"single"}`})
	var nats []string
	for _, n := range g.OfType(awstype.NatGateway) {
		nats = append(nats, n.Name)
	}
	assert.ElementsMatch(t, []string{"foo-nat-1", "bar-nat-1", "bar-nat-2"}, nats)
	natRoutes := map[string]string{} // private route table → NAT
	for _, r := range g.OfType(awstype.Route) {
		if r.String("natGatewayId") != "" {
			natRoutes[g.byID(t, r.Prop("routeTableId")).Name] = g.byID(t, r.Prop("natGatewayId")).Name
		}
	}
	assert.Equal(t, map[string]string{
		"foo-private-1": "foo-nat-1", "foo-private-2": "foo-nat-1",
		"bar-private-1": "bar-nat-1", "bar-private-2": "bar-nat-2",
	}, natRoutes)
	assert.Empty(t, mustPlan(t, nil).OfType(awstype.NatGateway), "no NAT by default")
}

const threeConsumers = `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","cidr":"10.4.0.0/16"},{"name":"qux","cidr":"10.5.0.0/16"}]`

func TestStackOutputs(t *testing.T) {
	cfg := devConfig(t)
	var got []string
	values := map[string]any{}
	_, err := runStack(cfg, func(outs []output) {
		for _, o := range outs {
			got = append(got, o.name)
		}
	}, values)
	require.NoError(t, err)
	assert.Equal(t, "albDnsName", got[0], "the ALB's DNS name comes first")
	assert.Equal(t, []string{
		"albDnsName", "albUrl", "privateAlbUrl", "zoneId", "connectivity", "connectivityId",
		"vpcIds", "vpcCidrs", "bastionPublicIps", "webPrivateIps", "lambdaFunctionName", "lambdaFunctionArn",
		"clientPrivateIps", "lambdaEndpointDnsNames", "tryFromClient",
	}, got)
	dnsName := values["albDnsName"].(string)
	assert.True(t, strings.HasPrefix(dnsName, "internal-foo-internal-alb-"), dnsName)
	assert.Equal(t, "http://"+dnsName, values["albUrl"])
	assert.Equal(t, "http://alb.home", values["privateAlbUrl"])
	assert.Equal(t, map[string]any{"foo": "10.2.0.0/16", "bar": "10.3.0.0/16"}, values["vpcCidrs"])
	assert.Equal(t, "arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world", values["lambdaFunctionArn"])
	assert.Len(t, values["connectivityId"], 1)
	assert.Regexp(t, `^10\.3\.1\.\d+$`, values["clientPrivateIps"].(map[string]any)["bar"])
	assert.Len(t, values["webPrivateIps"], 2)
	// The bastions' addresses are their Elastic IPs (the mocks give those
	// 198.51.100.0/24), which stay through a stop and start; the command
	// goes through the same address.
	bastions := values["bastionPublicIps"].(map[string]any)
	assert.Regexp(t, `^198\.51\.100\.\d+$`, bastions["foo"])
	assert.Regexp(t, `^198\.51\.100\.\d+$`, bastions["bar"])
	assert.Contains(t, values["lambdaEndpointDnsNames"].(map[string]any)["bar"], ".lambda.ap-northeast-1.vpce.amazonaws.com")
	cmds := values["tryFromClient"].(map[string]any)["bar"].([]any)
	require.Len(t, cmds, 4)
	// No key pair: EC2 Instance Connect pushes the user's key to both hops first.
	push := `aws ec2-instance-connect send-ssh-public-key --region ap-northeast-1 --instance-id %s --instance-os-user ec2-user --ssh-public-key file://~/.ssh/id_ed25519.pub`
	assert.Regexp(t, `^`+regexp.QuoteMeta(fmt.Sprintf(push, "i-bar-bastion")+" && "+fmt.Sprintf(push, "i-bar-client")+" && ")+
		`ssh -J ec2-user@`+regexp.QuoteMeta(bastions["bar"].(string))+` ec2-user@10\.3\.1\.\d+$`, cmds[0])
	assert.Equal(t, "curl -sS http://"+dnsName+"/", cmds[1])
	assert.Equal(t, "curl -sS http://alb.home/", cmds[2])
	assert.Equal(t, "aws lambda invoke --region ap-northeast-1 --function-name hello-world response.json && cat response.json", cmds[3])
}

func TestTransitGatewayOutputIsTheGatewayID(t *testing.T) {
	values := map[string]any{}
	_, err := runStack(merge(devConfig(t), map[string]string{"internal-alb:connectivity": "transitGateway"}), nil, values)
	require.NoError(t, err)
	assert.Equal(t, "tgw-tgw", values["connectivityId"])
	assert.Equal(t, "transitGateway", values["connectivity"])
}
