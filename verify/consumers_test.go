package verify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// The consumers as they exist at work, in two synthetic state exports
// (testdata/state-*.json) written from the golden plans by
//
//	go test ./verify -run TestConsumerStates -update-states
//
// and otherwise read as `pulumi stack export` files, with every resource's
// provider: the service VPC foo, and three consumers:
//
//   - bar: a VPC the stack creates in its own account, with a client;
//   - baz: an existing VPC of the stack's account (an
//     internal-alb:network:ExistingVpc), connected without a client, over
//     peering (state-peering.json only);
//   - qux: a VPC the stack creates in account 210987654321 through the
//     explicit provider account-210987654321, with a client: peering
//     requested by foo's account and accepted in qux's, or a Transit
//     Gateway shared through RAM and its attachment accepted in foo's; the
//     zone's association authorized by foo's account; an invoker role in
//     qux's account and a Lambda permission naming it.
var updateStates = flag.Bool("update-states", false, "rewrite verify/testdata/state-*.json from the golden plans")

const (
	consumerAccount = "210987654321"
	stackURN        = "urn:pulumi:dev::internal-alb::"
	defaultProvider = stackURN + "pulumi:providers:aws::default_6_83_4"
	quxProvider     = stackURN + "pulumi:providers:aws::account-" + consumerAccount
	defaultRef      = defaultProvider + "::6f7bd1e3-8a3c-4a53-9d0f-0d6a2b0e8c11"
	quxRef          = quxProvider + "::0c5b6a38-19f4-4c1e-b1a8-5d1f3a7e2c90"
	quxRole         = "arn:aws:iam::" + consumerAccount + ":role/internal-alb/hello-world-qux-invoker"
	peeringState    = "state-peering.json"
	tgwState        = "state-tgw.json"
)

// TestConsumerStates writes the synthetic states with -update-states and
// checks that both pass as they are.
func TestConsumerStates(t *testing.T) {
	for name, build := range map[string]func() graph.Graph{peeringState: peeringConsumers, tgwState: tgwConsumers} {
		path := filepath.Join("testdata", name)
		if *updateStates {
			require.NoError(t, os.WriteFile(path, exportState(t, build()), 0o644))
		}
		g, err := verify.LoadStateExport(path)
		require.NoError(t, err, "regenerate: go test ./verify -run TestConsumerStates -update-states")
		r := verify.Check(g, opts)
		assert.True(t, r.OK(), "%s: %s", name, failures(r))
	}
}

func loadState(t *testing.T, name string) graph.Graph {
	t.Helper()
	g, err := verify.LoadStateExport(filepath.Join("testdata", name))
	require.NoError(t, err)
	return g
}

// Over peering: bar's client, qux's client in the other account and each
// connected subnet of baz (no client) reach the ALB by name and invoke the
// function; the web servers stay out of their reach.
func TestConsumersOverPeering(t *testing.T) {
	g := loadState(t, peeringState)
	m := verify.BuildModel(g)
	assert.Equal(t, account, m.Account, "the stack's account: its default provider's ARNs")
	require.Len(t, m.Accounts, 1)
	assert.Equal(t, verify.Account{ID: consumerAccount, Provider: quxProvider, RoleArn: "arn:aws:iam::" + consumerAccount + ":role/internal-alb-deployer", Region: fixture.Region}, *m.Accounts[0])
	baz := m.VPCs["vpc-0baz"]
	require.NotNil(t, baz)
	assert.True(t, baz.Existing)
	assert.Equal(t, account, baz.Account)
	assert.Equal(t, consumerAccount, m.VPCs["vpc-qux"].Account)
	assert.Equal(t, account, m.VPCs["vpc-bar"].Account)
	assert.True(t, m.Peers["pcx-peering-foo-qux"].Active)

	r := verify.Check(g, opts)
	require.True(t, r.OK(), failures(r))
	titles := map[string]verify.PathResult{}
	for _, p := range r.Paths {
		titles[p.ID+" "+p.Name] = p
	}
	for _, want := range []string{
		"P1 bar-client (VPC bar) → alb.home:80 (foo-internal-alb)",
		"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
		"P1 subnet baz/subnet-0baz1 (VPC baz, an instance of the consumer's own) → alb.home:80 (foo-internal-alb)",
		"P1 subnet baz/subnet-0baz2 (VPC baz, an instance of the consumer's own) → alb.home:80 (foo-internal-alb)",
		"P3 qux-client (VPC qux) → lambda:InvokeFunction hello-world",
		"P3 subnet baz/subnet-0baz1 (VPC baz, an instance of the consumer's own) → lambda:InvokeFunction hello-world",
		"F2 baz/subnet-0baz2 → web-web1:8080 directly",
	} {
		assert.Contains(t, titles, want)
	}
	hops := func(title string) string {
		var b strings.Builder
		for _, h := range titles[title].Hops {
			b.WriteString(h.Step + ": " + h.Detail + "\n")
		}
		return b.String()
	}
	bazP1 := hops("P1 subnet baz/subnet-0baz1 (VPC baz, an instance of the consumer's own) → alb.home:80 (foo-internal-alb)")
	assert.Contains(t, bazP1, "source SG egress: the consumer's own instance's groups are not in the graph: their egress (tcp 80 to ALB foo-internal-alb node in foo-private-1 (ap-northeast-1a)) is the consumer's business, assumed allowed")
	assert.Contains(t, bazP1, "(a subnet of existing VPC baz) is not in the graph: taken to admit, as AWS's default NACL does (an assumption, not a proof)")
	assert.Contains(t, bazP1, `web-alb ingress rule "HTTP from baz/subnet-0baz1" allows tcp 80 from 10.5.1.0/24`)
	assert.Contains(t, hops("P3 subnet baz/subnet-0baz1 (VPC baz, an instance of the consumer's own) → lambda:InvokeFunction hello-world"),
		"IAM role: an instance of baz's own takes instance profile hello-world-invoker (role hello-world-invoker, account 123456789012): the consumer attaches it")
	assert.Contains(t, hops("P3 qux-client (VPC qux) → lambda:InvokeFunction hello-world"),
		"resource policy: function hello-world's resource policy allows lambda:InvokeFunction for "+quxRole+" of account 210987654321, another account than the resource's 123456789012")
	assert.NotContains(t, hops("P3 bar-client (VPC bar) → lambda:InvokeFunction hello-world"), "resource policy", "within one account the role's Allow suffices")
	assert.Contains(t, strings.Join(r.Notes, "\n"), "existing VPC baz (vpc-0baz): its network ACLs are not in the graph")
	// P1, P3 from 2 clients and baz's 2 subnets; P2, P5 per web server; P4
	// from the admin to 3 bastions, and from each to its VPC's private
	// instances (web1, web2 / bar-client / qux-client).
	assert.Equal(t, 4+4+2+2+3+4, r.Summary.RequiredProven)
	assert.Equal(t, 1+4*2+4, r.Summary.ForbiddenBlocked, "F1; F2 from 4 sources to 2 webs; F3 to the 4 private instances")
}

