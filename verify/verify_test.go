package verify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

var opts = verify.Options{AdminCidrs: []string{"203.0.113.0/24"}, Now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}

func policy(action, resource string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": action, "Resource": resource}}})
	return string(b)
}

func failures(r verify.Report) string {
	var b strings.Builder
	for _, p := range r.Paths {
		if !p.OK {
			b.WriteString(p.ID + " " + p.Status + " " + p.Name + ": " + p.Reason + "\n")
		}
	}
	for _, x := range r.Rules {
		if x.Status == verify.Fail {
			b.WriteString(x.ID + ": " + strings.Join(x.Findings, "; ") + "\n")
		}
	}
	return b.String()
}

func TestFixturesPass(t *testing.T) {
	logsOff := opts
	logsOff.LogsOff = true
	for name, c := range map[string]struct {
		g      graph.Graph
		o      verify.Options
		proven int
	}{
		// P1, P3 per client; P2, P5 per web server; P4 per bastion (admin
		// and one per private instance behind it).
		"default":  {fixture.Default(), opts, 1 + 1 + 2 + 2 + (1 + 2) + (1 + 1)},
		"tgw":      {fixture.Build(fixture.Options{TransitGateway: true}), opts, 11},
		"onePerAz": {fixture.Build(fixture.Options{NatMode: "onePerAz"}), opts, 11},
		"single":   {fixture.Build(fixture.Options{NatMode: "single"}), opts, 11},
		// P4 from each instance connect endpoint to the private instances
		// of its VPC.
		"instance connect endpoint": {fixture.Build(fixture.Options{AdminAccess: "instanceConnectEndpoint"}), opts, 1 + 1 + 2 + 2 + 2 + 1},
		"no admin access":           {fixture.Build(fixture.Options{AdminAccess: "none"}), opts, 1 + 1 + 2 + 2},
		// Logs off on purpose: P5 skipped, flow and access logs warned.
		"logs off": {fixture.Build(fixture.Options{NoLogs: true}), logsOff, 1 + 1 + 2 + (1 + 2) + (1 + 1)},
	} {
		t.Run(name, func(t *testing.T) {
			r := verify.Check(c.g, c.o)
			assert.True(t, r.OK(), "%s", failures(r))
			assert.Empty(t, r.Notes)
			assert.Equal(t, c.proven, r.Summary.RequiredProven)
			assert.Equal(t, 6, r.Summary.ForbiddenBlocked)
		})
	}
}

// The logs-off stack without LogsOff fails the logging rules; with it they
// warn and name the config key, and P5 is skipped with a reason.
func TestLogsOff(t *testing.T) {
	g := fixture.Build(fixture.Options{NoLogs: true})
	r := verify.Check(g, opts)
	assert.Equal(t, verify.Fail, rule(r, "VPC-FLOW-LOGS").Status)
	assert.Equal(t, verify.Fail, rule(r, "ALB-ACCESS-LOGS").Status)
	o := opts
	o.LogsOff = true
	r = verify.Check(g, o)
	require.True(t, r.OK(), failures(r))
	for _, id := range []string{"VPC-FLOW-LOGS", "ALB-ACCESS-LOGS"} {
		x := rule(r, id)
		assert.Equal(t, verify.Warn, x.Status, id)
		assert.Contains(t, x.Note, "internal-alb:logs", id)
	}
	assert.Contains(t, rule(r, "VPC-FLOW-LOGS").Note, "flow logs to S3 cost about $0.405 per GB")
	p := path(r, "P5")
	assert.Equal(t, verify.Skipped, p.Status)
	assert.Contains(t, p.Reason, "no S3 bucket in the graph")
}

// path returns the first result with the id whose status is not OK, or the first one.
func path(r verify.Report, id string) verify.PathResult {
	var first *verify.PathResult
	for i, p := range r.Paths {
		if p.ID != id {
			continue
		}
		if !p.OK {
			return p
		}
		if first == nil {
			first = &r.Paths[i]
		}
	}
	if first == nil {
		return verify.PathResult{}
	}
	return *first
}

func rule(r verify.Report, id string) verify.RuleResult {
	for _, x := range r.Rules {
		if x.ID == id {
			return x
		}
	}
	return verify.RuleResult{}
}

