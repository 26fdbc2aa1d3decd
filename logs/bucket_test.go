package logs_test

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/logs"
)

// elbAccount is ap-northeast-1's Elastic Load Balancing account.
const elbAccount = "arn:aws:iam::582318560864:root"

func bucketArgs(days int) *logs.BucketArgs {
	return &logs.BucketArgs{
		AccountID: plantest.Account, Region: plantest.Region,
		AlbLogWriter: logs.AlbLogWriter(elbAccount), ExpirationDays: days,
	}
}

// newBucket runs a bucket named as the stack names it, with a flow log and
// a load balancer that take its outputs the way the stack's do.
func newBucket(t *testing.T, args *logs.BucketArgs) (plantest.Graph, map[string]string) {
	t.Helper()
	outs := map[string]string{}
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		b, err := logs.NewBucket(ctx, "internal-alb-logs", args)
		if err != nil {
			return err
		}
		if _, err := ec2.NewFlowLog(ctx, "foo", &ec2.FlowLogArgs{
			VpcId: pulumi.String("vpc-foo"), LogDestinationType: pulumi.String("s3"),
			LogDestination: b.FlowLogDestination, TrafficType: pulumi.String("ALL"),
		}); err != nil {
			return err
		}
		if _, err := lb.NewLoadBalancer(ctx, "web", &lb.LoadBalancerArgs{
			Internal: pulumi.Bool(true),
			AccessLogs: &lb.LoadBalancerAccessLogsArgs{
				Bucket: b.AlbBucket, Prefix: pulumi.String(logs.AlbPrefix), Enabled: pulumi.Bool(true),
			},
		}); err != nil {
			return err
		}
		for name, o := range map[string]pulumi.StringOutput{"name": b.Name, "arn": b.Arn, "web": b.WebObjects} {
			o.ApplyT(func(v string) string { outs[name] = v; return v })
		}
		return nil
	})
	return g, outs
}

// The log bucket is private, owner-enforced, encrypted with SSE-S3 (the
// only encryption ALB access logs accept), expires objects after the
// days given, and destroy empties it.
func TestBucketIsLocked(t *testing.T) {
	g, _ := newBucket(t, bucketArgs(90))
	b := g.One(t, awstype.BucketV2)
	name := b.String("bucket")
	assert.Equal(t, true, b.Prop("forceDestroy"))

	pab := g.One(t, awstype.BucketPublicAccessBlock)
	assert.Equal(t, name, pab.String("bucket"))
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, pab.Prop(k), k)
	}
	assert.Equal(t, name, g.One(t, awstype.BucketOwnershipControls).String("bucket"))
	assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, plantest.Obj(g.One(t, awstype.BucketOwnershipControls).Prop("rule")))
	assert.Equal(t, []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}},
		g.One(t, awstype.BucketServerSideEncryptionConfigurationV2).Prop("rules"))
	assert.Equal(t, []any{map[string]any{"id": "expire", "status": "Enabled", "filter": map[string]any{}, "expiration": map[string]any{"days": 90.0}}},
		g.One(t, awstype.BucketLifecycleConfigurationV2).Prop("rules"))
	assert.Contains(t, g.One(t, awstype.BucketPolicy).Dependencies, pab.URN, "the policy waits for the public access block")

	short, _ := newBucket(t, bucketArgs(30))
	assert.Equal(t, 30, plantest.Num(plantest.Obj(short.One(t, awstype.BucketLifecycleConfigurationV2).Prop("rules").([]any)[0])["expiration"].(map[string]any)["days"]))

	// Every resource but the test's own two is the component's.
	var own []string
	for _, r := range g.Graph {
		if r.Custom && r.Type != awstype.FlowLog && r.Type != awstype.LoadBalancer {
			parent, _ := g.ByURN(r.Parent)
			assert.Equal(t, "internal-alb:logs:Bucket", parent.Type, r.Name)
			own = append(own, r.Name)
		}
	}
	assert.Len(t, own, 6)
}

