//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/verify"
)

// The consumer accounts of the emulator: the stack deploys into each by
// assuming its role, as it would in an organization.
const (
	accountA = "111111111111"
	accountB = "222222222222"
	roleA    = "arn:aws:iam::" + accountA + ":role/internal-alb-consumer"
	roleB    = "arn:aws:iam::" + accountB + ":role/internal-alb-consumer"
)

// accountScenarios are the stacks whose consumers exist already or live in
// other accounts: over peering, a VPC the stack creates in account A, an
// existing VPC in account B and an existing VPC in the stack's own
// account, with bastions and the key pair in each account that has
// instances; over a Transit Gateway shared through RAM, the first two,
// without admin access.
var accountScenarios = []accountScenario{
	{name: "peering-accounts", connectivity: "peering", consumers: []accountConsumer{
		{name: "baz", cidr: "10.4.0.0/16", role: roleA},
		{name: "legacy", cidr: "10.50.0.0/16", role: roleB, existing: true},
		{name: "old", cidr: "10.60.0.0/16", existing: true},
	}, overrides: map[string]string{"internal-alb:sshPublicKey": testPublicKey}},
	// moto's accounts are in no organization, so RAM shares with them by
	// invitation only (the organization mode is the unit tests' and the
	// verifier's).
	{name: "transitGateway-accounts", connectivity: "transitGateway", consumers: []accountConsumer{
		{name: "baz", cidr: "10.4.0.0/16", role: roleA},
		{name: "legacy", cidr: "10.50.0.0/16", role: roleB, existing: true},
	}, overrides: map[string]string{"internal-alb:transitGatewaySharing": "invitation",
		"internal-alb:adminAccess": "none", "internal-alb:adminCidrs": "[]"}},
}

type accountScenario struct {
	name, connectivity string
	consumers          []accountConsumer
	// overrides are further config (full keys).
	overrides map[string]string
}

// accountConsumer is one consumer: a VPC the stack creates (cidr), or one
// the test creates before `up` (existing), in the stack's account or in the
// account of role.
type accountConsumer struct {
	name, cidr, role string
	existing         bool
}

// consumerState is what the test knows of a consumer while it runs.
type consumerState struct {
	accountConsumer
	clients *awscheck.Clients // acting in the consumer's account
	account string
	vpcID   string            // the existing VPC's, or found after up
	before  awscheck.Snapshot // the existing VPC before up
}

func runAccountScenario(t *testing.T, env *localrun.Env, logDir string, sc accountScenario) {
	overrides := map[string]string{"internal-alb:connectivity": sc.connectivity}
	for k, v := range sc.overrides {
		overrides[k] = v
	}
	d := newDeployment(t, env, logDir, sc.name, overrides)
	ctx := d.ctx
	service, err := d.clients.AccountID(ctx)
	require.NoError(t, err)

	// The consumers' accounts and their existing VPCs, made through the API
	// before the stack exists, and the stack's consumerVpcs naming them.
	var consumers []*consumerState
	var list []map[string]any
	for _, c := range sc.consumers {
		cs := &consumerState{accountConsumer: c, clients: d.clients, account: service}
		entry := map[string]any{"name": c.name}
		if c.role != "" {
			cs.clients, err = d.clients.AssumeRole(ctx, c.role)
			require.NoError(t, err)
			cs.account, err = cs.clients.AccountID(ctx)
			require.NoError(t, err)
			entry["account"] = map[string]string{"roleArn": c.role}
		}
		if c.existing {
			cs.vpcID = createExistingVpc(t, cs.clients, c.name, c.cidr)
			cs.before, err = cs.clients.SnapshotVpc(ctx, cs.vpcID)
			require.NoError(t, err)
			entry["vpcId"] = cs.vpcID
		} else {
			entry["cidr"] = c.cidr
		}
		consumers = append(consumers, cs)
		list = append(list, entry)
	}
	value, err := json.Marshal(list)
	require.NoError(t, err)
	require.NoError(t, d.stack.SetConfig(ctx, "internal-alb:consumerVpcs", auto.ConfigValue{Value: string(value)}))
	d.overrides["internal-alb:consumerVpcs"] = string(value)
	d.cfg = loadConfig(t, d.overrides)

	// 1. up, and a second preview and a refresh that change nothing.
	start := time.Now()
	res, err := d.stack.Up(ctx, optup.ProgressStreams(d.log))
	upTook := time.Since(start)
	d.must(t, "up", err)
	start = time.Now()
	_, err = d.stack.Preview(ctx, optpreview.ProgressStreams(d.log), optpreview.ExpectNoChanges())
	previewTook := time.Since(start)
	d.must(t, "second preview (expect no changes)", err)
	_, err = d.stack.Refresh(ctx, optrefresh.ProgressStreams(d.log), optrefresh.ExpectNoChanges())
	d.must(t, "refresh (expect no changes)", err)

	// 2. Each consumer through the API, from its account and from the
	// service's; an existing VPC has the stack's routes and nothing else new.
	fnArn, _ := res.Outputs["lambdaFunctionArn"].Value.(string)
	for _, c := range consumers {
		exp := awscheck.ConsumerExpect{
			Name: c.name, VpcID: c.vpcID, Cidr: c.cidr, ServiceCidr: d.cfg.ServiceVpc.Cidr,
			ServiceAccount: service, Account: c.account, Connectivity: sc.connectivity,
			FunctionArn: fnArn, ZoneName: d.cfg.ZoneName,
		}
		if exp.VpcID == "" {
			exp.VpcID, err = c.clients.ConsumerVpcID(ctx, exp)
			require.NoError(t, err)
			c.vpcID = exp.VpcID
		}
		for _, e := range append(c.clients.ConsumerAccountChecks(ctx, exp), d.clients.ServiceAccountChecks(ctx, exp)...) {
			t.Error(e)
		}
		if c.existing {
			during, err := c.clients.SnapshotVpc(ctx, c.vpcID)
			require.NoError(t, err)
			assert.NotEmpty(t, during.RoutesTo(d.cfg.ServiceVpc.Cidr), "%s: the stack's routes to the service VPC", c.name)
		}
	}

	// 3. The verifier on the deployed state.
	dep, err := d.stack.Export(ctx)
	require.NoError(t, err)
	state, err := json.Marshal(dep)
	require.NoError(t, err)
	g, err := verify.ParseStateExport(state)
	require.NoError(t, err)
	if r := verify.Check(g, devtools.VerifyOptions(d.cfg)); !r.OK() {
		t.Errorf("verifier on the deployed state:\n%s", r.Text())
	}

	// 4. destroy: nothing left in any account, and every existing VPC as
	// it was before up.
	start = time.Now()
	_, err = d.stack.Destroy(ctx, optdestroy.ProgressStreams(d.log))
	destroyTook := time.Since(start)
	d.must(t, "destroy", err)
	seen := map[string]bool{}
	for _, c := range consumers {
		var keep []string
		for _, o := range consumers {
			if o.existing && o.account == c.account {
				keep = append(keep, o.before.IDs()...)
			}
		}
		if c.existing {
			after, err := c.clients.SnapshotVpc(ctx, c.vpcID)
			require.NoError(t, err)
			assert.Empty(t, awscheck.Diff(c.before, after), "%s is as it was before up", c.name)
		}
		if seen[c.account] {
			continue
		}
		seen[c.account] = true
		left, err := c.clients.LeftoversIn(ctx, keep)
		require.NoError(t, err)
		assert.Empty(t, left, "destroy leaves nothing in account %s", c.account)
	}
	if !seen[service] {
		left, err := d.clients.LeftoversIn(ctx, nil)
		require.NoError(t, err)
		assert.Empty(t, left, "destroy leaves nothing in the service account")
	}

	// 5. up again, from nothing: the authorizations, shares and acceptances
	// are made anew.
	start = time.Now()
	_, err = d.stack.Up(ctx, optup.ProgressStreams(d.log))
	againTook := time.Since(start)
	d.must(t, "up again", err)
	_, err = d.stack.Preview(ctx, optpreview.ProgressStreams(d.log), optpreview.ExpectNoChanges())
	d.must(t, "preview after up again (expect no changes)", err)

	created := 0
	if c := res.Summary.ResourceChanges; c != nil {
		created = (*c)["create"]
	}
	figures.Lock()
	figures.rows = append(figures.rows, fmt.Sprintf("| %s | %d | %.1f | %.1f | %.1f | (up again %.1f s) | |",
		sc.name, created, upTook.Seconds(), previewTook.Seconds(), destroyTook.Seconds(), againTook.Seconds()))
	figures.Unlock()
}