// Each piece a consumer's path needs, taken away, refuses that path alone
// and names the piece.
func TestConsumerPathsFail(t *testing.T) {
	peering, tgw := loadState(t, peeringState), loadState(t, tgwState)
	bazSubnet1 := "subnet baz/subnet-0baz1 (VPC baz, an instance of the consumer's own)"
	cases := []struct {
		name   string
		g      graph.Graph
		path   string // the id and title of a refused path
		reason string
		rule   string // a rule that fails too ("" none)
	}{
		{"existing VPC: its route to the service VPC missing", fixture.Remove(peering, awstype.Route, "peering-foo-baz-to-foo-1"),
			"P1 " + bazSubnet1 + " → alb.home:80 (foo-internal-alb)",
			"route table baz/rtb-0baz1 of subnet baz/subnet-0baz1 has no route to 10.2.1.0/24 (ALB foo-internal-alb node in foo-private-1 (ap-northeast-1a) in VPC foo) among the routes the graph knows (the local ones and the stack's; the table is an existing VPC's)", ""},
		{"existing VPC: DNS hostnames off", setOutput(peering, verify.ExistingVpcType, "baz", "enableDnsHostnames", false),
			"P1 " + bazSubnet1 + " → alb.home:80 (foo-internal-alb)",
			"DNS alb.home: VPC baz has enableDnsSupport=true, enableDnsHostnames=false: private hosted zones need both on", ""},
		{"existing VPC: the ALB does not admit its subnet", fixture.Remove(peering, awstype.SecurityGroupIngressRule, "web-alb-http-in-baz-private-1"),
			"P1 " + bazSubnet1 + " → alb.home:80 (foo-internal-alb)",
			"destination SG ingress: no ingress rule in web-alb allows tcp 80 from an instance of baz's own in subnet baz/subnet-0baz1 (10.5.1.0/24) (10.5.1.0/24)", ""},
		{"other account, peering: no accepter", fixture.Remove(peering, awstype.VpcPeeringConnectionAccepter, "peering-foo-qux-accept"),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"peering peering-foo-qux is requested from account 123456789012 to account 210987654321 (peerOwnerId) and not accepted: no aws:ec2/vpcPeeringConnectionAccepter in account 210987654321 accepts it", ""},
		{"other account, peering: the requester says active, but no accepter", setOutput(fixture.Remove(peering, awstype.VpcPeeringConnectionAccepter, "peering-foo-qux-accept"), awstype.VpcPeeringConnection, "peering-foo-qux", "acceptStatus", "active"),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"no aws:ec2/vpcPeeringConnectionAccepter in account 210987654321 accepts it", ""},
		{"other account, peering: accepted from the wrong account", withProvider(peering, awstype.VpcPeeringConnectionAccepter, "peering-foo-qux-accept", defaultRef),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"accepter peering-foo-qux is in account 123456789012, not the peer's 210987654321", ""},
		{"other account: zone association not authorized", fixture.Remove(peering, awstype.VpcAssociationAuthorization, "zone-qux"),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"DNS alb.home: no private hosted zone for alb.home is associated with VPC qux (association zone-qux of zone home (account 123456789012) with VPC qux (account 210987654321) is not authorized: no aws:route53/vpcAssociationAuthorization for that zone and VPC in account 123456789012",
			"ZONE-ASSOCIATION-AUTHORIZED"},
		{"other account: zone association made from the zone's account", withProvider(peering, awstype.ZoneAssociation, "zone-qux", defaultRef),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"association zone-qux of zone home with VPC qux is made from account 123456789012, but the VPC is in account 210987654321: its owner must make it",
			"ZONE-ASSOCIATION-AUTHORIZED"},
		{"other account: no Lambda permission", fixture.Remove(peering, awstype.LambdaPermission, "hello-world-qux"),
			"P3 qux-client (VPC qux) → lambda:InvokeFunction hello-world",
			"resource policy: function hello-world has no resource policy, and the caller " + quxRole + " is in account 210987654321, the resource in 123456789012: a call from another account needs the resource policy to allow it (an aws:lambda/permission naming that role or its account)", ""},
		{"other account: the permission names another role", fixture.Set(peering, awstype.LambdaPermission, "hello-world-qux", "principal", "arn:aws:iam::"+consumerAccount+":role/other"),
			"P3 qux-client (VPC qux) → lambda:InvokeFunction hello-world",
			"resource policy: function hello-world's resource policy does not allow lambda:InvokeFunction for " + quxRole + ": the caller is in account 210987654321, the resource in 123456789012, so it needs an aws:lambda/permission naming that role or its account", ""},
		{"other account: the client takes the stack account's profile", fixture.Set(peering, awstype.Instance, "qux-client", "iamInstanceProfile", "hello-world-invoker"),
			"P3 qux-client (VPC qux) → lambda:InvokeFunction hello-world",
			"IAM role: qux-client is in account 210987654321, but its instance profile hello-world-invoker holds role hello-world-invoker of account 123456789012: an instance takes a profile of its own account", ""},
		{"other account, TGW: not shared with the account", fixture.Remove(tgw, awstype.RamPrincipalAssociation, "tgw-share-"+consumerAccount),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"attachment tgw-qux is made from account 210987654321, but transit gateway tgw (account 123456789012) is not shared with it: RAM share tgw holds it but names no principal 210987654321 (no aws:ram/principalAssociation for that account)", ""},
		{"other account, TGW: the share does not hold the gateway", fixture.Remove(tgw, awstype.RamResourceAssociation, "tgw-share"),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"no RAM resource share of account 123456789012 holds it (aws:ram/resourceShare with an aws:ram/resourceAssociation of its ARN)", ""},
		{"other account, TGW: attachment not accepted", fixture.Remove(tgw, awstype.TgwVpcAttachmentAccepter, "tgw-qux-accept"),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"attachment tgw-qux from account 210987654321 is not accepted: no aws:ec2transitgateway/vpcAttachmentAccepter for it in account 123456789012, and transit gateway tgw does not auto-accept shared attachments", ""},
		{"other account, TGW: the ALB admits the client's group", tgwGroupReference(tgw),
			"P1 qux-client (VPC qux) → alb.home:80 (foo-internal-alb)",
			"a rule references group qux-client, but group references do not match across a transit gateway between accounts (210987654321 and 123456789012): AWS supports them within one account only", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := verify.Check(c.g, opts)
			var refused []string
			for _, p := range r.Paths {
				if !p.OK {
					refused = append(refused, p.ID+" "+p.Name)
					if p.ID+" "+p.Name == c.path {
						assert.Contains(t, p.Reason, c.reason)
					}
				}
			}
			assert.Contains(t, refused, c.path)
			vpc := c.path[strings.Index(c.path, "(VPC "):strings.IndexAny(c.path, ",)")]
			for _, p := range refused {
				assert.Contains(t, p, vpc, "only the consumer's paths fail")
			}
			for _, x := range r.Rules {
				if x.Status == verify.Fail {
					assert.Equal(t, c.rule, x.ID, "%v", x.Findings)
				}
			}
			if c.rule != "" {
				assert.Equal(t, verify.Fail, rule(r, c.rule).Status)
			}
		})
	}
}

