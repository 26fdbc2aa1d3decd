package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/network"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

var verifyOpts = verify.Options{AdminCidrs: []string{"203.0.113.0/24"}}

// The verifier proves every path and passes every rule on the real plan, in
// both connectivity modes, with one and three consumers, and with NAT.
func TestVerifierPassesTheRealPlan(t *testing.T) {
	for name, o := range map[string]map[string]string{
		"default":            nil,
		"transitGateway":     {"connectivity": "transitGateway"},
		"three consumers":    {"consumerVpcs": threeConsumers},
		"tgw three":          {"connectivity": "transitGateway", "consumerVpcs": threeConsumers},
		"onePerAz NAT":       {"natMode": "onePerAz"},
		"endpoint in all AZ": {"endpointPerAz": "true"},
		"instance connect":   {"adminAccess": "instanceConnectEndpoint", "adminCidrs": "[]"},
		"no admin access":    {"adminAccess": "none", "adminCidrs": "[]"},
		"logs off":           {"logs": "false"},
		"ssh key":            {"sshPublicKey": testPublicKey},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load(func(k string) (string, bool) { v, ok := merge(devConfig(t), prefixed(o))[config.Key(k)]; return v, ok })
			require.NoError(t, err)
			r := verify.Check(mustPlan(t, o).Graph, devtools.VerifyOptions(cfg))
			require.True(t, r.OK(), r.Text())
			consumers := 1
			if strings.Contains(o["consumerVpcs"], "qux") {
				consumers = 3
			}
			// P1 and P3 per client, P2 and P5 per web server (P5 with the
			// log bucket), P4 per admin entry point and per private instance
			// behind it.
			p4 := (1 + consumers) + (2 + consumers)
			switch cfg.AdminAccess {
			case network.AdminInstanceConnectEndpoint:
				p4 = 2 + consumers // no admin-to-bastion hop: IAM, not addresses, guards the endpoint
			case network.AdminNone:
				p4 = 0
			}
			p5 := 2
			if !cfg.Logs {
				p5 = 0
			}
			assert.Equal(t, 2*consumers+2+p4+p5, r.Summary.RequiredProven, r.Text())
			assert.Zero(t, r.Summary.RulesFailed)
		})
	}
}

// mutate returns a copy of g where the resource of type typ named name is
// changed by f (inputs and outputs alike).
func mutate(t *testing.T, g graph.Graph, typ, name string, f func(props map[string]any)) graph.Graph {
	t.Helper()
	g = fixture.Clone(g)
	for i := range g {
		if g[i].Type == typ && g[i].Name == name {
			f(g[i].Inputs)
			if g[i].Outputs != nil {
				f(g[i].Outputs)
			}
			return g
		}
	}
	require.FailNowf(t, "no such resource", "%s %s", typ, name)
	return nil
}

func without(t *testing.T, g graph.Graph, typ, name string) graph.Graph {
	t.Helper()
	for i, r := range g {
		if r.Type == typ && r.Name == name {
			g = fixture.Clone(g)
			return append(g[:i], g[i+1:]...)
		}
	}
	require.FailNowf(t, "no such resource", "%s %s", typ, name)
	return nil
}

func with(g graph.Graph, typ, name string, props map[string]any) graph.Graph {
	g = fixture.Clone(g)
	id := name + "-added"
	props["id"] = id
	return append(g, graph.Resource{URN: "urn:pulumi:dev::internal-alb::" + typ + "::" + name, Type: typ, Name: name, ID: id, Custom: true, Inputs: props, Outputs: props})
}

func idOf(t *testing.T, g graph.Graph, typ, name string) string {
	t.Helper()
	for _, r := range g {
		if r.Type == typ && r.Name == name {
			return r.ID
		}
	}
	require.FailNowf(t, "no such resource", "%s %s", typ, name)
	return ""
}

func set(key string, v any) func(map[string]any) { return func(p map[string]any) { p[key] = v } }

// planMutation is a single-point mutation of the real plan and how the
// verifier must catch it. The verifier's test and the twin's differential
// test share the list.
type planMutation struct {
	name   string
	g      graph.Graph
	path   string // the path that must be refused ("" when a rule catches it)
	rule   string // the rule that must fail
	reason string // part of the explanation
	// twinDiffers lists the paths where the twin's probes must not agree
	// with the verifier, and why (what the verifier does not see).
	twinDiffers map[string]twinDiff
}