// Single-point mutations: each must be caught, by the right path or rule,
// with an explanation naming the blocking piece.
func TestMutationsCaught(t *testing.T) {
	def := fixture.Default()
	tgw := fixture.Build(fixture.Options{TransitGateway: true})
	webPort80 := fixture.Set(fixture.Set(fixture.Set(def, "foo-web", "port", 80), "foo-web-1-att", "port", 80), "foo-web-2-att", "port", 80)
	isolated := fixture.Add(def, "aws:ec2/subnet:Subnet", "bar-isolated", map[string]any{"vpcId": "bar-id", "cidrBlock": "10.3.50.0/24", "availabilityZone": "ap-northeast-1a", "tags": map[string]any{"Tier": "private"}})
	isolated = fixture.Set(fixture.Set(isolated, "bar-client", "subnetId", "bar-isolated-id"), "bar-client", "privateIp", "10.3.50.10")
	nacl := fixture.Set(def, "foo-private", "ingress", []any{
		map[string]any{"ruleNo": 90, "action": "deny", "protocol": "6", "fromPort": 80, "toPort": 80, "cidrBlock": "0.0.0.0/0"},
		map[string]any{"ruleNo": 100, "action": "allow", "protocol": "6", "fromPort": 0, "toPort": 65535, "cidrBlock": "10.2.0.0/16"},
		map[string]any{"ruleNo": 110, "action": "allow", "protocol": "6", "fromPort": 80, "toPort": 80, "cidrBlock": "10.3.0.0/16"}})
	eice := fixture.Build(fixture.Options{AdminAccess: "instanceConnectEndpoint"})
	s3Policy := func(stmts ...map[string]any) string {
		l := []any{}
		for _, x := range stmts {
			l = append(l, x)
		}
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": l})
		return string(b)
	}
	repos := map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": fixture.AL2023Repos}
	denyWeb := fixture.Set(def, "logs-policy", "policy", s3Policy(map[string]any{"Sid": "NoWebLogs", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": fixture.LogBucketArn + "/web/*"}))
	webOpen := fixture.Add(def, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web-from-anywhere", map[string]any{"securityGroupId": "foo-web-sg-id",
		"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "0.0.0.0/0", "description": "oops"})

	cases := []struct {
		name   string
		g      graph.Graph
		path   string // path id expected to fail ("" when a rule catches it)
		rule   string // rule id expected to fail
		reason string // substring of the explanation
	}{
		{"peering route removed foo→bar", fixture.Remove(def, "foo-to-bar-0"), "P1", "", "return route: route table foo-private-rt of subnet foo-private-1 has no route to 10.3.1.10/32"},
		{"peering route removed bar→foo", fixture.Remove(def, "bar-to-foo-0"), "P1", "", "route: route table bar-private-rt of subnet bar-private-1 has no route to 10.2.1.0/24"},
		{"consumer dropped from zone", fixture.Set(def, "home", "vpcs", []any{map[string]any{"vpcId": "foo-id"}}), "P1", "", "no private hosted zone for alb.home is associated with VPC bar (zone home is associated with foo)"},
		{"target group moved to 80", webPort80, "P2", "", "target group foo-web sends to port 80, but the web servers listen on 8080"},
		{"ALB ingress from consumer removed", fixture.Remove(def, "alb-from-bar"), "P1", "", "destination SG ingress: no ingress rule in foo-alb-sg allows tcp 80 from instance bar-client"},
		{"endpoint private DNS off", fixture.Set(def, "bar-lambda", "privateDnsEnabled", false), "P3", "", "endpoint bar-lambda has privateDnsEnabled off"},
		{"VPC DNS hostnames off", fixture.Set(def, "bar", "enableDnsHostnames", false), "P1", "", "VPC bar has enableDnsSupport=true, enableDnsHostnames=false"},
		{"invoke policy on another ARN", fixture.Set(def, "client-invoke", "policy", policy("lambda:InvokeFunction", "arn:aws:lambda:ap-northeast-1:123456789012:function:other")), "P3", "", "no policy of role client-role allows lambda:InvokeFunction on arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world"},
		{"ALB internet-facing", fixture.Set(def, "foo-internal-alb", "internal", false), "", "ALB-INTERNAL", "foo-internal-alb is internet-facing"},
		{"web ingress from 0.0.0.0/0", webOpen, "", "SG-NO-OPEN-INGRESS", "foo-web-sg: \"oops\" admits tcp 8080-8080 from 0.0.0.0/0"},
		{"NACL deny on 80", nacl, "P1", "", "destination NACL in: NACL foo-private inbound rule 90 (deny tcp 0.0.0.0/0 ports 80-80)"},
		{"NACL return from the consumer removed", fixture.Set(def, "foo-private", "egress", []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "6", "fromPort": 0, "toPort": 65535, "cidrBlock": "10.2.0.0/16"}}), "P1", "",
			"destination NACL out (replies): NACL foo-private has no outbound rule allowing tcp 32768-60999 for 10.3.1.10/32 (implicit deny)"},
		{"Lambda endpoint policy for another role", fixture.Set(def, "bar-lambda", "policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/other"},"Action":"lambda:InvokeFunction","Resource":"`+fixture.LambdaArn+`"}]}`), "P3", "",
			"endpoint bar-lambda's policy does not allow lambda:InvokeFunction on " + fixture.LambdaArn + " for arn:aws:iam::123456789012:role/client-role"},
		{"S3 endpoint not routed from the web subnets", fixture.Set(def, "foo-s3", "routeTableIds", []any{}), "P5", "",
			"route: route table foo-private-rt of subnet foo-private-1 is not in endpoint foo-s3's routeTableIds"},
		{"S3 endpoint policy without the bucket", fixture.Set(def, "foo-s3", "policy", s3Policy(repos)), "P5", "",
			"endpoint foo-s3's policy does not allow s3:PutObject on " + fixture.LogBucketArn + "/web/foo-web-1/access.log for arn:aws:iam::123456789012:role/foo-web-role"},
		{"web role without PutObject", fixture.Set(def, "foo-web-logs", "policy", policy("s3:GetObject", fixture.LogBucketArn+"/web/*")), "P5", "",
			"no policy of role foo-web-role allows s3:PutObject on " + fixture.LogBucketArn + "/web/foo-web-1/access.log"},
		{"web SG without the prefix-list egress", fixture.Remove(def, "web-to-s3"), "P5", "",
			"source SG egress: no egress rule in foo-web-sg allows tcp 443 to prefix list pl-61a54008"},
		{"web NACL without HTTPS out", fixture.Set(def, "foo-private", "egress", []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "6", "fromPort": 0, "toPort": 65535, "cidrBlock": "10.2.0.0/16"},
			map[string]any{"ruleNo": 120, "action": "allow", "protocol": "6", "fromPort": 1024, "toPort": 65535, "cidrBlock": "10.3.0.0/16"}}), "P5", "",
			"source NACL out: NACL foo-private has no outbound rule allowing tcp 443"},
		{"bucket policy denies the web logs", denyWeb, "P5", "", "resource policy: bucket " + fixture.LogBucket + "'s policy denies s3:PutObject"},
		{"web server without instance profile", fixture.Set(def, "foo-web-1", "iamInstanceProfile", ""), "P5", "", "foo-web-1 has no instance profile with a role"},
		{"instance connect endpoint SSH rule removed", fixture.Remove(eice, "web-from-bastion"), "P4", "",
			"destination SG ingress: no ingress rule in foo-web-sg allows tcp 22 from instance connect endpoint foo-eice-endpoint"},
		{"instance connect endpoint preserving the client IP", fixture.Set(eice, "foo-eice-endpoint", "preserveClientIp", true), "P4", "",
			"destination SG ingress: no ingress rule in foo-web-sg allows tcp 22 from admin 203.0.113.0/24 via instance connect endpoint foo-eice-endpoint (client IP preserved)"},
		{"client in a subnet with no route", isolated, "P1", "", "route table bar main route table (implicit) of subnet bar-isolated has no route to 10.2.1.0/24"},
		{"TGW attachment in the wrong VPC", fixture.Set(tgw, "tgw-bar", "vpcId", "foo-id"), "P1", "", "transit gateway tgw has no attachment in VPC bar"},
		{"TGW spoke propagation removed", fixture.Remove(tgw, "tgw-spoke-foo"), "P1", "", "transit gateway route table tgw-spoke (associated with tgw-bar) has no route to 10.2.1.0/24"},
		{"TGW hub association removed", fixture.Remove(tgw, "tgw-hub-foo"), "P1", "", "attachment tgw-foo (VPC foo) is associated with no transit gateway route table"},
		{"client SG egress to ALB removed", fixture.Remove(def, "client-to-alb"), "P1", "", "source SG egress: no egress rule in bar-client-sg allows tcp 80"},
		{"web ingress from ALB removed", fixture.Remove(def, "web-from-alb"), "P2", "", "no ingress rule in foo-web-sg allows tcp 8080 from ALB foo-internal-alb node"},
		{"health check on another port", fixture.Set(def, "foo-web", "healthCheck", map[string]any{"path": "/", "port": "80", "protocol": "HTTP"}), "P2", "", "probes port 80, not the traffic port 8080"},
		{"endpoint SG ingress removed", fixture.Remove(def, "endpoint-from-bar"), "P3", "", "no ingress rule in bar-lambda-endpoint-sg allows tcp 443"},
		{"client without instance profile", fixture.Set(def, "bar-client", "iamInstanceProfile", ""), "P3", "", "bar-client has no instance profile"},
		{"bastion SSH ingress removed", fixture.Remove(def, "foo-bastion-ssh-in"), "P4", "", "no ingress rule in foo-bastion-sg allows tcp 22 from admin 203.0.113.0/24"},
		{"web reachable from client directly", fixture.Add(fixture.Add(def, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web-from-bar", map[string]any{"securityGroupId": "foo-web-sg-id", "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "10.3.0.0/16", "description": "x"}),
			"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "client-to-foo-all", map[string]any{"securityGroupId": "bar-client-sg-id", "ipProtocol": "-1", "cidrIpv4": "10.2.0.0/16", "description": "x"}), "F2", "", "every piece lets it through"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := verify.Check(c.g, opts)
			require.False(t, r.OK(), "mutation not caught")
			if c.path != "" {
				p := path(r, c.path)
				require.False(t, p.OK, "path %s should fail: %s", c.path, failures(r))
				assert.Contains(t, p.Reason, c.reason)
			}
			if c.rule != "" {
				x := rule(r, c.rule)
				require.Equal(t, verify.Fail, x.Status)
				assert.Contains(t, strings.Join(x.Findings, "\n"), c.reason)
			}
		})
	}
}

// Every rule fires on a bad graph and passes (or is waived/warned) on the good one.
func TestRules(t *testing.T) {
	def := fixture.Default()
	tgw := fixture.Build(fixture.Options{TransitGateway: true})
	internetALB := fixture.Set(def, "foo-internal-alb", "internal", false)
	addIngress := func(g graph.Graph, name, sg string, from, to int, cidr string) graph.Graph {
		return fixture.Add(g, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, map[string]any{"securityGroupId": sg, "ipProtocol": "tcp", "fromPort": from, "toPort": to, "cidrIpv4": cidr, "description": "d"})
	}
	s3Policy := func(extra ...map[string]any) string {
		l := []any{map[string]any{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": []any{fixture.LogBucketArn, fixture.LogBucketArn + "/*"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}}
		for _, x := range extra {
			l = append(l, x)
		}
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": l})
		return string(b)
	}
	naclIn := func(g graph.Graph, name string, entries ...map[string]any) graph.Graph {
		l := []any{}
		for _, e := range entries {
			l = append(l, e)
		}
		return fixture.Set(g, name, "ingress", l)
	}
	entry := func(n int, action, proto, cidr string, from, to int) map[string]any {
		return map[string]any{"ruleNo": n, "action": action, "protocol": proto, "cidrBlock": cidr, "fromPort": from, "toPort": to}
	}
	addPerm := func(g graph.Graph, in map[string]any) graph.Graph {
		return fixture.Add(g, "aws:lambda/permission:Permission", "invoke-perm", in)
	}
	cases := map[string]struct {
		good, bad             graph.Graph
		goodStatus, badStatus string
	}{
		"ALB-INTERNAL":                      {def, internetALB, verify.Pass, verify.Fail},
		"ALB-DROP-INVALID-HEADERS":          {def, fixture.Set(def, "foo-internal-alb", "dropInvalidHeaderFields", false), verify.Pass, verify.Fail},
		"ALB-MULTI-AZ":                      {def, fixture.Set(def, "foo-internal-alb", "subnets", []any{"foo-private-1-id"}), verify.Pass, verify.Fail},
		"ALB-HTTPS-ONLY":                    {def, internetALB, verify.Waived, verify.Fail},
		"ALB-WAF":                           {def, internetALB, verify.Waived, verify.Fail},
		"ALB-ACCESS-LOGS":                   {def, fixture.Set(def, "foo-internal-alb", "accessLogs", map[string]any{"enabled": false, "bucket": fixture.LogBucket}), verify.Pass, verify.Fail},
		"ALB-DELETION-PROTECTION":           {fixture.Set(def, "foo-internal-alb", "enableDeletionProtection", true), def, verify.Pass, verify.Waived},
		"TG-HEALTH-CHECK-PATH":              {def, fixture.Set(def, "foo-web", "healthCheck", map[string]any{"protocol": "HTTP"}), verify.Pass, verify.Fail},
		"SG-NO-ADMIN-PORTS-FROM-INTERNET":   {def, addIngress(def, "ssh-anywhere", "foo-bastion-sg-id", 22, 22, "0.0.0.0/0"), verify.Pass, verify.Fail},
		"SG-NO-OPEN-INGRESS":                {def, addIngress(def, "http-anywhere", "foo-alb-sg-id", 80, 80, "0.0.0.0/0"), verify.Pass, verify.Fail},
		"SG-DESCRIPTIONS":                   {def, fixture.Set(def, "alb-from-bar", "description", ""), verify.Pass, verify.Fail},
		"SG-ATTACHED":                       {def, fixture.Add(def, "aws:ec2/securityGroup:SecurityGroup", "orphan-sg", map[string]any{"vpcId": "foo-id", "description": "unused"}), verify.Pass, verify.Fail},
		"SG-EGRESS-SCOPED":                  {def, fixture.Add(def, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "web-out-all", map[string]any{"securityGroupId": "foo-web-sg-id", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "description": "d"}), verify.Pass, verify.Fail},
		"NACL-NO-ADMIN-PORTS-FROM-INTERNET": {def, naclIn(def, "foo-public", entry(100, "allow", "6", "0.0.0.0/0", 22, 22)), verify.Pass, verify.Fail},
		"DEFAULT-SG-NO-RULES":               {def, fixture.Set(def, "foo-default-sg", "ingress", []any{map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": true}}), verify.Pass, verify.Fail},
		"EC2-IMDSV2":                        {def, fixture.Set(def, "foo-web-1", "metadataOptions", map[string]any{"httpTokens": "optional"}), verify.Pass, verify.Fail},
		"EC2-EBS-ENCRYPTED":                 {def, fixture.Set(def, "foo-web-1", "rootBlockDevice", map[string]any{"volumeSize": 8}), verify.Pass, verify.Fail},
		"EC2-NO-PUBLIC-IP":                  {def, fixture.Set(def, "foo-web-1", "associatePublicIpAddress", true), verify.Pass, verify.Fail},
		"EC2-NO-USERDATA-SECRETS":           {def, fixture.Set(def, "foo-web-1", "userData", "DB_PASSWORD=hunter2hunter2"), verify.Pass, verify.Fail},
		"EC2-CLIENT-ROLE":                   {def, fixture.Set(def, "bar-client", "iamInstanceProfile", ""), verify.Pass, verify.Fail},
		"SUBNET-PRIVATE-NO-AUTO-PUBLIC-IP":  {def, fixture.Set(def, "foo-private-1", "mapPublicIpOnLaunch", true), verify.Pass, verify.Fail},
		"VPC-FLOW-LOGS":                     {def, fixture.Remove(def, "bar-flow-log"), verify.Pass, verify.Fail},
		"PEERING-ROUTES-SCOPED":             {def, fixture.Set(def, "bar-to-foo-0", "destinationCidrBlock", "0.0.0.0/0"), verify.Pass, verify.Fail},
		"TGW-NO-AUTO-ACCEPT":                {tgw, fixture.Set(tgw, "tgw", "autoAcceptSharedAttachments", "enable"), verify.Pass, verify.Fail},
		"TGW-NO-DEFAULT-ROUTE-TABLE":        {tgw, fixture.Set(tgw, "tgw", "defaultRouteTablePropagation", "enable"), verify.Pass, verify.Fail},
		"IAM-NO-WILDCARD-ACTION":            {def, fixture.Set(def, "client-invoke", "policy", policy("lambda:*", fixture.LambdaArn)), verify.Pass, verify.Fail},
		"IAM-NO-WILDCARD-RESOURCE":          {def, fixture.Set(def, "client-invoke", "policy", policy("lambda:InvokeFunction", "*")), verify.Pass, verify.Fail},
		"IAM-TRUST-SCOPED":                  {def, fixture.Set(def, "client-role", "assumeRolePolicy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}]}`), verify.Pass, verify.Fail},
		"ENDPOINT-SG-SCOPED":                {def, fixture.Set(def, "endpoint-from-bar", "cidrIpv4", "10.0.0.0/8"), verify.Pass, verify.Fail},
		"ENDPOINT-POLICY-SCOPED":            {def, fixture.Set(def, "bar-s3", "policy", policy("s3:GetObject", "*")), verify.Pass, verify.Fail},
		"S3-BLOCK-PUBLIC-ACCESS":            {def, fixture.Set(def, "logs-pab", "restrictPublicBuckets", false), verify.Pass, verify.Fail},
		"S3-OWNERSHIP-ENFORCED":             {def, fixture.Set(def, "logs-ownership", "rule", map[string]any{"objectOwnership": "BucketOwnerPreferred"}), verify.Pass, verify.Fail},
		"S3-DEFAULT-ENCRYPTION":             {def, fixture.Remove(def, "logs-sse"), verify.Pass, verify.Fail},
		"S3-TLS-ONLY":                       {def, fixture.Set(def, "logs-policy", "policy", policy("s3:PutObject", fixture.LogBucketArn+"/web/*")), verify.Pass, verify.Fail},
		"S3-NO-PUBLIC-POLICY":               {def, fixture.Set(def, "logs-policy", "policy", s3Policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "s3:PutObject", "Resource": fixture.LogBucketArn + "/*"})), verify.Pass, verify.Fail},
		"S3-NO-OUTSIDE-READ":                {def, fixture.Set(def, "logs-policy", "policy", s3Policy(map[string]any{"Sid": "Partner", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": fixture.LogBucketArn + "/*"})), verify.Pass, verify.Fail},
		"LAMBDA-PERMISSION-SCOPED":          {addPerm(def, map[string]any{"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "events.amazonaws.com", "sourceArn": "arn:aws:events:ap-northeast-1:123456789012:rule/tick"}), addPerm(def, map[string]any{"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "*"}), verify.Pass, verify.Fail},
		"LAMBDA-URL-AUTH":                   {fixture.Add(def, "aws:lambda/functionUrl:FunctionUrl", "url", map[string]any{"functionName": "hello-world", "authorizationType": "AWS_IAM"}), fixture.Add(def, "aws:lambda/functionUrl:FunctionUrl", "url", map[string]any{"functionName": "hello-world", "authorizationType": "NONE"}), verify.Pass, verify.Fail},
		"LAMBDA-LOG-RETENTION":              {def, fixture.Remove(def, "hello-world-logs"), verify.Pass, verify.Fail},
		"LAMBDA-RUNTIME-SUPPORTED":          {fixture.Set(def, "hello-world", "runtime", "nodejs24.x"), fixture.Set(def, "hello-world", "runtime", "nodejs14.x"), verify.Pass, verify.Fail},
	}
	for _, id := range verify.RuleIDs() {
		c, ok := cases[id]
		if !assert.True(t, ok, "rule %s has no test case", id) {
			continue
		}
		t.Run(id, func(t *testing.T) {
			good := rule(verify.Check(c.good, opts), id)
			assert.Equal(t, c.goodStatus, good.Status, "good graph: %v", good.Findings)
			bad := rule(verify.Check(c.bad, opts), id)
			assert.Equal(t, c.badStatus, bad.Status, "bad graph")
			if c.badStatus == verify.Fail || c.badStatus == verify.Warn {
				assert.NotEmpty(t, bad.Findings)
			}
			assert.NotEmpty(t, good.Why)
		})
	}
	assert.Len(t, verify.RuleIDs(), 40)
}

// The rules whose verdict depends on more than one bad graph: each case is
// a graph, the options, the rule's expected status and a finding's text.
func TestRuleCases(t *testing.T) {
	def := fixture.Default()
	nat := fixture.Build(fixture.Options{NatMode: "single"})
	anywhere := opts
	anywhere.AllowSshFromAnywhere = true
	entry := func(n int, action, proto, cidr string, from, to int) any {
		return map[string]any{"ruleNo": n, "action": action, "protocol": proto, "cidrBlock": cidr, "fromPort": from, "toPort": to}
	}
	sshFrom := func(c string) graph.Graph {
		return fixture.Add(def, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh-from", map[string]any{"securityGroupId": "foo-bastion-sg-id", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": c, "description": "d"})
	}
	bucketPolicy := func(extra string) graph.Graph {
		return fixture.Set(def, "logs-policy", "policy", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["`+fixture.LogBucketArn+`","`+fixture.LogBucketArn+`/*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}`+extra+`]}`)
	}
	webOutAll := func(g graph.Graph) graph.Graph {
		return fixture.Add(g, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "web-out-all", map[string]any{"securityGroupId": "foo-web-sg-id", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0", "description": "d"})
	}
	cases := []struct {
		name, rule string
		g          graph.Graph
		o          verify.Options
		status     string
		finding    string
	}{
		{"SSH from a public /15", "SG-NO-ADMIN-PORTS-FROM-INTERNET", sshFrom("198.18.0.0/15"), opts, verify.Fail, "admits port 22 from 198.18.0.0/15"},
		{"SSH from a public /16", "SG-NO-ADMIN-PORTS-FROM-INTERNET", sshFrom("198.18.0.0/16"), opts, verify.Pass, ""},
		{"SSH from a private /8", "SG-NO-ADMIN-PORTS-FROM-INTERNET", sshFrom("10.0.0.0/8"), opts, verify.Pass, ""},
		{"SSH from anywhere, allowed by the stack", "SG-NO-ADMIN-PORTS-FROM-INTERNET", sshFrom("0.0.0.0/0"), anywhere, verify.Warn, "admits port 22 from 0.0.0.0/0"},
		{"open egress from a private subnet with NAT", "SG-EGRESS-SCOPED", webOutAll(nat), opts, verify.Warn, "allows tcp 443-443 to 0.0.0.0/0"},
		{"open egress from a private subnet without NAT", "SG-EGRESS-SCOPED", webOutAll(def), opts, verify.Fail, "attached to foo-web-1 (subnet foo-private-1), foo-web-2 (subnet foo-private-2) in a private subnet whose route table sends 0.0.0.0/0 to no NAT gateway"},
		{"NACL: an earlier deny covers the allow", "NACL-NO-ADMIN-PORTS-FROM-INTERNET",
			fixture.Set(def, "foo-public", "ingress", []any{entry(90, "deny", "6", "0.0.0.0/0", 22, 22), entry(100, "allow", "6", "0.0.0.0/0", 0, 65535), entry(80, "deny", "6", "0.0.0.0/0", 3389, 3389)}), opts, verify.Pass, ""},
		{"NACL: the deny comes after the allow", "NACL-NO-ADMIN-PORTS-FROM-INTERNET",
			fixture.Set(def, "foo-public", "ingress", []any{entry(110, "deny", "6", "0.0.0.0/0", 22, 22), entry(100, "allow", "-1", "0.0.0.0/0", 0, 0)}), opts, verify.Fail, "NACL foo-public inbound rule 100 allows -1 0-0 from 0.0.0.0/0: port 22 is admitted"},
		{"NACL: a partial deny leaves the rest open", "NACL-NO-ADMIN-PORTS-FROM-INTERNET",
			fixture.Set(def, "foo-public", "ingress", []any{entry(90, "deny", "6", "0.0.0.0/1", 3389, 3389), entry(100, "allow", "6", "0.0.0.0/0", 1024, 65535)}), opts, verify.Fail, "port 3389 is admitted"},
		{"NACL: NAT replies with RDP denied first", "NACL-NO-ADMIN-PORTS-FROM-INTERNET",
			fixture.Set(def, "foo-public", "ingress", []any{entry(100, "deny", "6", "0.0.0.0/0", 3389, 3389), entry(110, "allow", "6", "0.0.0.0/0", 1024, 65535)}), opts, verify.Pass, ""},
		{"NACL: subnets on the VPC's default NACL", "NACL-NO-ADMIN-PORTS-FROM-INTERNET", fixture.Build(fixture.Options{DefaultNACL: true}), opts, verify.Fail, "VPC foo: subnet(s) foo-public-1, foo-private-1, foo-public-2, foo-private-2 use the VPC's default network ACL"},
		{"NACL: SSH from anywhere, allowed by the stack", "NACL-NO-ADMIN-PORTS-FROM-INTERNET",
			fixture.Set(def, "foo-public", "ingress", []any{entry(100, "allow", "6", "0.0.0.0/0", 22, 22)}), anywhere, verify.Warn, "port 22 is admitted"},
		{"endpoint without a policy", "ENDPOINT-POLICY-SCOPED", fixture.Set(def, "bar-lambda", "policy", ""), opts, verify.Fail, "bar-lambda: no policy"},
		{"endpoint Allow without a Resource", "ENDPOINT-POLICY-SCOPED", fixture.Set(def, "foo-s3", "policy", `{"Statement":[{"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`), opts, verify.Fail, "foo-s3: All allows without a Resource"},
		{"bucket without a public access block", "S3-BLOCK-PUBLIC-ACCESS", fixture.Remove(def, "logs-pab"), opts, verify.Fail, fixture.LogBucket + ": no public access block"},
		{"bucket without ownership controls", "S3-OWNERSHIP-ENFORCED", fixture.Remove(def, "logs-ownership"), opts, verify.Fail, `object ownership is "unset"`},
		{"bucket without a policy", "S3-TLS-ONLY", fixture.Remove(def, "logs-policy"), opts, verify.Fail, "no Deny for everyone"},
		{"bucket: TLS deny on objects only", "S3-TLS-ONLY", fixture.Set(def, "logs-policy", "policy", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"`+fixture.LogBucketArn+`/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`), opts, verify.Fail, "no Deny"},
		{"bucket: TLS deny with a JSON bool", "S3-TLS-ONLY", bucketPolicy(""), opts, verify.Pass, ""},
		{"bucket: anyone may read, restrictPublicBuckets off", "S3-NO-OUTSIDE-READ",
			fixture.Set(bucketPolicy(`,{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+fixture.LogBucketArn+`/*"}`), "logs-pab", "restrictPublicBuckets", false), opts, verify.Fail, "Public lets anyone s3:GetObject (restrictPublicBuckets off)"},
		{"bucket: anyone may read, restrictPublicBuckets on", "S3-NO-OUTSIDE-READ",
			bucketPolicy(`,{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + fixture.LogBucketArn + `/*"}`), opts, verify.Pass, ""},
		{"bucket: a service may list for any account", "S3-NO-OUTSIDE-READ",
			bucketPolicy(`,{"Sid":"Lister","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:ListBucket","Resource":"` + fixture.LogBucketArn + `"}`), opts, verify.Fail, "Lister lets service delivery.logs.amazonaws.com s3:ListBucket for any account"},
		{"bucket: another account may do all but delete", "S3-NO-OUTSIDE-READ",
			bucketPolicy(`,{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"999999999999"},"NotAction":"s3:Delete*","Resource":"` + fixture.LogBucketArn + `/*"}`), opts, verify.Fail, "Partner lets 999999999999, outside account 123456789012, do all but s3:Delete*"},
		{"bucket: the account's own role may read", "S3-NO-OUTSIDE-READ",
			bucketPolicy(`,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/foo-web-role"},"Action":"s3:GetObject","Resource":"` + fixture.LogBucketArn + `/*"}`), opts, verify.Pass, ""},
		{"bucket: public-read ACL with ACLs enabled", "S3-NO-OUTSIDE-READ",
			fixture.Set(fixture.Set(fixture.Add(def, "aws:s3/bucketAclV2:BucketAclV2", "logs-acl", map[string]any{"bucket": "logs-id", "acl": "public-read"}), "logs-ownership", "rule", map[string]any{"objectOwnership": "ObjectWriter"}), "logs-pab", "ignorePublicAcls", false),
			opts, verify.Fail, "canned ACL public-read is in force"},
		{"Lambda permission: service without source", "LAMBDA-PERMISSION-SCOPED",
			fixture.Add(def, "aws:lambda/permission:Permission", "perm", map[string]any{"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com"}), opts, verify.Fail, "service principal s3.amazonaws.com without sourceArn or sourceAccount"},
		{"Lambda permission: URL without auth", "LAMBDA-PERMISSION-SCOPED",
			fixture.Add(def, "aws:lambda/permission:Permission", "perm", map[string]any{"function": "hello-world", "action": "lambda:InvokeFunctionUrl", "principal": "*", "functionUrlAuthType": "NONE"}), opts, verify.Fail, "authType NONE"},
		{"access logs on without a bucket", "ALB-ACCESS-LOGS", fixture.Set(def, "foo-internal-alb", "accessLogs", map[string]any{"enabled": true}), opts, verify.Fail, "names no bucket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := rule(verify.Check(c.g, c.o), c.rule)
			require.Equal(t, c.status, x.Status, "%v", x.Findings)
			if c.finding != "" {
				assert.Contains(t, strings.Join(x.Findings, "\n"), c.finding)
			}
		})
	}
}

// The model reads the new resource types from a graph the way a plan and a
// state export give them.
func TestModelReadsLogsAndAccess(t *testing.T) {
	g := fixture.Build(fixture.Options{AdminAccess: "instanceConnectEndpoint"})
	g = fixture.Add(g, "aws:ec2/keyPair:KeyPair", "admin-key", map[string]any{"keyName": "admin", "publicKey": "ssh-ed25519 AAAAC3Nza admin"})
	g = fixture.Add(g, "aws:lambda/permission:Permission", "perm", map[string]any{"function": "hello-world", "action": "lambda:InvokeFunction", "principal": "events.amazonaws.com", "sourceArn": "arn:aws:events:ap-northeast-1:123456789012:rule/x"})
	g = fixture.Add(g, "aws:lambda/functionUrl:FunctionUrl", "url", map[string]any{"functionName": "hello-world", "authorizationType": "AWS_IAM"})
	m := verify.BuildModel(g)
	assert.Equal(t, fixture.Account, m.Account)

	b := m.LogBucket()
	require.NotNil(t, b)
	assert.Equal(t, fixture.LogBucket, b.Name)
	assert.Same(t, b, m.Buckets["logs-id"], "satellites name the bucket by id")
	assert.Same(t, b, m.Buckets[fixture.LogBucket], "the ALB names it by name")
	assert.Equal(t, map[string]bool{"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true}, b.PAB)
	assert.Equal(t, "BucketOwnerEnforced", b.Ownership)
	assert.Equal(t, "AES256", b.SSE)
	assert.Equal(t, 30, b.ExpireDays)
	assert.Contains(t, b.Policy, "DenyInsecureTransport")

	require.Len(t, m.FlowLogs, 2)
	assert.Equal(t, "s3", m.FlowLogs[0].DestType)
	assert.Same(t, b, m.FlowLogs[0].Bucket)
	lb := m.LoadBalancers()[0]
	assert.Equal(t, verify.AccessLogs{Enabled: true, Bucket: fixture.LogBucket, Prefix: "alb"}, lb.AccessLogs)

	// Inline NACL entries and subnetIds, with AWS's protocol number.
	n := m.NACLs["foo-private-id"]
	require.NotNil(t, n)
	assert.ElementsMatch(t, []string{"foo-private-1-id", "foo-private-2-id"}, n.Subnets)
	assert.Equal(t, "foo-private-id", m.Subnets["foo-private-1-id"].NACL)
	assert.Equal(t, "tcp", n.Rules[0].Proto)
	assert.Equal(t, 100, n.Rules[0].Num)

	assert.Contains(t, m.Vpces["foo-s3-id"].Policy, "WebLogs")
	assert.Equal(t, fixture.S3PrefixList, m.Vpces["foo-s3-id"].PrefixList)
	require.Len(t, m.EICEs, 2)
	assert.Equal(t, verify.ConnectEndpoint{ID: "foo-eice-endpoint-id", Name: "foo-eice-endpoint", VPC: "foo-id", Subnet: "foo-private-1-id", SGs: []string{"foo-eice-id"}}, *m.EICEs[0])
	require.Len(t, m.KeyPairs, 1)
	assert.Equal(t, "admin", m.KeyPairs[0].KeyName)
	require.Len(t, m.LambdaPerms, 1)
	assert.Equal(t, "events.amazonaws.com", m.LambdaPerms[0].Principal)
	require.Len(t, m.FuncURLs, 1)
	assert.Equal(t, "AWS_IAM", m.FuncURLs[0].AuthType)
	for _, in := range m.Instances() {
		if in.Role == "web" {
			assert.Equal(t, "foo-web-role", m.RoleOf(in).Name)
		}
	}
}

func TestNoAdminCidrsSkipsBastionPath(t *testing.T) {
	r := verify.Check(fixture.Default(), verify.Options{})
	assert.True(t, r.OK(), failures(r))
	p := path(r, "P4")
	assert.Contains(t, []string{verify.Skipped, verify.Proven}, p.Status)
}

func TestStateExportRoundTrip(t *testing.T) {
	g := fixture.Default()
	// Write the fixture as a stack export, with the client's policy as a secret.
	var res []map[string]any
	for _, r := range g {
		in := r.Inputs
		if r.Name == "client-invoke" {
			in = map[string]any{}
			for k, v := range r.Inputs {
				in[k] = v
			}
			pt, _ := json.Marshal(r.Inputs["policy"])
			in["policy"] = map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": string(pt)}
		}
		out := map[string]any{}
		for k, v := range r.Inputs {
			out[k] = v
		}
		for k, v := range r.Outputs {
			out[k] = v
		}
		if r.Name == "client-invoke" {
			out["policy"] = in["policy"]
		}
		res = append(res, map[string]any{"urn": r.URN, "type": r.Type, "id": r.ID, "parent": r.Parent, "custom": r.Custom, "inputs": in, "outputs": out})
	}
	b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"resources": res}})
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(p, b, 0o644))

	loaded, err := verify.LoadStateExport(p)
	require.NoError(t, err)
	require.Len(t, loaded, len(g))
	r := verify.Check(loaded, opts)
	assert.True(t, r.OK(), failures(r))

	_, err = verify.LoadStateExport(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}

func TestReportFormats(t *testing.T) {
	r := verify.Check(fixture.Default(), opts)
	var back map[string]any
	require.NoError(t, json.Unmarshal(r.JSON(), &back))
	assert.Equal(t, true, back["summary"].(map[string]any)["ok"])
	txt := r.Text()
	assert.Contains(t, txt, "verify: OK")
	assert.Contains(t, txt, "WAIVED ALB-HTTPS-ONLY")
	assert.Contains(t, txt, "TOTAL")
	assert.Contains(t, txt, "TOTAL with logs off")
}

func TestCost(t *testing.T) {
	def := verify.Estimate(fixture.Default(), opts)
	tgw := verify.Estimate(fixture.Build(fixture.Options{TransitGateway: true}), opts)
	nat := verify.Estimate(fixture.Build(fixture.Options{NatMode: "onePerAz"}), opts)
	assert.Empty(t, def.Unpriced)
	// ALB hours: 730 × 0.0243.
	assert.InDelta(t, 17.74, def.ByType()["ALB"]-5.84, 0.01)
	// Two TGW attachments: 2 × 730 × 0.07 = 102.2.
	assert.InDelta(t, 102.2, tgw.ByType()["TGW attachment"], 0.01)
	// Four NAT gateways (2 per VPC): 4 × 730 × 0.062 = 181.04 + data.
	assert.InDelta(t, 181.04+4*10*0.062, nat.ByType()["NAT gateway"], 0.01)
	assert.Greater(t, tgw.Total, def.Total)
	assert.Greater(t, nat.Total, def.Total)
	cmp := verify.CompareCosts([]string{"default", "transitGateway", "onePerAz NAT"}, []verify.CostReport{def, tgw, nat})
	assert.Contains(t, cmp, "TOTAL")
	assert.Contains(t, cmp, "TOTAL with logs off")
	t.Log("\n" + cmp)

	// The logs, item by item: flow logs to S3 (vended delivery $0.38/GB and
	// 30 days of storage at $0.025/GB-month per VPC), ALB access logs
	// (free delivery, storage), the web servers' logs, the bucket's PUTs.
	byType := def.ByType()
	assert.InDelta(t, 2*(0.38+0.025*30/30.4), byType["flow logs"], 0.011)
	assert.InDelta(t, 0.5*0.025*30/30.4, byType["ALB access logs"], 0.011)
	assert.InDelta(t, 50000*4.7/1e6, byType["S3 log bucket"], 0.006)
	assert.Greater(t, def.Logs, 1.0)
	// Without the logs, the stack costs what the reader gets by subtracting.
	off := verify.Estimate(fixture.Build(fixture.Options{NoLogs: true}), opts)
	assert.Zero(t, off.Logs)
	assert.InDelta(t, def.Total-def.Logs, off.Total, 0.011)
	// An instance connect endpoint is free, and no bastion is paid for.
	eice := verify.Estimate(fixture.Build(fixture.Options{AdminAccess: "instanceConnectEndpoint"}), opts)
	assert.Contains(t, eice.ByType(), "EC2 Instance Connect")
	assert.Zero(t, eice.ByType()["EC2 Instance Connect"])
	assert.Less(t, eice.Total, def.Total)
}

func TestDOT(t *testing.T) {
	g := fixture.Default()
	r := verify.Check(g, opts)
	dot := verify.DOT(g, &r)
	for _, want := range []string{"cluster_foo-id", "cluster_bar-id", "ap-northeast-1a", "ALB foo-internal-alb", "private zone home", "peering foo-bar", "P1 PROVEN", "Lambda hello-world"} {
		assert.Contains(t, dot, want)
	}
	svg, err := verify.Render(dot, "svg")
	if err == verify.ErrNoDot {
		t.Skip("dot not installed")
	}
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	if dir := os.Getenv("VERIFY_PICTURE_DIR"); dir != "" {
		png, err := verify.Render(dot, "png")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "topology.svg"), svg, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "topology.png"), png, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "topology.dot"), []byte(dot), 0o644))
	}
}

func BenchmarkCheckDefault(b *testing.B) {
	g := fixture.Default()
	b.ReportAllocs()
	for b.Loop() {
		r := verify.Check(g, opts)
		if !r.OK() {
			b.Fatal("not ok")
		}
	}
}

func BenchmarkCheckTGW(b *testing.B) {
	g := fixture.Build(fixture.Options{TransitGateway: true, NatMode: "onePerAz"})
	for b.Loop() {
		verify.Check(g, opts)
	}
}