// createExistingVpc makes what a team already has: a VPC with DNS on, two
// private subnets on a route table of their own, and a public subnet routed
// to an internet gateway (which the stack must leave alone).
func createExistingVpc(t *testing.T, c *awscheck.Clients, name, cidr string) string {
	t.Helper()
	ctx := t.Context()
	tags := func(kind ec2types.ResourceType, n string) []ec2types.TagSpecification {
		return []ec2types.TagSpecification{{ResourceType: kind, Tags: []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(n)}}}}
	}
	vpc, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String(cidr), TagSpecifications: tags(ec2types.ResourceTypeVpc, name)})
	require.NoError(t, err)
	id := awssdk.ToString(vpc.Vpc.VpcId)
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: &id, EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: awssdk.Bool(true)}},
		{VpcId: &id, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: awssdk.Bool(true)}},
	} {
		_, err := c.EC2.ModifyVpcAttribute(ctx, attr)
		require.NoError(t, err)
	}
	prefix := strings.TrimSuffix(cidr, "0.0/16")
	subnet := func(n, block, az string) string {
		s, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &id, CidrBlock: awssdk.String(prefix + block),
			AvailabilityZone: awssdk.String(c.Region + az), TagSpecifications: tags(ec2types.ResourceTypeSubnet, name+"-"+n)})
		require.NoError(t, err)
		return awssdk.ToString(s.Subnet.SubnetId)
	}
	table := func(n string, subnets ...string) string {
		rt, err := c.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &id, TagSpecifications: tags(ec2types.ResourceTypeRouteTable, name+"-"+n)})
		require.NoError(t, err)
		rtID := awssdk.ToString(rt.RouteTable.RouteTableId)
		for _, s := range subnets {
			_, err := c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &rtID, SubnetId: &s})
			require.NoError(t, err)
		}
		return rtID
	}
	table("private", subnet("app-a", "1.0/24", "a"), subnet("app-c", "2.0/24", "c"))
	public := table("public", subnet("public-a", "100.0/24", "a"))
	igw, err := c.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tags(ec2types.ResourceTypeInternetGateway, name+"-igw")})
	require.NoError(t, err)
	igwID := awssdk.ToString(igw.InternetGateway.InternetGatewayId)
	_, err = c.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &igwID, VpcId: &id})
	require.NoError(t, err)
	_, err = c.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &public, DestinationCidrBlock: awssdk.String("0.0.0.0/0"), GatewayId: &igwID})
	require.NoError(t, err)
	return id
}