// twinDiff is an expected difference: the twin's verdict and the reason.
type twinDiff struct {
	twin bool
	why  string
}

// endToEnd: the verifier's P1 ends at the ALB's nodes; the twin's curl needs
// the page, so a target the ALB cannot reach fails P1 there too (fail-open
// sends the request to a target that does not answer: 502 or 504).
var endToEnd = map[string]twinDiff{"P1": {false, "the verifier's P1 ends at the ALB; the twin's curl needs the page from a target"}}

// planMutations returns the mutations of the dev plan (and of its Transit
// Gateway variant).
func planMutations(t *testing.T) []planMutation {
	def := mustPlan(t, nil).Graph
	tgw := mustPlan(t, map[string]string{"connectivity": "transitGateway"}).Graph
	id := func(typ, name string) string { return idOf(t, def, typ, name) }

	otherArn, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:ap-northeast-1:123456789012:function:other"}}})
	nacl := with(def, awstype.NetworkAcl, "foo-deny-http", map[string]any{
		"vpcId": id(awstype.Vpc, "foo"), "subnetIds": []any{id(awstype.Subnet, "foo-private-1"), id(awstype.Subnet, "foo-private-2")},
		"ingress": []any{
			map[string]any{"ruleNo": 100, "action": "deny", "protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlock": "0.0.0.0/0"},
			map[string]any{"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}},
		"egress": []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}},
	})
	isolated := with(def, awstype.Subnet, "bar-isolated", map[string]any{
		"vpcId": id(awstype.Vpc, "bar"), "cidrBlock": "10.3.50.0/24", "availabilityZone": "ap-northeast-1a", "tags": map[string]any{"Tier": "private"}})
	isolated = mutate(t, isolated, awstype.Instance, "bar-client", func(p map[string]any) {
		p["subnetId"] = "bar-isolated-added"
		p["privateIp"] = "10.3.50.10"
	})
	webOpen := with(def, awstype.SecurityGroupIngressRule, "web-from-anywhere", map[string]any{
		"securityGroupId": id(awstype.SecurityGroup, "web-web"), "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "0.0.0.0/0", "description": "mistake"})
	// F2 open: both groups and both private network ACLs let the client
	// reach a web server's 8080.
	allow8080 := func(dir, cidr string) func(map[string]any) {
		return func(p map[string]any) {
			p[dir] = append([]any{map[string]any{"ruleNo": 90, "action": "allow", "protocol": "6", "cidrBlock": cidr, "fromPort": 8080, "toPort": 8080}}, p[dir].([]any)...)
		}
	}
	webOpenToClient := with(with(def, awstype.SecurityGroupIngressRule, "web-from-bar", map[string]any{
		"securityGroupId": id(awstype.SecurityGroup, "web-web"), "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "10.3.0.0/16", "description": "mistake"}),
		awstype.SecurityGroupEgressRule, "client-to-foo", map[string]any{
			"securityGroupId": id(awstype.SecurityGroup, "bar-client"), "ipProtocol": "-1", "cidrIpv4": "10.2.0.0/16", "description": "mistake"})
	webOpenToClient = mutate(t, webOpenToClient, awstype.NetworkAcl, "foo-private", allow8080("ingress", "10.3.0.0/16"))
	webOpenToClient = mutate(t, webOpenToClient, awstype.NetworkAcl, "bar-private", allow8080("egress", "10.2.0.0/16"))

	return []planMutation{
		{"peering route removed foo→bar", without(t, def, awstype.Route, "peering-foo-bar-to-bar-1"), "P1", "",
			"return route: route table foo-private-1 of subnet foo-private-1 has no route to 10.3.1.10/32", nil},
		{"peering route removed bar→foo", without(t, def, awstype.Route, "peering-foo-bar-to-foo-1"), "P1", "",
			"route table bar-private-1 of subnet bar-private-1 has no route to 10.2.1.0/24", nil},
		{"consumer dropped from the zone", mutate(t, def, awstype.Zone, "zone", set("vpcs", []any{map[string]any{"vpcId": id(awstype.Vpc, "foo")}})), "P1", "",
			"no private hosted zone for alb.home is associated with VPC bar", nil},
		{"target group moved to 80", mutate(t, def, awstype.TargetGroup, "web-web", set("port", 80)), "P2", "",
			"target group web-web sends to port 80, but the web servers listen on 8080", endToEnd},
		{"ALB ingress from the consumer removed", without(t, def, awstype.SecurityGroupIngressRule, "web-alb-http-in-bar-client"), "P1", "",
			"no ingress rule in web-alb allows tcp 80 from instance bar-client", nil},
		{"endpoint private DNS off", mutate(t, def, awstype.VpcEndpoint, "hello-world-bar-endpoint", set("privateDnsEnabled", false)), "P3", "",
			"endpoint hello-world-bar-endpoint has privateDnsEnabled off", nil},
		{"VPC DNS hostnames off", mutate(t, def, awstype.Vpc, "bar", set("enableDnsHostnames", false)), "P1", "",
			"VPC bar has enableDnsSupport=true, enableDnsHostnames=false", nil},
		{"invoke policy on another ARN", mutate(t, def, awstype.RolePolicy, "hello-world-invoke", set("policy", string(otherArn))), "P3", "",
			"allows lambda:InvokeFunction on arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world", nil},
		{"ALB internet-facing", mutate(t, def, awstype.LoadBalancer, "web", set("internal", false)), "", "ALB-INTERNAL",
			"foo-internal-alb is internet-facing", nil},
		{"web ingress from 0.0.0.0/0", webOpen, "", "SG-NO-OPEN-INGRESS",
			"admits tcp 8080-8080 from 0.0.0.0/0", nil},
		{"NACL deny on 80", nacl, "P1", "",
			"NACL foo-deny-http inbound rule 100 (deny tcp 0.0.0.0/0 ports 80-80)", nil},
		{"client in a subnet with no route", isolated, "P1", "",
			"of subnet bar-isolated has no route to 10.2.1.0/24", nil},
		{"TGW attachment in the wrong VPC", mutate(t, tgw, awstype.TgwVpcAttachment, "tgw-bar", set("vpcId", idOf(t, tgw, awstype.Vpc, "foo"))), "P1", "",
			"transit gateway tgw has no attachment in VPC bar", nil},
		{"TGW spoke table loses the hub's propagation", without(t, tgw, awstype.TgwRouteTablePropagation, "tgw-foo"), "P1", "",
			"has no route to 10.2.1.0/24", nil},
		{"web ingress from the ALB removed", without(t, def, awstype.SecurityGroupIngressRule, "web-web-from-alb"), "P2", "",
			"no ingress rule in web-web allows tcp 8080", endToEnd},
		{"client without the invoker profile", mutate(t, def, awstype.Instance, "bar-client", set("iamInstanceProfile", "")), "P3", "",
			"bar-client has no instance profile", nil},
		{"Lambda endpoint policy names another role", mutate(t, def, awstype.VpcEndpoint, "hello-world-bar-endpoint", editPolicy("policy", func(d map[string]any) {
			statements(d)[0]["Principal"] = map[string]any{"AWS": "arn:aws:iam::123456789012:role/other"}
		})), "P3", "", "policy does not allow lambda:InvokeFunction", nil},
		// More hops of P1, P2 and P3 (network ACLs, the client's group, the TGW
		// route tables, the health check, the endpoint's group), and F2 opened.
		{"private NACL denies 80 before its allows", mutate(t, def, awstype.NetworkAcl, "foo-private", func(p map[string]any) {
			p["ingress"] = append([]any{map[string]any{"ruleNo": 90, "action": "deny", "protocol": "6", "cidrBlock": "0.0.0.0/0", "fromPort": 80, "toPort": 80}}, p["ingress"].([]any)...)
		}), "P1", "", "destination NACL in: NACL foo-private inbound rule 90 (deny tcp 0.0.0.0/0 ports 80-80)", nil},
		{"private NACL loses the replies to the consumer", mutate(t, def, awstype.NetworkAcl, "foo-private", dropEntry("egress", entryIs("10.3.0.0/16", 1024, 65535))), "P1", "",
			"destination NACL out (replies): NACL foo-private has no outbound rule allowing tcp 32768-60999 for 10.3.1.10/32 (implicit deny)", nil},
		{"client group loses HTTP to the ALB", without(t, def, awstype.SecurityGroupEgressRule, "bar-client-http-out"), "P1", "",
			"source SG egress: no egress rule in bar-client allows tcp 80", nil},
		{"TGW hub table loses its association", without(t, tgw, awstype.TgwRouteTableAssociation, "tgw-foo"), "P1", "",
			"attachment tgw-foo (VPC foo) is associated with no transit gateway route table", nil},
		{"health check on another port", mutate(t, def, awstype.TargetGroup, "web-web", func(p map[string]any) {
			p["healthCheck"] = map[string]any{"path": "/", "port": "80", "protocol": "HTTP"}
		}), "P2", "", "probes port 80, not the traffic port 8080", nil},
		{"endpoint group stops admitting the client", without(t, def, awstype.SecurityGroupIngressRule, "bar-client-lambda-in"), "P3", "",
			"no ingress rule in hello-world-bar-endpoint allows tcp 443", nil},
		{"web servers reachable from the client directly", webOpenToClient, "F2", "", "every piece lets it through", nil},
	}
}

// editPolicy changes the JSON policy document held in key.
func editPolicy(key string, f func(doc map[string]any)) func(map[string]any) {
	return func(p map[string]any) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(p[key].(string)), &doc); err != nil {
			panic(err)
		}
		f(doc)
		b, _ := json.Marshal(doc)
		p[key] = string(b)
	}
}

// statements are a parsed document's statements, as maps.
func statements(doc map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range doc["Statement"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

// dropStatement removes the statement with Sid sid, or whose index is i.
func dropStatement(sid string) func(map[string]any) {
	return func(doc map[string]any) {
		var kept []any
		for _, s := range statements(doc) {
			if s["Sid"] != sid {
				kept = append(kept, s)
			}
		}
		doc["Statement"] = kept
	}
}

// addStatement appends a statement.
func addStatement(s map[string]any) func(map[string]any) {
	return func(doc map[string]any) { doc["Statement"] = append(doc["Statement"].([]any), s) }
}

// entryIs matches the network ACL entries for cidr on ports from-to.
func entryIs(cidr string, from, to int) func(e map[string]any) bool {
	return func(e map[string]any) bool {
		return e["cidrBlock"] == cidr && num(e["fromPort"]) == from && num(e["toPort"]) == to
	}
}

// dropEntry removes the network ACL entries of dir that match.
func dropEntry(dir string, match func(e map[string]any) bool) func(map[string]any) {
	return func(p map[string]any) {
		var kept []any
		for _, x := range p[dir].([]any) {
			if !match(x.(map[string]any)) {
				kept = append(kept, x)
			}
		}
		p[dir] = kept
	}
}

// securityMutations are the mutations of issue 9's documents and logs: S3,
// IAM and endpoint policies, network ACL rules, flow and access logs. The
// twin's probes do not observe them (it has no S3 and runs no rule), so
// the differential test leaves them out; the verifier must catch each.
func securityMutations(t *testing.T) []planMutation {
	def := mustPlan(t, nil).Graph
	eice := mustPlan(t, map[string]string{"adminAccess": "instanceConnectEndpoint", "adminCidrs": "[]"}).Graph
	id := func(typ, name string) string { return idOf(t, def, typ, name) }
	bucketArn := ""
	for _, r := range def {
		if r.Type == awstype.BucketV2 {
			bucketArn = r.Outputs["arn"].(string)
		}
	}
	return []planMutation{
		// P5: a web server writes its logs through the S3 gateway endpoint.
		{"S3 endpoint off the private route tables", mutate(t, def, awstype.VpcEndpoint, "foo-s3", set("routeTableIds", []any{})), "P5", "",
			"is not in endpoint foo-s3's routeTableIds", nil},
		{"S3 endpoint policy without the log prefix", mutate(t, def, awstype.VpcEndpoint, "foo-s3", editPolicy("policy", dropStatement("StackObjects"))), "P5", "",
			"endpoint foo-s3's policy does not allow s3:PutObject", nil},
		{"web role reads instead of writing", mutate(t, def, awstype.RolePolicy, "web-web-logs", set("policy",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+bucketArn+`/web/*"}]}`)), "P5", "",
			"no policy of role web-web allows s3:PutObject", nil},
		{"web group loses S3 egress", without(t, def, awstype.SecurityGroupEgressRule, "web-web-s3-out"), "P5", "",
			"no egress rule in web-web allows tcp 443 to prefix list pl-61a54008", nil},
		{"bucket policy denies the web prefix", mutate(t, def, awstype.BucketPolicy, "internal-alb-logs", editPolicy("policy", addStatement(map[string]any{
			"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": bucketArn + "/web/*"}))), "P5", "",
			"policy denies s3:PutObject", nil},
		{"private NACL loses HTTPS out", mutate(t, def, awstype.NetworkAcl, "foo-private", dropEntry("egress", entryIs("0.0.0.0/0", 443, 443))), "P5", "",
			"NACL foo-private has no outbound rule allowing tcp 443 for 0.0.0.0/0", nil},
		{"private NACL loses the replies from S3", mutate(t, def, awstype.NetworkAcl, "foo-private", dropEntry("ingress", entryIs("0.0.0.0/0", 32768, 65535))), "P5", "",
			"has no inbound rule allowing tcp 32768-60999 for 0.0.0.0/0", nil},
		// Network ACLs, logs, buckets, endpoints, Lambda, groups.
		{"public NACL admits SSH from the internet", mutate(t, def, awstype.NetworkAcl, "foo-public", func(p map[string]any) {
			p["ingress"] = append(p["ingress"].([]any), map[string]any{"ruleNo": 90, "action": "allow", "protocol": "6", "cidrBlock": "0.0.0.0/0", "fromPort": 22, "toPort": 22})
		}), "", "NACL-NO-ADMIN-PORTS-FROM-INTERNET", "inbound rule 90 allows tcp 22-22 from 0.0.0.0/0: port 22 is admitted", nil},
		{"public NACL removed", without(t, def, awstype.NetworkAcl, "foo-public"), "", "NACL-NO-ADMIN-PORTS-FROM-INTERNET", "use the VPC's default network ACL", nil},
		{"flow log removed", without(t, def, awstype.FlowLog, "bar"), "", "VPC-FLOW-LOGS", "VPC bar has no flow log", nil},
		{"ALB access logs off", mutate(t, def, awstype.LoadBalancer, "web", func(p map[string]any) {
			p["accessLogs"] = map[string]any{"bucket": p["accessLogs"].(map[string]any)["bucket"], "prefix": "alb", "enabled": false}
		}), "", "ALB-ACCESS-LOGS", "has access logs off", nil},
		{"bucket stops restricting public buckets", mutate(t, def, awstype.BucketPublicAccessBlock, "internal-alb-logs", set("restrictPublicBuckets", false)), "", "S3-BLOCK-PUBLIC-ACCESS",
			"has restrictPublicBuckets off", nil},
		{"bucket ownership back to object writers", mutate(t, def, awstype.BucketOwnershipControls, "internal-alb-logs", set("rule", map[string]any{"objectOwnership": "ObjectWriter"})), "", "S3-OWNERSHIP-ENFORCED",
			"not BucketOwnerEnforced", nil},
		{"bucket encryption removed", without(t, def, awstype.BucketServerSideEncryptionConfigurationV2, "internal-alb-logs"), "", "S3-DEFAULT-ENCRYPTION", "no server-side encryption configuration", nil},
		{"bucket policy admits plain HTTP", mutate(t, def, awstype.BucketPolicy, "internal-alb-logs", editPolicy("policy", dropStatement("DenyInsecureTransport"))), "", "S3-TLS-ONLY",
			"has no Deny for everyone", nil},
		{"bucket readable by everyone", mutate(t, def, awstype.BucketPolicy, "internal-alb-logs", editPolicy("policy", addStatement(map[string]any{
			"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": bucketArn + "/*"}))), "", "S3-NO-PUBLIC-POLICY", `to Principal "*"`, nil},
		{"bucket readable by another account", mutate(t, def, awstype.BucketPolicy, "internal-alb-logs", editPolicy("policy", addStatement(map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": bucketArn + "/*"}))),
			"", "S3-NO-OUTSIDE-READ", "outside account 123456789012", nil},
		{"flow log service unconditioned", mutate(t, def, awstype.BucketPolicy, "internal-alb-logs", editPolicy("policy", func(d map[string]any) {
			for _, s := range statements(d) {
				if s["Sid"] == "FlowLogsAclCheck" {
					delete(s, "Condition")
				}
			}
		})), "", "S3-NO-OUTSIDE-READ", "for any account", nil},
		{"Lambda endpoint policy on every resource", mutate(t, def, awstype.VpcEndpoint, "hello-world-bar-endpoint", editPolicy("policy", func(d map[string]any) {
			statements(d)[0]["Resource"] = "*"
		})), "", "ENDPOINT-POLICY-SCOPED", `on Resource "*"`, nil},
		{"S3 endpoint without a policy", mutate(t, def, awstype.VpcEndpoint, "bar-s3", set("policy", "")), "", "ENDPOINT-POLICY-SCOPED", "no policy", nil},
		{"function open to every principal", with(def, awstype.LambdaPermission, "anyone", map[string]any{
			"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "*"}), "", "LAMBDA-PERMISSION-SCOPED", `to principal "*"`, nil},
		{"function open to a service for any source", with(def, awstype.LambdaPermission, "s3", map[string]any{
			"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com"}), "", "LAMBDA-PERMISSION-SCOPED",
			"without sourceArn or sourceAccount", nil},
		{"function URL without auth", with(def, awstype.FunctionUrl, "url", map[string]any{
			"functionName": "hello-world", "authorizationType": "NONE"}), "", "LAMBDA-URL-AUTH", `authorizationType "NONE"`, nil},
		{"web servers egress to the internet", with(def, awstype.SecurityGroupEgressRule, "web-anywhere", map[string]any{
			"securityGroupId": id(awstype.SecurityGroup, "web-web"), "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "description": "mistake"}), "", "SG-EGRESS-SCOPED",
			"to no NAT gateway", nil},
		{"bastion admits a /8", with(def, awstype.SecurityGroupIngressRule, "bastion-wide", map[string]any{
			"securityGroupId": id(awstype.SecurityGroup, "foo-bastion"), "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "52.0.0.0/8", "description": "mistake"}),
			"", "SG-NO-ADMIN-PORTS-FROM-INTERNET", "admits port 22 from 52.0.0.0/8", nil},
		{"web servers stop admitting the endpoint", without(t, eice, awstype.SecurityGroupIngressRule, "web-web-ssh-in"), "P4", "",
			"from instance connect endpoint foo-eice", nil},
		{"instance connect endpoint preserves the client IP", mutate(t, eice, awstype.InstanceConnectEndpoint, "foo-eice", set("preserveClientIp", true)), "P4", "",
			"destination SG ingress: no ingress rule in web-web allows tcp 22 from admin 203.0.113.0/24 via instance connect endpoint foo-eice (client IP preserved)", nil},
		{"bastion group stops admitting the admins", without(t, def, awstype.SecurityGroupIngressRule, "foo-bastion-ssh-in-1"), "P4", "",
			"no ingress rule in foo-bastion allows tcp 22 from admin 203.0.113.0/24", nil},
		{"web server without its instance profile", mutate(t, def, awstype.Instance, "web-web1", set("iamInstanceProfile", "")), "P5", "",
			"web-web1 has no instance profile with a role", nil},
	}
}

// Single-point mutations of the real plan: each is caught, by the path or
// rule it breaks, with an explanation that names the piece. This is the
// verifier's one mutation suite (verify's own tests check that each rule
// fires, on the golden plans).
func TestVerifierCatchesMutationsOfTheRealPlan(t *testing.T) {
	for _, c := range append(planMutations(t), securityMutations(t)...) {
		t.Run(c.name, func(t *testing.T) {
			r := verify.Check(c.g, verifyOpts)
			require.False(t, r.OK(), "mutation not caught:\n%s", r.Text())
			if c.path != "" {
				var reasons []string
				for _, p := range r.Paths {
					if p.ID == c.path && (p.Status == verify.Refused || p.Status == verify.Reachable) {
						reasons = append(reasons, p.Reason)
					}
				}
				require.NotEmpty(t, reasons, "path %s refused (required) or open (forbidden):\n%s", c.path, r.Text())
				assert.Contains(t, strings.Join(reasons, "\n"), c.reason)
			}
			if c.rule != "" {
				var findings []string
				for _, x := range r.Rules {
					if x.ID == c.rule {
						require.Equal(t, verify.Fail, x.Status, c.rule)
						findings = x.Findings
					}
				}
				assert.Contains(t, strings.Join(findings, "\n"), c.reason)
			}
		})
	}
}

// The whole plan check of the dev stack: the program under mocks, then the
// model, paths, rules and cost. `make bench` prints the figure.
func BenchmarkPlanCheckDevStack(b *testing.B) {
	cfg := devConfig(b)
	b.ReportAllocs()
	for b.Loop() {
		g, err := plan.Run(program, plan.Options{Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		if r := verify.Check(g, verifyOpts); !r.OK() {
			b.Fatal(r.Text())
		}
	}
}
