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
	for name, g := range map[string]graph.Graph{
		"default":  fixture.Default(),
		"tgw":      fixture.Build(fixture.Options{TransitGateway: true}),
		"onePerAz": fixture.Build(fixture.Options{NatMode: "onePerAz"}),
		"single":   fixture.Build(fixture.Options{NatMode: "single"}),
	} {
		t.Run(name, func(t *testing.T) {
			r := verify.Check(g, opts)
			assert.True(t, r.OK(), "%s", failures(r))
			assert.Empty(t, r.Notes)
			assert.Equal(t, 9, r.Summary.RequiredProven)
			assert.Equal(t, 6, r.Summary.ForbiddenBlocked)
		})
	}
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
	nacl := fixture.Add(def, "aws:ec2/networkAcl:NetworkAcl", "foo-private-nacl", map[string]any{"vpcId": "foo-id", "subnetIds": []any{"foo-private-1-id", "foo-private-2-id"},
		"ingress": []any{
			map[string]any{"ruleNo": 100, "action": "deny", "protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlock": "0.0.0.0/0"},
			map[string]any{"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}},
		"egress": []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}}})
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
		{"NACL deny on 80", nacl, "P1", "", "destination NACL in: NACL foo-private-nacl inbound rule 100 (deny tcp 0.0.0.0/0 ports 80-80)"},
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
	withFlow := fixture.Add(fixture.Add(def, "aws:ec2/flowLog:FlowLog", "foo-flow", map[string]any{"vpcId": "foo-id"}), "aws:ec2/flowLog:FlowLog", "bar-flow", map[string]any{"vpcId": "bar-id"})
	cases := map[string]struct {
		good, bad             graph.Graph
		goodStatus, badStatus string
	}{
		"ALB-INTERNAL":                     {def, internetALB, verify.Pass, verify.Fail},
		"ALB-DROP-INVALID-HEADERS":         {def, fixture.Set(def, "foo-internal-alb", "dropInvalidHeaderFields", false), verify.Pass, verify.Fail},
		"ALB-MULTI-AZ":                     {def, fixture.Set(def, "foo-internal-alb", "subnets", []any{"foo-private-1-id"}), verify.Pass, verify.Fail},
		"ALB-HTTPS-ONLY":                   {def, internetALB, verify.Waived, verify.Fail},
		"ALB-WAF":                          {def, internetALB, verify.Waived, verify.Fail},
		"ALB-ACCESS-LOGS":                  {fixture.Set(def, "foo-internal-alb", "accessLogs", map[string]any{"enabled": true, "bucket": "b"}), def, verify.Pass, verify.Waived},
		"ALB-DELETION-PROTECTION":          {fixture.Set(def, "foo-internal-alb", "enableDeletionProtection", true), def, verify.Pass, verify.Waived},
		"TG-HEALTH-CHECK-PATH":             {def, fixture.Set(def, "foo-web", "healthCheck", map[string]any{"protocol": "HTTP"}), verify.Pass, verify.Fail},
		"SG-NO-ADMIN-PORTS-FROM-INTERNET":  {def, addIngress(def, "ssh-anywhere", "foo-bastion-sg-id", 22, 22, "0.0.0.0/0"), verify.Pass, verify.Fail},
		"SG-NO-OPEN-INGRESS":               {def, addIngress(def, "http-anywhere", "foo-alb-sg-id", 80, 80, "0.0.0.0/0"), verify.Pass, verify.Fail},
		"SG-DESCRIPTIONS":                  {def, fixture.Set(def, "alb-from-bar", "description", ""), verify.Pass, verify.Fail},
		"SG-ATTACHED":                      {def, fixture.Add(def, "aws:ec2/securityGroup:SecurityGroup", "orphan-sg", map[string]any{"vpcId": "foo-id", "description": "unused"}), verify.Pass, verify.Fail},
		"SG-EGRESS-SCOPED":                 {def, fixture.Add(def, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "web-out-all", map[string]any{"securityGroupId": "foo-web-sg-id", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0", "description": "d"}), verify.Pass, verify.Warn},
		"DEFAULT-SG-NO-RULES":              {def, fixture.Set(def, "foo-default-sg", "ingress", []any{map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": true}}), verify.Pass, verify.Fail},
		"EC2-IMDSV2":                       {def, fixture.Set(def, "foo-web-1", "metadataOptions", map[string]any{"httpTokens": "optional"}), verify.Pass, verify.Fail},
		"EC2-EBS-ENCRYPTED":                {def, fixture.Set(def, "foo-web-1", "rootBlockDevice", map[string]any{"volumeSize": 8}), verify.Pass, verify.Fail},
		"EC2-NO-PUBLIC-IP":                 {def, fixture.Set(def, "foo-web-1", "associatePublicIpAddress", true), verify.Pass, verify.Fail},
		"EC2-NO-USERDATA-SECRETS":          {def, fixture.Set(def, "foo-web-1", "userData", "DB_PASSWORD=hunter2hunter2"), verify.Pass, verify.Fail},
		"EC2-CLIENT-ROLE":                  {def, fixture.Set(def, "bar-client", "iamInstanceProfile", ""), verify.Pass, verify.Fail},
		"SUBNET-PRIVATE-NO-AUTO-PUBLIC-IP": {def, fixture.Set(def, "foo-private-1", "mapPublicIpOnLaunch", true), verify.Pass, verify.Fail},
		"VPC-FLOW-LOGS":                    {withFlow, def, verify.Pass, verify.Warn},
		"PEERING-ROUTES-SCOPED":            {def, fixture.Set(def, "bar-to-foo-0", "destinationCidrBlock", "0.0.0.0/0"), verify.Pass, verify.Fail},
		"TGW-NO-AUTO-ACCEPT":               {tgw, fixture.Set(tgw, "tgw", "autoAcceptSharedAttachments", "enable"), verify.Pass, verify.Fail},
		"TGW-NO-DEFAULT-ROUTE-TABLE":       {tgw, fixture.Set(tgw, "tgw", "defaultRouteTablePropagation", "enable"), verify.Pass, verify.Fail},
		"IAM-NO-WILDCARD-ACTION":           {def, fixture.Set(def, "client-invoke", "policy", policy("lambda:*", fixture.LambdaArn)), verify.Pass, verify.Fail},
		"IAM-NO-WILDCARD-RESOURCE":         {def, fixture.Set(def, "client-invoke", "policy", policy("lambda:InvokeFunction", "*")), verify.Pass, verify.Fail},
		"IAM-TRUST-SCOPED":                 {def, fixture.Set(def, "client-role", "assumeRolePolicy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}]}`), verify.Pass, verify.Fail},
		"ENDPOINT-SG-SCOPED":               {def, fixture.Set(def, "endpoint-from-bar", "cidrIpv4", "10.0.0.0/8"), verify.Pass, verify.Fail},
		"LAMBDA-LOG-RETENTION":             {def, fixture.Remove(def, "hello-world-logs"), verify.Pass, verify.Fail},
		"LAMBDA-RUNTIME-SUPPORTED":         {fixture.Set(def, "hello-world", "runtime", "nodejs24.x"), fixture.Set(def, "hello-world", "runtime", "nodejs14.x"), verify.Pass, verify.Fail},
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
	assert.GreaterOrEqual(t, len(verify.RuleIDs()), 15)
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
	t.Log("\n" + cmp)
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