// A Lambda permission for more than a consumer's role or account fails
// the rule; a consumer's account or role passes.
func TestLambdaPermissionLeastPrivilege(t *testing.T) {
	g := loadState(t, peeringState)
	perm := func(in map[string]any) graph.Graph {
		in["function"], in["action"] = "hello-world", "lambda:InvokeFunction"
		return fixture.Add(g, awstype.LambdaPermission, "extra", in)
	}
	cases := []struct {
		name    string
		g       graph.Graph
		status  string
		finding string
	}{
		{"the consumer's role", g, verify.Pass, ""},
		{"the consumer's account", perm(map[string]any{"principal": consumerAccount}), verify.Pass, ""},
		{"the consumer's account root", perm(map[string]any{"principal": "arn:aws:iam::" + consumerAccount + ":root"}), verify.Pass, ""},
		{"anyone", perm(map[string]any{"principal": "*"}), verify.Fail, `extra: lambda:InvokeFunction on hello-world to principal "*": any principal of any account`},
		{"anyone from an outside account", perm(map[string]any{"principal": "*", "sourceAccount": "999999999999"}), verify.Fail, "from sourceAccount 999999999999, which is no consumer's (123456789012, 210987654321)"},
		{"a whole service", perm(map[string]any{"principal": "ec2.amazonaws.com"}), verify.Fail, "service principal ec2.amazonaws.com without sourceArn or sourceAccount"},
		{"another account", perm(map[string]any{"principal": "999999999999"}), verify.Fail, "extra: lambda:InvokeFunction on hello-world to 999999999999, in account 999999999999, which is no consumer's (123456789012, 210987654321)"},
		{"a role of another account", perm(map[string]any{"principal": "arn:aws:iam::999999999999:role/x"}), verify.Fail, "in account 999999999999, which is no consumer's"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := rule(verify.Check(c.g, opts), "LAMBDA-PERMISSION-SCOPED")
			require.Equal(t, c.status, x.Status, "%v", x.Findings)
			if c.finding != "" {
				assert.Contains(t, strings.Join(x.Findings, "\n"), c.finding)
			}
		})
	}
}