// The bucket policy, exactly: TLS only for everyone; the flow log service
// checks and writes for this account only; the region's ELB account writes
// the ALB's logs; nobody else is granted anything.
func TestBucketPolicyIsExact(t *testing.T) {
	g, _ := newBucket(t, bucketArgs(90))
	arn := g.One(t, awstype.BucketV2).String("arn")
	pol := g.One(t, awstype.BucketPolicy)
	assert.Equal(t, g.One(t, awstype.BucketV2).String("bucket"), pol.String("bucket"))
	want := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["%[1]s","%[1]s/*"],
		 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"FlowLogsAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"%[1]s",
		 "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:ap-northeast-1:123456789012:*"}}},
		{"Sid":"FlowLogsWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"%[1]s/flow-logs/AWSLogs/123456789012/*",
		 "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012","s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":"arn:aws:logs:ap-northeast-1:123456789012:*"}}},
		{"Sid":"AlbLogsWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::582318560864:root"},"Action":"s3:PutObject","Resource":"%[1]s/alb/AWSLogs/123456789012/*"}
	]}`, arn)
	assert.JSONEq(t, want, pol.String("policy"))

	direct, err := logs.Policy(arn, plantest.Account, plantest.Region, logs.AlbLogWriter(elbAccount))
	require.NoError(t, err)
	assert.JSONEq(t, want, direct, "the bucket's policy is logs.Policy")
}

// Another account's VPCs write their flow logs under that account's own
// folder, on that account's behalf only; the ALB's logs stay the stack's.
func TestBucketPolicyAdmitsOtherAccountsFlowLogs(t *testing.T) {
	const other = "111111111111"
	doc, err := logs.Policy("arn:aws:s3:::b", plantest.Account, plantest.Region, logs.AlbLogWriter(elbAccount), other)
	require.NoError(t, err)
	pol := plantest.PolicyDoc(t, doc)
	var sids []string
	for _, s := range pol.Statement {
		sids = append(sids, s.Sid)
	}
	assert.Equal(t, []string{"DenyInsecureTransport", "FlowLogsAclCheck", "FlowLogsWrite",
		"FlowLogsAclCheckFrom" + other, "FlowLogsWriteFrom" + other, "AlbLogsWrite"}, sids)
	assert.Contains(t, doc, `"Resource":"arn:aws:s3:::b/flow-logs/AWSLogs/`+other+`/*"`)
	assert.Contains(t, doc, `"aws:SourceArn":"arn:aws:logs:`+plantest.Region+`:`+other+`:*"`)
	assert.Contains(t, doc, `"Resource":"arn:aws:s3:::b/alb/AWSLogs/`+plantest.Account+`/*"`)
}

// In regions opened since August 2022 the ALB's logs come from a service
// principal instead of an ELB account.
func TestAlbLogWriter(t *testing.T) {
	assert.Equal(t, map[string]string{"AWS": elbAccount}, logs.AlbLogWriter(elbAccount))
	svc := logs.AlbLogWriter("")
	assert.Equal(t, map[string]string{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, svc)
	doc, err := logs.Policy("arn:aws:s3:::b", "111122223333", "ap-southeast-7", svc)
	require.NoError(t, err)
	p := plantest.PolicyDoc(t, doc)
	require.Len(t, p.Statement, 4)
	assert.Equal(t, "AlbLogsWrite", p.Statement[3].Sid)
	assert.Equal(t, map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, p.Statement[3].Principal)
	assert.Equal(t, "arn:aws:s3:::b/alb/AWSLogs/111122223333/*", p.Statement[3].Resource)
	assert.Contains(t, doc, `"aws:SourceArn":"arn:aws:logs:ap-southeast-7:111122223333:*"`)
}

// What the bucket hands out: the flow logs' folder and the ALB's bucket
// resolve only once the policy exists (a flow log or load balancer that
// takes them waits for it), and the web servers' object pattern.
func TestOutputsWaitForThePolicy(t *testing.T) {
	g, outs := newBucket(t, bucketArgs(90))
	b := g.One(t, awstype.BucketV2)
	arn := b.String("arn")
	assert.Equal(t, b.String("bucket"), outs["name"])
	assert.Equal(t, arn, outs["arn"])
	assert.Equal(t, arn+"/web/*", outs["web"])
	policy := g.One(t, awstype.BucketPolicy).URN

	f := g.One(t, awstype.FlowLog)
	assert.Equal(t, arn+"/flow-logs/", f.String("logDestination"))
	assert.Contains(t, f.Dependencies, policy, "the flow log waits for the bucket policy")

	lb := g.One(t, awstype.LoadBalancer)
	assert.Equal(t, map[string]any{"bucket": b.String("bucket"), "prefix": "alb", "enabled": true}, plantest.Obj(lb.Prop("accessLogs")))
	assert.Contains(t, lb.Dependencies, policy, "the ALB waits for the bucket policy")
}

func TestBadArgsAreRefused(t *testing.T) {
	for want, args := range map[string]*logs.BucketArgs{
		"logs: b needs the account id and the region":                {Region: "ap-northeast-1", AlbLogWriter: logs.AlbLogWriter(""), ExpirationDays: 1},
		"logs: b needs one principal for ALB access logs, got map[]": {AccountID: "1", Region: "r", ExpirationDays: 1},
		"logs: b: objects must expire after at least 1 day, got 0":   {AccountID: "1", Region: "r", AlbLogWriter: logs.AlbLogWriter("")},
	} {
		g, err := plantest.RunErr(func(ctx *pulumi.Context) error {
			_, err := logs.NewBucket(ctx, "b", args)
			return err
		})
		require.Error(t, err)
		assert.Equal(t, want, plantest.Message(err))
		assert.Empty(t, g.Graph)
	}
}
