package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/network"
)

// The log bucket's objects expire after logExpirationDays (logs' own tests
// hold the bucket's other settings).
func TestLogBucketExpiresFromConfig(t *testing.T) {
	for days, o := range map[int]map[string]string{90: nil, 30: {"logExpirationDays": "30"}} {
		rules := mustPlan(t, o).one(t, awstype.BucketLifecycleConfigurationV2).Prop("rules").([]any)
		assert.Equal(t, days, num(obj(obj(rules[0])["expiration"])["days"]))
	}
}

// The bucket policy, exactly: TLS only for everyone; the flow log service
// checks and writes for this account only; the region's ELB account writes
// the ALB's logs; nobody else is granted anything.
func TestLogBucketPolicyIsExact(t *testing.T) {
	g := mustPlan(t, nil)
	arn := g.one(t, awstype.BucketV2).String("arn")
	pol := g.one(t, awstype.BucketPolicy)
	assert.Equal(t, g.one(t, awstype.BucketV2).String("bucket"), pol.String("bucket"))
	assert.JSONEq(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["%[1]s","%[1]s/*"],
		 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"FlowLogsAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"%[1]s",
		 "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:ap-northeast-1:123456789012:*"}}},
		{"Sid":"FlowLogsWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"%[1]s/flow-logs/AWSLogs/123456789012/*",
		 "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012","s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:ap-northeast-1:123456789012:*"}}},
		{"Sid":"AlbLogsWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::582318560864:root"},"Action":"s3:PutObject","Resource":"%[1]s/alb/AWSLogs/123456789012/*"}
	]}`, arn), pol.String("policy"))
}

// Every VPC's flow log and the ALB's access logs go to the bucket, each
// under its own prefix; logs: false removes the bucket and all of them.
func TestFlowLogsAndAccessLogsIntoTheBucket(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers})
	arn := g.one(t, awstype.BucketV2).String("arn")
	var vpcs []string
	for _, f := range g.OfType(awstype.FlowLog) {
		vpcs = append(vpcs, g.byID(t, f.Prop("vpcId")).Name)
		assert.Equal(t, "s3", f.String("logDestinationType"))
		assert.Equal(t, arn+"/flow-logs/", f.String("logDestination"))
		assert.Equal(t, "ALL", f.String("trafficType"))
		assert.Contains(t, f.Dependencies, g.one(t, awstype.BucketPolicy).URN, "%s waits for the bucket policy", f.Name)
	}
	assert.ElementsMatch(t, []string{"foo", "bar", "baz", "qux"}, vpcs)
	assert.Equal(t, map[string]any{"bucket": g.one(t, awstype.BucketV2).String("bucket"), "prefix": "alb", "enabled": true},
		obj(g.one(t, awstype.LoadBalancer).Prop("accessLogs")))
	assert.Contains(t, g.one(t, awstype.LoadBalancer).Dependencies, g.one(t, awstype.BucketPolicy).URN, "the ALB waits for the bucket policy")

	off := mustPlan(t, map[string]string{"logs": "false"})
	for _, typ := range []string{awstype.BucketV2, awstype.BucketPolicy, awstype.FlowLog} {
		assert.Empty(t, off.OfType(typ), typ)
	}
	assert.Nil(t, off.one(t, awstype.LoadBalancer).Prop("accessLogs"))
	assert.Len(t, off.OfType(awstype.InstanceProfile), 1, "no web role without a bucket to write to")
}

// The web servers' role may write under web/ of the stack's log bucket,
// nothing else (alb's own tests hold the role's trust and profile).
func TestWebRoleWritesOnlyItsOwnPrefix(t *testing.T) {
	g := mustPlan(t, nil)
	arn := g.one(t, awstype.BucketV2).String("arn")
	assert.JSONEq(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"%s/web/*"}]}`, arn),
		g.named(t, awstype.RolePolicy, "web-web-logs").String("policy"))
}

// Through the endpoints only what the stack needs passes: the Amazon Linux
// repositories and the web servers' log prefix over S3 (the latter in the
// service VPC only), and Invoke of the one function by the invoker role
// over the Lambda endpoints.
func TestEndpointPoliciesAreExact(t *testing.T) {
	g := mustPlan(t, map[string]string{"consumerVpcs": threeConsumers})
	arn := g.one(t, awstype.BucketV2).String("arn")
	repos := `{"Sid":"AmazonLinuxRepositories","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::al2023-repos-ap-northeast-1-de612dc2/*"}`
	invoke := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"InvokeThisFunctionOnly","Effect":"Allow",
		"Principal":{"AWS":"%s"},"Action":"lambda:InvokeFunction","Resource":"%s"}]}`,
		g.named(t, awstype.Role, "hello-world-invoker").String("arn"), g.one(t, awstype.Function).String("arn"))
	n := 0
	for _, e := range g.OfType(awstype.VpcEndpoint) {
		n++
		vpc := g.byID(t, e.Prop("vpcId")).Name
		switch {
		case e.String("vpcEndpointType") == "Interface":
			assert.JSONEq(t, invoke, e.String("policy"), e.Name)
		case vpc == "foo":
			assert.JSONEq(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[%s,
				{"Sid":"StackObjects","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":["%s/web/*"]}]}`, repos, arn),
				e.String("policy"), e.Name)
		default:
			assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[`+repos+`]}`, e.String("policy"), e.Name)
		}
	}
	assert.Equal(t, 4+3, n)
}

// The flows main.go declares for the network ACLs, exactly: the ALB's nodes
// forward to the web servers across foo's private subnets, the consumers
// reach the listener, and each consumer's clients reach the Lambda endpoint
// across its subnets. network's own tests turn flows into exact entries;
// here, each VPC of the plan has its two ACLs over its two tiers.
func TestVpcArgsDeclareTheMissionsFlows(t *testing.T) {
	dev := devConfig(t)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := dev[config.Key(k)]; return v, ok })
	require.NoError(t, err)
	cl := consumerLookups{owners: []network.Owner{{}}, existing: []*network.ExistingVpcArgs{nil}, cidrs: []string{"10.3.0.0/16"}}
	service, consumers := vpcArgs(cfg, lookups{azs: []string{"ap-northeast-1a", "ap-northeast-1c"}, region: "ap-northeast-1"}, cl)
	assert.Equal(t, []network.Flow{
		{Port: 8080, Cidr: "10.2.0.0/16", Inbound: true}, {Port: 8080, Cidr: "10.2.0.0/16"},
		{Port: 80, Cidr: "10.3.0.0/16", Inbound: true},
	}, service.Flows)
	require.Len(t, consumers, 1)
	assert.Equal(t, []network.Flow{
		{Port: 443, Cidr: "10.3.0.0/16", Inbound: true}, {Port: 443, Cidr: "10.3.0.0/16"},
		{Port: 80, Cidr: "10.2.0.0/16"},
	}, consumers[0].Flows)

	g := mustPlan(t, nil)
	var acls []string
	for _, a := range g.OfType(awstype.NetworkAcl) {
		var subnets []string
		for _, s := range strs(a.Prop("subnetIds")) {
			subnets = append(subnets, g.byID(t, s).Name)
		}
		assert.ElementsMatch(t, []string{a.Name + "-1", a.Name + "-2"}, subnets, "%s covers its tier", a.Name)
		acls = append(acls, a.Name)
	}
	assert.ElementsMatch(t, []string{"foo-public", "foo-private", "bar-public", "bar-private"}, acls)
}

// Too many consumers for the service VPC's network ACL is refused before
// anything is created, naming the quota.
func TestAclQuotaRefusedBeforeAnyResource(t *testing.T) {
	var consumers []string
	for i := 0; i < 17; i++ {
		consumers = append(consumers, fmt.Sprintf(`{"name":"c%d","cidr":"10.%d.0.0/16"}`, i, 10+i))
	}
	g, err := planWith(t, map[string]string{"consumerVpcs": "[" + strings.Join(consumers, ",") + "]"})
	require.Error(t, err)
	assert.Empty(t, g.Graph, "no resource is registered")
	assert.Contains(t, err.Error(), "network: vpc foo: its private network ACL needs 21 inbound rules, over AWS's default quota of 20 per direction")
}

// Groups admit by reference wherever they can: the endpoint admits the
// client group, the ALB the consumers' client groups across the peering
// (once it is active); over a Transit Gateway, the consumers' private
// subnets, never the whole VPC and never the service VPC.
func TestGroupsAdmitPeersByReference(t *testing.T) {
	g := mustPlan(t, nil)
	in := g.named(t, awstype.SecurityGroupIngressRule, "web-alb-http-in-bar-client")
	assert.Equal(t, g.named(t, awstype.SecurityGroup, "bar-client").ID, in.String("referencedSecurityGroupId"))
	assert.Contains(t, in.Dependencies, g.one(t, awstype.VpcPeeringConnection).URN, "the reference waits for the peering")

	tgw := mustPlan(t, map[string]string{"connectivity": "transitGateway"})
	var got []string
	for _, r := range tgw.rules(t) {
		if r.Group == "web-alb" && r.Dir == "in" {
			got = append(got, r.String())
		}
	}
	assert.ElementsMatch(t, []string{"web-alb in 80 10.3.1.0/24", "web-alb in 80 10.3.2.0/24"}, got)
}

// adminAccess: instanceConnectEndpoint puts an endpoint in each VPC's first
// private subnet; no instance has a public address, no group admits SSH from
// outside its VPC, and the command to connect is the CLI's own.
func TestInstanceConnectEndpointMode(t *testing.T) {
	o := map[string]string{"adminAccess": "instanceConnectEndpoint", "adminCidrs": "[]"}
	g := mustPlan(t, o)
	var vpcs []string
	for _, e := range g.OfType(awstype.InstanceConnectEndpoint) {
		subnet := g.byID(t, e.Prop("subnetId"))
		vpc := g.byID(t, subnet.Prop("vpcId")).Name
		vpcs = append(vpcs, vpc)
		assert.Equal(t, vpc+"-private-1", subnet.Name)
		assert.Equal(t, false, e.Prop("preserveClientIp"), "the instances see the endpoint's address, so its group can be referenced")
		assert.Equal(t, []string{vpc + "-eice"}, names(t, g, strs(e.Prop("securityGroupIds"))))
	}
	assert.ElementsMatch(t, []string{"foo", "bar"}, vpcs)
	for _, i := range g.OfType(awstype.Instance) {
		assert.Equal(t, false, i.Prop("associatePublicIpAddress"), i.Name)
		assert.NotEqual(t, "bastion", obj(i.Prop("tags"))["Role"])
	}
	var ssh []string
	for _, r := range g.rules(t) {
		if r.Port == 22 {
			ssh = append(ssh, r.String())
		}
	}
	assert.ElementsMatch(t, []string{
		"foo-eice out 22 10.2.0.0/16", "bar-eice out 22 10.3.0.0/16",
		"web-web in 22 sg:foo-eice", "bar-client in 22 sg:bar-eice",
	}, ssh)

	values := map[string]any{}
	_, err := runStack(merge(devConfig(t), map[string]string{"internal-alb:adminAccess": "instanceConnectEndpoint", "internal-alb:adminCidrs": "[]"}), nil, values)
	require.NoError(t, err)
	assert.Empty(t, values["bastionPublicIps"])
	cmds := values["tryFromClient"].(map[string]any)["bar"].([]any)
	assert.Equal(t, "aws ec2-instance-connect ssh --region ap-northeast-1 --instance-id i-bar-client --os-user ec2-user --connection-type eice", cmds[0])
}

// sshPublicKey becomes one key pair on every instance, and the connect
// command is plain SSH through the bastion.
func TestSshPublicKeyBecomesAKeyPair(t *testing.T) {
	g := mustPlan(t, map[string]string{"sshPublicKey": testPublicKey})
	kp := g.one(t, awstype.KeyPair)
	assert.Equal(t, testPublicKey, kp.String("publicKey"))
	for _, i := range g.OfType(awstype.Instance) {
		assert.Equal(t, kp.String("keyName"), i.String("keyName"), i.Name)
	}
	assert.Empty(t, mustPlan(t, nil).OfType(awstype.KeyPair), "no key pair unless asked")

	values := map[string]any{}
	_, err := runStack(merge(devConfig(t), map[string]string{"internal-alb:sshPublicKey": testPublicKey}), nil, values)
	require.NoError(t, err)
	cmds := values["tryFromClient"].(map[string]any)["bar"].([]any)
	assert.Regexp(t, `^ssh -J ec2-user@198\.51\.100\.\d+ ec2-user@10\.3\.1\.\d+$`, cmds[0], "through the bastion's Elastic IP")

	none := map[string]any{}
	_, err = runStack(merge(devConfig(t), map[string]string{"internal-alb:adminAccess": "none", "internal-alb:adminCidrs": "[]"}), nil, none)
	require.NoError(t, err)
	cmds = none["tryFromClient"].(map[string]any)["bar"].([]any)
	assert.Len(t, cmds, 3, "no way in, so no connect command")
	assert.True(t, strings.HasPrefix(cmds[0].(string), "curl "), cmds[0])
}

func names(t *testing.T, g tg, ids []string) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		out = append(out, g.byID(t, id).Name)
	}
	return out
}