// The TGW consumer in another account passes, with the route table
// association naming the accepter (a plan gives it an id of its own).
func TestConsumerOverTransitGateway(t *testing.T) {
	g := loadState(t, tgwState)
	m := verify.BuildModel(g)
	a := m.Attachs["tgw-attach-tgw-qux"]
	require.NotNil(t, a)
	assert.True(t, a.Usable, a.Why)
	assert.Equal(t, consumerAccount, a.Account)

	i := fixture.Find(g, awstype.TgwVpcAttachmentAccepter, "tgw-qux-accept")
	g[i].ID = "tgw-qux-accept-id"
	delete(g[i].Outputs, "id")
	for _, typ := range []string{awstype.TgwRouteTableAssociation, awstype.TgwRouteTablePropagation} {
		g = setOutput(g, typ, "tgw-qux", "transitGatewayAttachmentId", "tgw-qux-accept-id")
	}
	r := verify.Check(g, opts)
	assert.True(t, r.OK(), failures(r))
	assert.Equal(t, 2+2+2+2+3+4, r.Summary.RequiredProven, "P1, P3 per client; P2, P5 per web server; P4 to 3 bastions and from them")
}

// The account a provider acts in, from the role it assumes, whichever
// shape the state gives it, else from its name.
func TestProviderAccounts(t *testing.T) {
	for name, in := range map[string]map[string]any{
		"assumeRole as a JSON string (a bridged provider's state)": {"assumeRole": `{"roleArn":"arn:aws:iam::210987654321:role/deployer","sessionName":"x"}`},
		"assumeRole as an object":                                  {"assumeRole": map[string]any{"roleArn": "arn:aws:iam::210987654321:role/deployer"}},
		"assumeRoles as a list":                                    {"assumeRoles": []any{map[string]any{"roleArn": "arn:aws:iam::210987654321:role/deployer"}}},
		"assumeRoles as a JSON string":                             {"assumeRoles": `[{"roleArn":"arn:aws:iam::210987654321:role/deployer"}]`},
		"no role: the provider's name":                             {"region": "ap-northeast-1"},
	} {
		t.Run(name, func(t *testing.T) {
			g := fixture.Default()
			g = append(graph.Graph{{URN: quxProvider, Type: awstype.Provider, Name: "account-" + consumerAccount, ID: "p1", Custom: true, Inputs: in}}, g...)
			// A role of the consumer's account comes first in the graph:
			// the stack's account is still its default provider's.
			g = fixture.Add(g, awstype.Role, "qux-role", map[string]any{"name": "qux-role", "assumeRolePolicy": `{"Statement":[]}`})
			i := fixture.Find(g, awstype.Role, "qux-role")
			g[i].Outputs["arn"] = "arn:aws:iam::" + consumerAccount + ":role/qux-role"
			g[i].Provider = quxProvider + "::p1"
			g = append(graph.Graph{g[i]}, append(g[:i:i], g[i+1:]...)...)
			m := verify.BuildModel(g)
			require.Len(t, m.Accounts, 1)
			assert.Equal(t, consumerAccount, m.Accounts[0].ID)
			assert.Equal(t, account, m.Account)
			assert.Equal(t, consumerAccount, m.Roles["qux-role"].Account)
			assert.Equal(t, account, m.Roles["hello-world-invoker"].Account)
		})
	}
}

// The picture shows which consumer is in another account and which
// exists outside the stack, with the subnets it connects; the cost takes
// the new pieces in its stride.
func TestConsumerStatesDrawAndCost(t *testing.T) {
	for _, name := range []string{peeringState, tgwState} {
		g := loadState(t, name)
		r := verify.Check(g, opts)
		dot := verify.DOT(g, &r)
		assert.Contains(t, dot, `label="VPC qux 10.4.0.0/16 (consumer, account 210987654321)"`, name)
		if name == peeringState {
			assert.Contains(t, dot, `label="VPC baz 10.5.0.0/16 (consumer, existing)"`)
			assert.Contains(t, dot, `label="baz/subnet-0baz1 10.5.1.0/24"`)
		}
		require.NotNil(t, r.Cost)
		assert.Positive(t, r.Cost.Total, name)
	}
}

// An existing VPC's look-ups are read from its component's outputs, else
// its inputs (the program registers them as both); without either it is
// left out, with a note saying so; one without subnets is noted too.
func TestExistingVpcLookups(t *testing.T) {
	g := loadState(t, peeringState)
	i := fixture.Find(g, verify.ExistingVpcType, "baz")
	g[i].Outputs = map[string]any{}
	m := verify.BuildModel(g)
	require.NotNil(t, m.VPCs["vpc-0baz"], "read from the inputs")
	assert.Equal(t, "rtb-0baz2", m.Subnets["subnet-0baz2"].RouteTable)

	g[i].Inputs = map[string]any{}
	m = verify.BuildModel(g)
	assert.Nil(t, m.VPCs["vpc-0baz"])
	assert.Contains(t, strings.Join(m.Notes, "\n"), "existing VPC baz: what the program looked up (the component's outputs or inputs) is not in the graph, so nothing of it is modelled")

	g = setOutput(loadState(t, peeringState), verify.ExistingVpcType, "baz", "subnets", []any{})
	m = verify.BuildModel(g)
	assert.NotNil(t, m.VPCs["vpc-0baz"])
	assert.Contains(t, strings.Join(m.Notes, "\n"), "existing VPC baz: no subnet to connect in its look-ups")
}

