package alb_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/internal/sg"
)

const (
	ami        = "ami-0a1b2c3d4e5f60718"
	webObjects = "arn:aws:s3:::internal-alb-logs-1234567/web/*"
)

var subnets = []string{"subnet-foo-private-1", "subnet-foo-private-2"}

// seedArgs are the args the stack gives the ALB of the seed: named
// foo-internal-alb in foo's two private subnets, two web servers, bar's
// client group admitted, SSH from foo's bastion group, S3 through the
// gateway endpoint, access logs and the web servers' log prefix. The groups
// are made by runAlb.
func seedArgs() *alb.InternalAlbArgs {
	return &alb.InternalAlbArgs{
		Name: "foo-internal-alb", VpcID: pulumi.String("vpc-foo"),
		SubnetIDs: []pulumi.StringInput{pulumi.String(subnets[0]), pulumi.String(subnets[1])},
		WebCount:  2, Ami: pulumi.String(ami), InstanceType: "t3.micro",
		S3PrefixListID:   pulumi.String("pl-61a54008"),
		AccessLogsBucket: pulumi.String("internal-alb-logs-1234567"), AccessLogsPrefix: "alb",
		WebObjects: pulumi.String(webObjects),
	}
}

// runAlb composes the ALB named web with the groups of its peers: bar's
// client group and foo's bastion group (unless change drops them).
func runAlb(t *testing.T, change func(a *alb.InternalAlbArgs)) (plantest.Graph, *alb.InternalAlb) {
	t.Helper()
	var a *alb.InternalAlb
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		client, err := sg.NewGroup(ctx, "bar-client", pulumi.String("vpc-bar"), "Client")
		if err != nil {
			return err
		}
		bastion, err := sg.NewGroup(ctx, "foo-bastion", pulumi.String("vpc-foo"), "Bastion")
		if err != nil {
			return err
		}
		args := seedArgs()
		args.Clients = []alb.Client{{Name: "bar-client", Peer: sg.Group(client.ID())}}
		args.AdminSecurityGroupID = bastion.ID()
		if change != nil {
			change(args)
		}
		a, err = alb.NewInternalAlb(ctx, "web", args)
		return err
	})
	return g, a
}

// resolve waits for an output's value.
func resolve(o pulumi.StringOutput) string {
	c := make(chan string, 1)
	o.ApplyT(func(s string) string { c <- s; return s })
	return <-c
}

// An internal application load balancer in the subnets given, behind its
// own group, dropping invalid headers; everything the component creates is
// its child, named after it.
func TestAlbIsInternalInTheSubnetsGiven(t *testing.T) {
	g, a := runAlb(t, nil)
	lb := g.One(t, awstype.LoadBalancer)
	assert.Equal(t, "foo-internal-alb", lb.String("name"))
	assert.Equal(t, true, lb.Prop("internal"))
	assert.Equal(t, "application", lb.String("loadBalancerType"))
	assert.Equal(t, true, lb.Prop("dropInvalidHeaderFields"))
	assert.Equal(t, "defensive", lb.String("desyncMitigationMode"))
	assert.Equal(t, subnets, plantest.Strs(lb.Prop("subnets")))
	sgs := plantest.Strs(lb.Prop("securityGroups"))
	require.Len(t, sgs, 1)
	assert.Equal(t, "web-alb", g.Ref(t, sgs[0]).Name)
	assert.True(t, strings.HasPrefix(lb.String("dnsName"), "internal-foo-internal-alb-"))

	assert.Equal(t, lb.String("dnsName"), resolve(a.DNSName))
	assert.Equal(t, lb.String("zoneId"), resolve(a.ZoneID))
	assert.Equal(t, lb.String("arn"), resolve(a.Arn))
	assert.Equal(t, g.Ref(t, sgs[0]).ID, resolve(a.SecurityGroupID))

	for _, r := range g.Graph {
		if r.Custom && r.Name != "bar-client" && r.Name != "foo-bastion" {
			parent, _ := g.ByURN(r.Parent)
			assert.Equal(t, "internal-alb:alb:InternalAlb", parent.Type, "%s %s", r.Type, r.Name)
			assert.True(t, strings.HasPrefix(r.Name, "web"), r.Name)
		}
	}
}

