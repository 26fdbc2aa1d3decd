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
	"github.com/internal-alb/internal-alb/internal/graph"
)

func TestDefaultStackResourceCounts(t *testing.T) {
	g := mustPlan(t, nil)
	assert.Equal(t, map[string]int{
		awstype.Vpc: 2, awstype.Subnet: 8, awstype.InternetGateway: 2,
		awstype.RouteTable: 6, awstype.Route: 2 + 4, awstype.RouteTableAssociation: 8, // internet for 2 public tables; peering both ways in 4 private
		awstype.VpcEndpoint: 3, awstype.DefaultSecurityGroup: 2, awstype.SecurityGroup: 6, awstype.SecurityGroupIngressRule: 7, awstype.SecurityGroupEgressRule: 7,
		awstype.NetworkAcl: 4, awstype.FlowLog: 2, // a network ACL per tier and a flow log per VPC
		awstype.Instance: 5, awstype.VpcPeeringConnection: 1,
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

func TestVpcsHaveDnsAndTheirBlocks(t *testing.T) {
	g := mustPlan(t, nil)
	cidrs := map[string]string{}
	for _, v := range g.OfType(awstype.Vpc) {
		assert.Equal(t, true, v.Prop("enableDnsSupport"), v.Name)
		assert.Equal(t, true, v.Prop("enableDnsHostnames"), v.Name)
		cidrs[v.Name] = v.String("cidrBlock")
	}
	assert.Equal(t, map[string]string{"foo": "10.2.0.0/16", "bar": "10.3.0.0/16"}, cidrs)
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

func TestPublicSubnetsRouteToInternetPrivateOnesDoNot(t *testing.T) {
	g := mustPlan(t, nil)
	tier := map[string]string{} // route table id → tier of the subnets associated with it
	for _, a := range g.OfType(awstype.RouteTableAssociation) {
		s := g.byID(t, a.Prop("subnetId"))
		tier[a.String("routeTableId")] = obj(s.Prop("tags"))["Tier"].(string)
	}
	for _, r := range g.OfType(awstype.Route) {
		if r.String("destinationCidrBlock") != "0.0.0.0/0" {
			continue
		}
		assert.Equal(t, "public", tier[r.String("routeTableId")], "default route %s", r.Name)
		assert.True(t, strings.HasPrefix(r.String("gatewayId"), "igw-"), r.Name)
	}
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

func TestDefaultSecurityGroupsAreManagedWithNoRules(t *testing.T) {
	g := mustPlan(t, nil)
	var vpcs []string
	for _, d := range g.OfType(awstype.DefaultSecurityGroup) {
		assert.Nil(t, d.Prop("ingress"), d.Name)
		assert.Nil(t, d.Prop("egress"), d.Name)
		vpcs = append(vpcs, g.byID(t, d.Prop("vpcId")).Name)
	}
	assert.ElementsMatch(t, []string{"foo", "bar"}, vpcs)
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

func TestOnlyBastionsHavePublicAddressesInPublicSubnets(t *testing.T) {
	g := mustPlan(t, nil)
	for _, i := range g.OfType(awstype.Instance) {
		role := obj(i.Prop("tags"))["Role"]
		tier := obj(g.byID(t, i.Prop("subnetId")).Prop("tags"))["Tier"]
		if role == "bastion" {
			assert.Equal(t, true, i.Prop("associatePublicIpAddress"), i.Name)
			assert.Equal(t, "public", tier, i.Name)
		} else {
			assert.Equal(t, false, i.Prop("associatePublicIpAddress"), i.Name)
			assert.Equal(t, "private", tier, i.Name)
		}
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

func TestInvokerRoleMayInvokeOnlyTheFunction(t *testing.T) {
	g := mustPlan(t, nil)
	role := g.named(t, awstype.Role, "hello-world-invoker")
	trust := policyDoc(t, role.String("assumeRolePolicy"))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "2012-10-17", trust.Version)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)
	assert.Equal(t, map[string]any{"Service": "ec2.amazonaws.com"}, trust.Statement[0].Principal)

	pol := g.named(t, awstype.RolePolicy, "hello-world-invoke")
	assert.Equal(t, role.String("name"), pol.String("role"))
	doc := policyDoc(t, pol.String("policy"))
	require.Len(t, doc.Statement, 1)
	assert.Equal(t, "Allow", doc.Statement[0].Effect)
	assert.Equal(t, "lambda:InvokeFunction", doc.Statement[0].Action)
	assert.Equal(t, g.one(t, awstype.Function).String("arn"), doc.Statement[0].Resource)
	assert.Equal(t, role.String("name"), g.named(t, awstype.InstanceProfile, "hello-world-invoker").String("role"))
}

func TestExecutionRoleOnlyWritesItsOwnLogs(t *testing.T) {
	g := mustPlan(t, nil)
	role := g.named(t, awstype.Role, "hello-world-exec")
	trust := policyDoc(t, role.String("assumeRolePolicy"))
	assert.Equal(t, map[string]any{"Service": "lambda.amazonaws.com"}, trust.Statement[0].Principal)
	doc := policyDoc(t, g.named(t, awstype.RolePolicy, "hello-world-exec-logs").String("policy"))
	require.Len(t, doc.Statement, 1)
	assert.ElementsMatch(t, []any{"logs:CreateLogStream", "logs:PutLogEvents"}, doc.Statement[0].Action)
	assert.Equal(t, g.one(t, awstype.LogGroup).String("arn")+":*", doc.Statement[0].Resource)
	for _, p := range g.OfType(awstype.RolePolicy) {
		assert.NotContains(t, p.String("policy"), `"*"`, "%s has no wildcard action or resource", p.Name)
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

func TestAdminCidrsEachGetARule(t *testing.T) {
	g := mustPlan(t, map[string]string{"adminCidrs": `["198.51.100.7/32","203.0.113.0/24"]`})
	var got []string
	for _, r := range g.rules(t) {
		if r.Group == "foo-bastion" && r.Dir == "in" {
			got = append(got, r.Peer)
		}
	}
	assert.ElementsMatch(t, []string{"198.51.100.7/32", "203.0.113.0/24"}, got)
}

func TestSshFromAnywhereOnlyWithTheOptIn(t *testing.T) {
	g := mustPlan(t, map[string]string{"adminCidrs": `["0.0.0.0/0"]`, "allowSshFromAnywhere": "true"})
	var open []string
	for _, r := range g.rules(t) {
		if r.Peer == "0.0.0.0/0" {
			open = append(open, r.String())
		}
	}
	assert.ElementsMatch(t, []string{"foo-bastion in 22 0.0.0.0/0", "bar-bastion in 22 0.0.0.0/0"}, open)
}

func TestNatModes(t *testing.T) {
	for mode, perVpc := range map[string]int{"none": 0, "single": 1, "onePerAz": 2} {
		t.Run(mode, func(t *testing.T) {
			g := mustPlan(t, map[string]string{"natMode": mode})
			assert.Len(t, g.OfType(awstype.NatGateway), 2*perVpc)
			assert.Len(t, g.OfType(awstype.Eip), 2*perVpc)
			natRoutes := map[string]string{} // private route table → NAT
			for _, r := range g.OfType(awstype.Route) {
				if r.String("natGatewayId") != "" {
					assert.Equal(t, "0.0.0.0/0", r.String("destinationCidrBlock"))
					natRoutes[g.byID(t, r.Prop("routeTableId")).Name] = g.byID(t, r.Prop("natGatewayId")).Name
				}
			}
			want := map[string]string{}
			if perVpc > 0 {
				for _, v := range []string{"foo", "bar"} {
					want[v+"-private-1"] = v + "-nat-1"
					want[v+"-private-2"] = v + "-nat-" + fmt.Sprint(perVpc)
				}
			}
			assert.Equal(t, want, natRoutes)
			for _, n := range g.OfType(awstype.NatGateway) {
				assert.Equal(t, "public", obj(g.byID(t, n.Prop("subnetId")).Prop("tags"))["Tier"])
			}
		})
	}
}

func TestNatPerVpcOverride(t *testing.T) {
	g := mustPlan(t, map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","nat":"single"}`})
	require.Len(t, g.OfType(awstype.NatGateway), 1)
	assert.Equal(t, "foo-nat-1", g.one(t, awstype.NatGateway).Name)
}

// crossRoutes lists the graph's routes to another VPC (peering or Transit
// Gateway) as "<route table> -> <destination>", checking on the way that each
// peering route uses a connection of its own VPC to the peer's block.
func crossRoutes(t *testing.T, g tg) []string {
	var got []string
	for _, r := range g.OfType(awstype.Route) {
		dest := r.String("destinationCidrBlock")
		if dest == "0.0.0.0/0" {
			continue
		}
		via := r.String("vpcPeeringConnectionId") + r.String("transitGatewayId")
		require.NotEmpty(t, via, r.Name)
		target := g.byID(t, via)
		if target.Type == awstype.VpcPeeringConnection {
			// The connection must join the route's VPC and the destination's.
			a, b := g.byID(t, target.Prop("vpcId")), g.byID(t, target.Prop("peerVpcId"))
			from := g.byID(t, g.byID(t, r.Prop("routeTableId")).Prop("vpcId"))
			other := a
			if from.ID == a.ID {
				other = b
			} else {
				require.Equal(t, from.ID, b.ID, "%s uses a connection of another VPC", r.Name)
			}
			require.Equal(t, other.String("cidrBlock"), dest, "%s routes the peer's block", r.Name)
		}
		got = append(got, g.byID(t, r.Prop("routeTableId")).Name+" -> "+dest)
	}
	return got
}

const threeConsumers = `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","cidr":"10.4.0.0/16"},{"name":"qux","cidr":"10.5.0.0/16"}]`

func wantCrossRoutes(consumers map[string]string) []string {
	var want []string
	for name, cidr := range consumers {
		for _, i := range []string{"1", "2"} {
			want = append(want, "foo-private-"+i+" -> "+cidr, name+"-private-"+i+" -> 10.2.0.0/16")
		}
	}
	return want
}

func TestCrossVpcRoutesBothWays(t *testing.T) {
	one := map[string]string{"bar": "10.3.0.0/16"}
	three := map[string]string{"bar": "10.3.0.0/16", "baz": "10.4.0.0/16", "qux": "10.5.0.0/16"}
	for _, mode := range []string{"peering", "transitGateway"} {
		for consumers, want := range map[string]map[string]string{"": one, threeConsumers: three} {
			t.Run(fmt.Sprintf("%s/%d", mode, len(want)), func(t *testing.T) {
				o := map[string]string{"connectivity": mode}
				if consumers != "" {
					o["consumerVpcs"] = consumers
				}
				g := mustPlan(t, o)
				assert.ElementsMatch(t, wantCrossRoutes(want), crossRoutes(t, g))
				if mode == "peering" {
					assert.Len(t, g.OfType(awstype.VpcPeeringConnection), len(want), "hub-and-spoke: one connection per consumer")
					for _, p := range g.OfType(awstype.VpcPeeringConnection) {
						assert.Equal(t, "foo", g.byID(t, p.Prop("vpcId")).Name)
						assert.Equal(t, true, p.Prop("autoAccept"))
					}
					assert.Empty(t, g.OfType(awstype.TransitGateway))
				} else {
					assert.Empty(t, g.OfType(awstype.VpcPeeringConnection))
					assert.Len(t, g.OfType(awstype.TgwVpcAttachment), len(want)+1)
				}
			})
		}
	}
}

func TestTransitGatewayIsHubAndSpoke(t *testing.T) {
	g := mustPlan(t, map[string]string{"connectivity": "transitGateway", "consumerVpcs": threeConsumers})
	gw := g.one(t, awstype.TransitGateway)
	assert.Equal(t, "disable", gw.String("autoAcceptSharedAttachments"))
	assert.Equal(t, "disable", gw.String("defaultRouteTableAssociation"))
	assert.Equal(t, "disable", gw.String("defaultRouteTablePropagation"))

	attVpc := map[string]string{} // attachment id → VPC name
	for _, a := range g.OfType(awstype.TgwVpcAttachment) {
		assert.Equal(t, gw.ID, a.String("transitGatewayId"))
		vpc := g.byID(t, a.Prop("vpcId")).Name
		attVpc[a.ID] = vpc
		var subnets []string
		for _, s := range strs(a.Prop("subnetIds")) {
			subnets = append(subnets, g.byID(t, s).Name)
		}
		assert.ElementsMatch(t, []string{vpc + "-private-1", vpc + "-private-2"}, subnets)
	}
	table := func(r graph.Resource) string { return g.byID(t, r.Prop("transitGatewayRouteTableId")).Name }
	assoc, props := map[string]string{}, map[string][]string{}
	for _, a := range g.OfType(awstype.TgwRouteTableAssociation) {
		assoc[attVpc[a.String("transitGatewayAttachmentId")]] = table(a)
	}
	for _, p := range g.OfType(awstype.TgwRouteTablePropagation) {
		props[table(p)] = append(props[table(p)], attVpc[p.String("transitGatewayAttachmentId")])
	}
	assert.Equal(t, map[string]string{"foo": "tgw-hub", "bar": "tgw-spokes", "baz": "tgw-spokes", "qux": "tgw-spokes"}, assoc)
	assert.ElementsMatch(t, []string{"bar", "baz", "qux"}, props["tgw-hub"], "the hub learns every consumer")
	assert.Equal(t, []string{"foo"}, props["tgw-spokes"], "consumers learn only the hub")

	// Every VPC route to the gateway waits for its VPC's attachment.
	for _, r := range g.OfType(awstype.Route) {
		if r.String("transitGatewayId") == "" {
			continue
		}
		vpc := g.byID(t, g.byID(t, r.Prop("routeTableId")).Prop("vpcId")).Name
		var deps []string
		for _, d := range r.Dependencies {
			if dr, ok := g.ByURN(d); ok && dr.Type == awstype.TgwVpcAttachment {
				deps = append(deps, attVpc[dr.ID])
			}
		}
		assert.Contains(t, deps, vpc, "%s depends on its VPC's attachment", r.Name)
	}
}

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
	assert.Contains(t, values["bastionPublicIps"], "foo")
	assert.Contains(t, values["lambdaEndpointDnsNames"].(map[string]any)["bar"], ".lambda.ap-northeast-1.vpce.amazonaws.com")
	cmds := values["tryFromClient"].(map[string]any)["bar"].([]any)
	require.Len(t, cmds, 4)
	// No key pair: EC2 Instance Connect pushes the user's key to both hops first.
	push := `aws ec2-instance-connect send-ssh-public-key --region ap-northeast-1 --instance-id %s --instance-os-user ec2-user --ssh-public-key file://~/.ssh/id_ed25519.pub`
	assert.Regexp(t, `^`+regexp.QuoteMeta(fmt.Sprintf(push, "i-bar-bastion")+" && "+fmt.Sprintf(push, "i-bar-client")+" && ")+
		`ssh -J ec2-user@203\.0\.113\.\d+ ec2-user@10\.3\.1\.\d+$`, cmds[0])
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