// A RAM share to an organization does not count as sharing with an
// account of it: the verifier does not know the organization's accounts.
func TestShareToAnOrganizationIsNotResolved(t *testing.T) {
	g := setOutput(loadState(t, tgwState), awstype.RamPrincipalAssociation, "tgw-share-"+consumerAccount, "principal", "arn:aws:organizations::"+consumerAccount+":organization/o-abc123")
	a := verify.BuildModel(g).Attachs["tgw-attach-tgw-qux"]
	require.NotNil(t, a)
	assert.False(t, a.Usable)
	assert.Contains(t, a.Why, "names no principal 210987654321")
}

// --- building the synthetic states ---

// peeringConsumers is the dev plan with qux in the consumer account and
// baz, an existing VPC, added.
func peeringConsumers() graph.Graph {
	g := fixture.Default()
	g, qux := cloneConsumer(g)
	// The requester asks foo's account's peer to accept: no auto-accept
	// across accounts; qux's account accepts.
	i := fixture.Find(g, awstype.VpcPeeringConnection, "peering-foo-qux")
	delete(g[i].Inputs, "autoAccept")
	g[i].Inputs["peerOwnerId"] = consumerAccount
	g[i].Outputs["autoAccept"], g[i].Outputs["acceptStatus"], g[i].Outputs["peerOwnerId"] = false, "pending-acceptance", consumerAccount
	g = addRes(g, awstype.VpcPeeringConnectionAccepter, "peering-foo-qux-accept", "pcx-peering-foo-qux", qux,
		map[string]any{"vpcPeeringConnectionId": "pcx-peering-foo-qux", "autoAccept": true, "tags": map[string]any{"Name": "peering-foo-qux"}},
		map[string]any{"acceptStatus": "active", "vpcId": "vpc-qux", "peerVpcId": "vpc-foo", "peerOwnerId": account})
	// The ALB admits qux's private subnets (no group references across
	// accounts).
	g = fixture.Remove(g, awstype.SecurityGroupIngressRule, "web-alb-http-in-qux-client")
	g = albAdmits(g, "qux", "10.4.1.0/24", "10.4.2.0/24")
	g = addBaz(g)
	return finish(g, qux)
}

// tgwConsumers is the tgw plan with qux in the consumer account, its
// attachment shared and accepted.
func tgwConsumers() graph.Graph {
	g := fixture.Load(fixture.TransitGateway)
	g, qux := cloneConsumer(g)
	tgwArn := fixture.Get(g, awstype.TransitGateway, "tgw").String("arn")
	share := "arn:aws:ram:" + fixture.Region + ":" + account + ":resource-share/6a1f7c3e-2b9d-4e58-a0c4-9f3e1d2b7a61"
	g = addRes(g, awstype.RamResourceShare, "tgw-share", share, nil, map[string]any{"name": "tgw", "allowExternalPrincipals": true}, map[string]any{"arn": share})
	g = addRes(g, awstype.RamResourceAssociation, "tgw-share", share+","+tgwArn, nil, map[string]any{"resourceArn": tgwArn, "resourceShareArn": share}, nil)
	g = addRes(g, awstype.RamPrincipalAssociation, "tgw-share-"+consumerAccount, share+","+consumerAccount, nil, map[string]any{"principal": consumerAccount, "resourceShareArn": share}, nil)
	g = addRes(g, awstype.TgwVpcAttachmentAccepter, "tgw-qux-accept", "tgw-attach-tgw-qux", nil,
		map[string]any{"transitGatewayAttachmentId": "tgw-attach-tgw-qux", "transitGatewayDefaultRouteTableAssociation": false, "transitGatewayDefaultRouteTablePropagation": false},
		map[string]any{"vpcId": "vpc-qux", "transitGatewayId": "tgw-tgw", "vpcOwnerId": consumerAccount})
	return finish(g, qux)
}