// The listener forwards HTTP on 80 to the target group of the web servers
// on 8080, which health-checks / and registers each web server on its
// own port.
func TestListenerForwardsToTargetGroupOfTheWebServersOn8080(t *testing.T) {
	g, a := runAlb(t, nil)
	lb, tgrp, l := g.One(t, awstype.LoadBalancer), g.One(t, awstype.TargetGroup), g.One(t, awstype.Listener)
	assert.Equal(t, lb.String("arn"), l.String("loadBalancerArn"))
	assert.Equal(t, 80, plantest.Num(l.Prop("port")))
	assert.Equal(t, alb.ListenerPort, plantest.Num(l.Prop("port")))
	assert.Equal(t, "HTTP", l.String("protocol"))
	action := plantest.Obj(l.Prop("defaultActions"))
	assert.Equal(t, "forward", action["type"])
	assert.Equal(t, tgrp.String("arn"), action["targetGroupArn"])

	assert.Equal(t, 8080, plantest.Num(tgrp.Prop("port")))
	assert.Equal(t, alb.TargetPort, plantest.Num(tgrp.Prop("port")))
	assert.Equal(t, "HTTP", tgrp.String("protocol"))
	assert.Equal(t, "instance", tgrp.String("targetType"))
	assert.Equal(t, "vpc-foo", tgrp.String("vpcId"))
	assert.Equal(t, 30, plantest.Num(tgrp.Prop("deregistrationDelay")))
	hc := plantest.Obj(tgrp.Prop("healthCheck"))
	assert.Equal(t, "/", hc["path"])
	assert.Equal(t, "200", hc["matcher"])
	assert.Equal(t, "HTTP", hc["protocol"])
	assert.Equal(t, "traffic-port", hc["port"])
	assert.Equal(t, 30, plantest.Num(hc["interval"]))
	assert.Equal(t, true, hc["enabled"])
	assert.Equal(t, tgrp.String("arn"), resolve(a.TargetGroupArn))

	var targets []string
	for _, at := range g.OfType(awstype.TargetGroupAttachment) {
		assert.Equal(t, tgrp.String("arn"), at.String("targetGroupArn"))
		assert.Nil(t, at.Prop("port"), "targets take the target group's port")
		web := g.Ref(t, at.Prop("targetId"))
		assert.Equal(t, "web", plantest.Obj(web.Prop("tags"))["Role"])
		targets = append(targets, web.Name)
	}
	assert.ElementsMatch(t, []string{"web-web1", "web-web2"}, targets)
}

// The web servers are spread over the subnets in order (one per AZ, then
// round again), serve the page on 8080 with IMDSv2, and a new script
// replaces them.
func TestWebServersSpreadOverTheSubnets(t *testing.T) {
	g, a := runAlb(t, func(a *alb.InternalAlbArgs) { a.WebCount = 3; a.KeyName = pulumi.String("admin-key") })
	var got []string
	for _, i := range g.OfType(awstype.Instance) {
		require.Equal(t, "web", plantest.Obj(i.Prop("tags"))["Role"])
		got = append(got, i.Name+" "+i.String("subnetId"))
		ud := i.String("userData")
		for _, want := range []string{"python3 -m http.server 8080", "systemctl enable --now web.service", "Hello World", "X-aws-ec2-metadata-token"} {
			assert.Contains(t, ud, want, i.Name)
		}
		assert.Contains(t, ud, "Welcome to "+strings.TrimPrefix(i.Name, "web-"), i.Name)
		assert.Equal(t, true, i.Prop("userDataReplaceOnChange"))
		assert.Equal(t, false, i.Prop("associatePublicIpAddress"))
		assert.Equal(t, []string{"web-web"}, g.Names(t, i.Prop("vpcSecurityGroupIds")))
		assert.Equal(t, "admin-key", i.String("keyName"))
		assert.Equal(t, ami, i.String("ami"))
	}
	assert.ElementsMatch(t, []string{
		"web-web1 subnet-foo-private-1", "web-web2 subnet-foo-private-2", "web-web3 subnet-foo-private-1",
	}, got)
	assert.Len(t, g.OfType(awstype.TargetGroupAttachment), 3)
	assert.Len(t, a.WebInstanceIDs, 3)
	assert.Len(t, a.WebPrivateIPs, 3)
}

// The groups: the ALB's admits HTTP from each client and sends only to the
// web group on 8080; the web group admits 8080 only from the ALB's group,
// SSH from the admin group, and sends HTTPS to S3's prefix list.
func TestSecurityGroupRules(t *testing.T) {
	g, _ := runAlb(t, nil)
	assert.ElementsMatch(t, []string{
		"web-alb in 80 sg:bar-client", "web-alb out 8080 sg:web-web",
		"web-web in 8080 sg:web-alb", "web-web in 22 sg:foo-bastion", "web-web out 443 pl:pl-61a54008",
	}, g.RuleStrings(t))
	for _, s := range []string{"web-alb", "web-web"} {
		grp := g.Named(t, awstype.SecurityGroup, s)
		assert.Equal(t, "vpc-foo", grp.String("vpcId"))
		assert.NotEmpty(t, grp.String("description"))
	}
	assert.Equal(t, "HTTP from bar-client", g.Named(t, awstype.SecurityGroupIngressRule, "web-alb-http-in-bar-client").String("description"))

	// Clients given by address (over a Transit Gateway); no admin entry
	// point and no S3 endpoint: no SSH, nothing to S3.
	cidrs, _ := runAlb(t, func(a *alb.InternalAlbArgs) {
		a.Clients = []alb.Client{{Name: "bar-private-1", Peer: sg.Cidr("10.3.1.0/24")}, {Name: "bar-private-2", Peer: sg.Cidr("10.3.2.0/24")}}
		a.AdminSecurityGroupID, a.S3PrefixListID, a.WebObjects = nil, nil, nil
	})
	assert.ElementsMatch(t, []string{
		"web-alb in 80 10.3.1.0/24", "web-alb in 80 10.3.2.0/24", "web-alb out 8080 sg:web-web", "web-web in 8080 sg:web-alb",
	}, cidrs.RuleStrings(t))
}