// cloneConsumer copies every resource of consumer bar as qux (10.3 → 10.4),
// the ones in qux's account (all but foo's routes to it, the requester or
// the gateway's side, the ALB's rules) with their ARNs there. It returns
// the graph and qux's account's resources (by URN).
func cloneConsumer(g graph.Graph) (graph.Graph, map[string]bool) {
	qux := map[string]bool{}
	service := func(r graph.Resource) bool {
		switch {
		case r.Type == awstype.VpcPeeringConnection, r.Type == awstype.TgwRouteTableAssociation, r.Type == awstype.TgwRouteTablePropagation,
			strings.HasPrefix(r.Name, "peering-foo-qux-to-qux"), strings.HasPrefix(r.Name, "tgw-foo-to-qux"), strings.HasPrefix(r.Name, "web-alb"),
			r.Type == "internal-alb:network:Peering", r.Type == "internal-alb:network:TransitGateway":
			return true
		}
		return false
	}
	var add graph.Graph
	for _, r := range g {
		if !strings.Contains(r.Name, "bar") {
			continue
		}
		b, _ := json.Marshal(r)
		s := strings.NewReplacer("bar", "qux", "10.3.", "10.4.").Replace(string(b))
		var c graph.Resource
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			panic(err)
		}
		if !service(c) {
			qux[c.URN] = true
			if arn, ok := c.Outputs["arn"].(string); ok {
				c.Outputs["arn"] = strings.Replace(arn, ":"+account+":", ":"+consumerAccount+":", 1)
			}
		}
		add = append(add, c)
	}
	g = append(g, add...)
	// foo's private NACL admits qux as it admits bar.
	g = naclAdmits(g, "10.4.0.0/16")
	// The zone keeps foo inline; each consumer gets an association, qux's
	// from its account, authorized by the zone's.
	zone := fixture.Get(g, awstype.Zone, "zone").String("zoneId")
	i := fixture.Find(g, awstype.Zone, "zone")
	foo := []any{map[string]any{"vpcId": "vpc-foo", "vpcRegion": fixture.Region}}
	g[i].Inputs["vpcs"], g[i].Outputs["vpcs"] = foo, foo
	assoc := func(vpc string) map[string]any {
		return map[string]any{"zoneId": zone, "vpcId": vpc, "vpcRegion": fixture.Region}
	}
	g = addRes(g, awstype.ZoneAssociation, "zone-bar", zone+":vpc-bar:"+fixture.Region, nil, assoc("vpc-bar"), nil)
	g = addRes(g, awstype.VpcAssociationAuthorization, "zone-qux", zone+":vpc-qux", nil, assoc("vpc-qux"), nil)
	g = addRes(g, awstype.ZoneAssociation, "zone-qux", zone+":vpc-qux:"+fixture.Region, qux, assoc("vpc-qux"), map[string]any{"owningAccount": account})
	// qux's invoker: a role, its policy and profile in qux's account; its
	// endpoint's policy and the function's permission name it.
	lambdaArn := fixture.Get(g, awstype.Function, "hello-world").String("arn")
	for _, typ := range []string{awstype.Role, awstype.InstanceProfile, awstype.RolePolicy} {
		name := map[string]string{awstype.Role: "hello-world-invoker", awstype.InstanceProfile: "hello-world-invoker", awstype.RolePolicy: "hello-world-invoke"}[typ]
		b, _ := json.Marshal(fixture.Get(g, typ, name))
		s := strings.NewReplacer("hello-world-invoke", "hello-world-qux-invoke", ":"+account+":role/", ":"+consumerAccount+":role/", ":"+account+":instance-profile/", ":"+consumerAccount+":instance-profile/").Replace(string(b))
		var c graph.Resource
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			panic(err)
		}
		qux[c.URN] = true
		g = append(g, c)
	}
	g = setBoth(g, awstype.Instance, "qux-client", "iamInstanceProfile", "hello-world-qux-invoker")
	g = setBoth(g, awstype.VpcEndpoint, "hello-world-qux-endpoint", "policy", invokePolicy(quxRole, lambdaArn))
	g = addRes(g, awstype.LambdaPermission, "hello-world-qux", "hello-world-qux", nil,
		map[string]any{"action": "lambda:InvokeFunction", "function": "hello-world", "principal": quxRole, "statementId": "qux"}, nil)
	return g, qux
}

// addBaz adds baz, an existing VPC of the stack's account, connected over
// peering without a client.
func addBaz(g graph.Graph) graph.Graph {
	subnets := []any{
		map[string]any{"id": "subnet-0baz1", "cidr": "10.5.1.0/24", "availabilityZone": fixture.Region + "a", "routeTableId": "rtb-0baz1"},
		map[string]any{"id": "subnet-0baz2", "cidr": "10.5.2.0/24", "availabilityZone": fixture.Region + "c", "routeTableId": "rtb-0baz2"},
	}
	// The look-ups are the component's inputs and outputs, as the program
	// registers them.
	looked := func() map[string]any {
		return map[string]any{"vpcId": "vpc-0baz", "cidr": "10.5.0.0/16", "account": account, "enableDnsSupport": true, "enableDnsHostnames": true, "subnets": subnets}
	}
	g = append(g, graph.Resource{URN: stackURN + verify.ExistingVpcType + "::baz", Type: verify.ExistingVpcType, Name: "baz", Inputs: looked(), Outputs: looked()})
	g = addRes(g, awstype.VpcPeeringConnection, "peering-foo-baz", "pcx-peering-foo-baz", nil,
		map[string]any{"vpcId": "vpc-foo", "peerVpcId": "vpc-0baz", "autoAccept": true, "tags": map[string]any{"Name": "peering-foo-baz"}},
		map[string]any{"acceptStatus": "active"})
	for n, rt := range []string{"rtb-foo-private-1", "rtb-foo-private-2"} {
		g = addRes(g, awstype.Route, "peering-foo-baz-to-baz-"+string(rune('1'+n)), "", nil,
			map[string]any{"routeTableId": rt, "destinationCidrBlock": "10.5.0.0/16", "vpcPeeringConnectionId": "pcx-peering-foo-baz"}, nil)
	}
	for n, rt := range []string{"rtb-0baz1", "rtb-0baz2"} {
		g = addRes(g, awstype.Route, "peering-foo-baz-to-foo-"+string(rune('1'+n)), "", nil,
			map[string]any{"routeTableId": rt, "destinationCidrBlock": "10.2.0.0/16", "vpcPeeringConnectionId": "pcx-peering-foo-baz"}, nil)
	}
	g = naclAdmits(g, "10.5.0.0/16")
	g = albAdmits(g, "baz", "10.5.1.0/24", "10.5.2.0/24")
	zone := fixture.Get(g, awstype.Zone, "zone").String("zoneId")
	g = addRes(g, awstype.ZoneAssociation, "zone-baz", zone+":vpc-0baz:"+fixture.Region, nil, map[string]any{"zoneId": zone, "vpcId": "vpc-0baz", "vpcRegion": fixture.Region}, nil)
	// The Lambda endpoint in baz admits its connected subnets; the stack's
	// own invoker role may call through it.
	g = addRes(g, awstype.SecurityGroup, "hello-world-baz-endpoint", "sg-0bazendpoint", nil,
		map[string]any{"vpcId": "vpc-0baz", "description": "Lambda interface endpoint: HTTPS from the consumer's connected subnets"}, map[string]any{"name": "hello-world-baz-endpoint"})
	for n, c := range []string{"10.5.1.0/24", "10.5.2.0/24"} {
		g = addRes(g, awstype.SecurityGroupIngressRule, "hello-world-baz-endpoint-in-"+string(rune('1'+n)), "", nil,
			map[string]any{"securityGroupId": "sg-0bazendpoint", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": c, "description": "HTTPS from " + c}, nil)
	}
	lambdaArn := fixture.Get(g, awstype.Function, "hello-world").String("arn")
	invoker := fixture.Get(g, awstype.Role, "hello-world-invoker").String("arn")
	return addRes(g, awstype.VpcEndpoint, "hello-world-baz-endpoint", "vpce-0bazlambda", nil, map[string]any{
		"vpcId": "vpc-0baz", "serviceName": "com.amazonaws." + fixture.Region + ".lambda", "vpcEndpointType": "Interface", "privateDnsEnabled": true,
		"subnetIds": []any{"subnet-0baz1"}, "securityGroupIds": []any{"sg-0bazendpoint"}, "policy": invokePolicy(invoker, lambdaArn)}, nil)
}

func invokePolicy(role, fn string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "InvokeThisFunctionOnly", "Effect": "Allow", "Principal": map[string]any{"AWS": role}, "Action": "lambda:InvokeFunction", "Resource": fn}}})
	return string(b)
}

// albAdmits adds the ALB group's rules admitting a consumer's subnets.
func albAdmits(g graph.Graph, consumer string, cidrs ...string) graph.Graph {
	alb := fixture.ID(g, awstype.SecurityGroup, "web-alb")
	for n, c := range cidrs {
		name := consumer + "-private-" + string(rune('1'+n))
		g = addRes(g, awstype.SecurityGroupIngressRule, "web-alb-http-in-"+name, "", nil, map[string]any{
			"securityGroupId": alb, "ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": c,
			"description": "HTTP from " + strings.Replace(name, "-private-", "/subnet-0"+consumer, 1)}, nil)
	}
	return g
}

// naclAdmits opens foo's private NACL to a consumer: HTTP in, replies out.
func naclAdmits(g graph.Graph, cidr string) graph.Graph {
	i := fixture.Find(g, awstype.NetworkAcl, "foo-private")
	r := &g[i]
	num := 121
	for _, e := range r.Outputs["ingress"].([]any) {
		if n := int(e.(map[string]any)["ruleNo"].(float64)); n >= num {
			num = n + 1
		}
	}
	in := append(r.Outputs["ingress"].([]any), map[string]any{"action": "allow", "cidrBlock": cidr, "fromPort": 80.0, "protocol": "6", "ruleNo": float64(num), "toPort": 80.0})
	out := append(r.Outputs["egress"].([]any), map[string]any{"action": "allow", "cidrBlock": cidr, "fromPort": 1024.0, "protocol": "6", "ruleNo": float64(num), "toPort": 65535.0})
	r.Inputs["ingress"], r.Outputs["ingress"] = in, in
	r.Inputs["egress"], r.Outputs["egress"] = out, out
	return g
}