// With a bucket the ALB logs into it under the prefix given; without one
// it has no access logs.
func TestAccessLogs(t *testing.T) {
	g, _ := runAlb(t, nil)
	assert.Equal(t, map[string]any{"bucket": "internal-alb-logs-1234567", "prefix": "alb", "enabled": true},
		plantest.Obj(g.One(t, awstype.LoadBalancer).Prop("accessLogs")))

	off, _ := runAlb(t, func(a *alb.InternalAlbArgs) { a.AccessLogsBucket, a.AccessLogsPrefix = nil, "" })
	assert.Nil(t, off.One(t, awstype.LoadBalancer).Prop("accessLogs"))
}

// The web servers' role may write the objects given and nothing else; with
// none there is no role and the web servers have no profile.
func TestWebRoleWritesOnlyItsOwnPrefix(t *testing.T) {
	g, _ := runAlb(t, nil)
	role := g.Named(t, awstype.Role, "web-web")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}`,
		role.String("assumeRolePolicy"))
	pol := g.Named(t, awstype.RolePolicy, "web-web-logs")
	assert.JSONEq(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"%s"}]}`, webObjects),
		pol.String("policy"))
	assert.Equal(t, role.String("name"), pol.String("role"))
	profile := g.Named(t, awstype.InstanceProfile, "web-web")
	assert.Equal(t, role.String("name"), profile.String("role"))
	assert.Equal(t, "/internal-alb/", role.String("path"))
	assert.Equal(t, "/internal-alb/", profile.String("path"))
	for _, i := range g.OfType(awstype.Instance) {
		assert.Equal(t, profile.String("name"), i.String("iamInstanceProfile"), i.Name)
	}

	none, _ := runAlb(t, func(a *alb.InternalAlbArgs) { a.WebObjects = nil })
	assert.Empty(t, none.OfType(awstype.Role))
	assert.Empty(t, none.OfType(awstype.InstanceProfile), "no web role without objects to write")
	for _, i := range none.OfType(awstype.Instance) {
		assert.Empty(t, i.String("iamInstanceProfile"), i.Name)
	}
}

// AWS's rule for an ALB's name, the one the config applies too.
func TestCheckName(t *testing.T) {
	for name, want := range map[string]string{
		"foo-internal-alb":      "",
		"a":                     "",
		"A1-b2":                 "",
		strings.Repeat("a", 32): "",
		"":                      "must be 1-32 characters",
		strings.Repeat("a", 33): "must be 1-32 characters",
		"foo_internal_alb":      "may hold only letters, digits and hyphens, and must not start or end with a hyphen",
		"-foo":                  "may hold only letters, digits and hyphens, and must not start or end with a hyphen",
		"foo-":                  "may hold only letters, digits and hyphens, and must not start or end with a hyphen",
		"internal-foo":          `must not start with "internal-"`,
	} {
		err := alb.CheckName(name)
		if want == "" {
			assert.NoError(t, err, name)
		} else {
			assert.EqualError(t, err, want, name)
		}
	}
}

// The component checks its own args, before registering anything, in its
// own terms: no stack key in the error.
func TestAlbRefusesBadArgs(t *testing.T) {
	for want, change := range map[string]func(*alb.InternalAlbArgs){
		`alb: name "internal-x" must not start with "internal-"`: func(a *alb.InternalAlbArgs) { a.Name = "internal-x" },
		"alb: x needs private subnets in at least 2 AZs, got 1": func(a *alb.InternalAlbArgs) {
			a.Name, a.SubnetIDs = "x", a.SubnetIDs[:1]
		},
		"alb: x needs at least one web server, got 0": func(a *alb.InternalAlbArgs) { a.Name, a.WebCount = "x", 0 },
	} {
		g, err := plantest.RunErr(func(ctx *pulumi.Context) error {
			args := seedArgs()
			change(args)
			_, err := alb.NewInternalAlb(ctx, "web", args)
			return err
		})
		require.Error(t, err)
		assert.Equal(t, want, plantest.Message(err))
		assert.Empty(t, g.Graph, "nothing registered")
	}
}