// addRes appends a custom resource with its inputs echoed in its outputs
// (and extra outputs), in qux's account when the set is given.
func addRes(g graph.Graph, typ, name, id string, in map[string]bool, inputs, extra map[string]any) graph.Graph {
	if id == "" {
		id = name + "-id"
	}
	out := map[string]any{"id": id}
	for k, v := range inputs {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	urn := stackURN + typ + "::" + name
	if in != nil {
		in[urn] = true
	}
	return append(g, graph.Resource{URN: urn, Type: typ, Name: name, ID: id, Custom: true, Inputs: inputs, Outputs: out})
}

// setBoth sets an input and the output of the same name.
func setBoth(g graph.Graph, typ, name, key string, v any) graph.Graph {
	i := fixture.Find(g, typ, name)
	if i < 0 {
		panic("no " + typ + " " + name)
	}
	g[i].Inputs[key], g[i].Outputs[key] = v, v
	return g
}

// setOutput sets an output on a copy of g.
func setOutput(g graph.Graph, typ, name, key string, v any) graph.Graph {
	g = fixture.Clone(g)
	i := fixture.Find(g, typ, name)
	if i < 0 {
		panic("no " + typ + " " + name)
	}
	if g[i].Outputs == nil {
		g[i].Outputs = map[string]any{}
	}
	g[i].Outputs[key] = v
	return g
}

// withProvider moves a resource to another provider, on a copy of g.
func withProvider(g graph.Graph, typ, name, ref string) graph.Graph {
	g = fixture.Clone(g)
	g[fixture.Find(g, typ, name)].Provider = ref
	return g
}

// tgwGroupReference has the ALB admit qux's client by its group, instead of
// its subnets, across the TGW with group referencing on.
func tgwGroupReference(g graph.Graph) graph.Graph {
	g = fixture.Set(g, awstype.TransitGateway, "tgw", "securityGroupReferencingSupport", "enable")
	for _, n := range []string{"web-alb-http-in-qux-private-1", "web-alb-http-in-qux-private-2"} {
		g = fixture.Remove(g, awstype.SecurityGroupIngressRule, n)
	}
	g = fixture.Add(g, awstype.SecurityGroupIngressRule, "web-alb-http-in-qux-client", map[string]any{
		"securityGroupId": fixture.ID(g, awstype.SecurityGroup, "web-alb"), "ipProtocol": "tcp", "fromPort": 80, "toPort": 80,
		"referencedSecurityGroupId": fixture.ID(g, awstype.SecurityGroup, "qux-client"), "description": "HTTP from qux-client"})
	return withProvider(g, awstype.SecurityGroupIngressRule, "web-alb-http-in-qux-client", defaultRef)
}

// finish adds the providers and gives every custom resource its provider:
// qux's account's, or the stack's default.
func finish(g graph.Graph, qux map[string]bool) graph.Graph {
	providers := graph.Graph{
		{URN: defaultProvider, Type: awstype.Provider, Name: "default_6_83_4", ID: "6f7bd1e3-8a3c-4a53-9d0f-0d6a2b0e8c11", Custom: true,
			Inputs: map[string]any{"region": fixture.Region, "version": "6.83.4"}, Outputs: map[string]any{"region": fixture.Region, "version": "6.83.4"}},
		{URN: quxProvider, Type: awstype.Provider, Name: "account-" + consumerAccount, ID: "0c5b6a38-19f4-4c1e-b1a8-5d1f3a7e2c90", Custom: true,
			Inputs:  map[string]any{"region": fixture.Region, "version": "6.83.4", "assumeRole": `{"roleArn":"arn:aws:iam::` + consumerAccount + `:role/internal-alb-deployer","sessionName":"internal-alb"}`},
			Outputs: map[string]any{"region": fixture.Region, "version": "6.83.4", "assumeRole": `{"roleArn":"arn:aws:iam::` + consumerAccount + `:role/internal-alb-deployer","sessionName":"internal-alb"}`}},
	}
	for i := range g {
		switch {
		case !g[i].Custom:
		case qux[g[i].URN]:
			g[i].Provider = quxRef
		default:
			g[i].Provider = defaultRef
		}
	}
	return append(providers, g...)
}

// exportState writes a graph as `pulumi stack export` does, with each
// resource's provider.
func exportState(t *testing.T, g graph.Graph) []byte {
	t.Helper()
	type resource struct {
		URN          string         `json:"urn"`
		Custom       bool           `json:"custom"`
		ID           string         `json:"id,omitempty"`
		Type         string         `json:"type"`
		Inputs       map[string]any `json:"inputs"`
		Outputs      map[string]any `json:"outputs"`
		Parent       string         `json:"parent,omitempty"`
		Provider     string         `json:"provider,omitempty"`
		Dependencies []string       `json:"dependencies,omitempty"`
	}
	rs := []resource{{URN: stackURN + "pulumi:pulumi:Stack::internal-alb-dev", Type: "pulumi:pulumi:Stack", Inputs: map[string]any{}, Outputs: map[string]any{}}}
	for _, r := range g {
		parent := r.Parent
		if parent == "" {
			parent = rs[0].URN
		}
		rs = append(rs, resource{r.URN, r.Custom, r.ID, r.Type, r.Inputs, r.Outputs, parent, r.Provider, r.Dependencies})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	require.NoError(t, enc.Encode(map[string]any{"version": 3, "deployment": map[string]any{
		"manifest": map[string]any{"time": "2026-11-25T00:00:00Z", "version": "v3.274.1"}, "resources": rs}}))
	return b.Bytes()
}

// A log delivery service held to a consumer's account (its flow logs go
// to the stack's bucket) is not an outside reader; held to a stranger's it
// is.
func TestDeliveryForAConsumerAccountIsNotOutside(t *testing.T) {
	g := loadState(t, peeringState)
	arn := fixture.Get(g, awstype.BucketV2, "internal-alb-logs").String("arn")
	withDelivery := func(acct string) graph.Graph {
		doc := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["` + arn + `","` + arn + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},` +
			`{"Sid":"FlowLogsAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"` + arn + `",` +
			`"Condition":{"StringEquals":{"aws:SourceAccount":"` + acct + `"}}}]}`
		return setOutput(fixture.Set(g, awstype.BucketPolicy, "internal-alb-logs", "policy", doc), awstype.BucketPolicy, "internal-alb-logs", "policy", doc)
	}
	x := rule(verify.Check(withDelivery(consumerAccount), opts), "S3-NO-OUTSIDE-READ")
	assert.Equal(t, verify.Pass, x.Status, "%v", x.Findings)
	x = rule(verify.Check(withDelivery("999999999999"), opts), "S3-NO-OUTSIDE-READ")
	require.Equal(t, verify.Fail, x.Status)
	assert.Contains(t, strings.Join(x.Findings, "\n"), "FlowLogsAclCheck lets service delivery.logs.amazonaws.com s3:GetBucketAcl, s3:ListBucket for any account (no aws:SourceAccount or aws:SourceArn condition naming 123456789012 or 210987654321)")
}
