package lambda_test

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/plan/plantest"
	"github.com/internal-alb/internal-alb/lambda"
)

// runFunction composes hello-world, as the stack names it, with an
// endpoint in each consumer: bar's in its first private subnet, baz's in
// both.
func runFunction(t *testing.T) (plantest.Graph, *lambda.PrivateFunction) {
	t.Helper()
	var f *lambda.PrivateFunction
	g := plantest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		f, err = lambda.NewPrivateFunction(ctx, "hello-world", &lambda.PrivateFunctionArgs{
			FunctionName: "hello-world", Runtime: "nodejs22.x", LogRetentionDays: 14, Region: plantest.Region,
			Endpoints: []lambda.Endpoint{
				{Name: "bar", VpcID: pulumi.String("vpc-bar"), SubnetIDs: []pulumi.StringInput{pulumi.String("subnet-bar-private-1")}},
				{Name: "baz", VpcID: pulumi.String("vpc-baz"), SubnetIDs: []pulumi.StringInput{pulumi.String("subnet-baz-private-1"), pulumi.String("subnet-baz-private-2")}},
			},
		})
		return err
	})
	return g, f
}

func resolve(o pulumi.StringOutput) string {
	c := make(chan string, 1)
	o.ApplyT(func(s string) string { c <- s; return s })
	return <-c
}

// The function runs the repository's handler, with its log group made
// first (with its retention) and its execution role.
func TestLambdaFunctionFromTheRepoSource(t *testing.T) {
	g, f := runFunction(t)
	fn := g.One(t, awstype.Function)
	assert.Equal(t, "hello-world", fn.String("name"))
	assert.Equal(t, "nodejs22.x", fn.String("runtime"))
	assert.Equal(t, "index.handler", fn.String("handler"))
	assert.Equal(t, []any{"arm64"}, fn.Prop("architectures"))
	assert.Equal(t, g.Named(t, awstype.Role, "hello-world-exec").String("arn"), fn.String("role"))
	code := plantest.Obj(fn.Prop("code"))["archive"].(map[string]any)
	src, ok := code[lambda.HandlerFile].(string)
	require.True(t, ok, "code archive holds index.mjs: %v", code)
	assert.Equal(t, "index.mjs", lambda.HandlerFile)
	assert.Contains(t, src, "export const handler")
	assert.Contains(t, src, `JSON.stringify("Hello from Lambda!")`)
	assert.Contains(t, src, "statusCode: 200")

	lg := g.One(t, awstype.LogGroup)
	assert.Equal(t, "/aws/lambda/hello-world", lg.String("name"))
	assert.Equal(t, 14, plantest.Num(lg.Prop("retentionInDays")))
	assert.Contains(t, fn.Dependencies, lg.URN, "the log group exists before the function")
	assert.Contains(t, fn.Dependencies, g.Named(t, awstype.RolePolicy, "hello-world-exec-logs").URN, "and so does its permission to write there")

	assert.Equal(t, "hello-world", resolve(f.FunctionName))
	assert.Equal(t, "arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world", resolve(f.FunctionArn))
	g.ChildrenOf(t, "internal-alb:lambda:PrivateFunction")
}

// The execution role writes the function's own logs and nothing else; no
// policy of the component has a wildcard action or resource.
func TestExecutionRoleOnlyWritesItsOwnLogs(t *testing.T) {
	g, _ := runFunction(t)
	role := g.Named(t, awstype.Role, "hello-world-exec")
	trust := plantest.PolicyDoc(t, role.String("assumeRolePolicy"))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, map[string]any{"Service": "lambda.amazonaws.com"}, trust.Statement[0].Principal)
	pol := g.Named(t, awstype.RolePolicy, "hello-world-exec-logs")
	assert.Equal(t, role.String("name"), pol.String("role"))
	doc := plantest.PolicyDoc(t, pol.String("policy"))
	require.Len(t, doc.Statement, 1)
	assert.ElementsMatch(t, []any{"logs:CreateLogStream", "logs:PutLogEvents"}, doc.Statement[0].Action)
	assert.Equal(t, g.One(t, awstype.LogGroup).String("arn")+":*", doc.Statement[0].Resource)
	for _, p := range g.OfType(awstype.RolePolicy) {
		assert.NotContains(t, p.String("policy"), `"*"`, "%s has no wildcard action or resource", p.Name)
	}
}

// The invoker role, for instances, may invoke this function and nothing
// else; every role and profile sits under the stack's IAM path.
func TestInvokerRoleMayInvokeOnlyTheFunction(t *testing.T) {
	g, f := runFunction(t)
	role := g.Named(t, awstype.Role, "hello-world-invoker")
	trust := plantest.PolicyDoc(t, role.String("assumeRolePolicy"))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "2012-10-17", trust.Version)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)
	assert.Equal(t, map[string]any{"Service": "ec2.amazonaws.com"}, trust.Statement[0].Principal)

	pol := g.Named(t, awstype.RolePolicy, "hello-world-invoke")
	assert.Equal(t, role.String("name"), pol.String("role"))
	doc := plantest.PolicyDoc(t, pol.String("policy"))
	require.Len(t, doc.Statement, 1)
	assert.Equal(t, "Allow", doc.Statement[0].Effect)
	assert.Equal(t, "lambda:InvokeFunction", doc.Statement[0].Action)
	assert.Equal(t, g.One(t, awstype.Function).String("arn"), doc.Statement[0].Resource)
	profile := g.Named(t, awstype.InstanceProfile, "hello-world-invoker")
	assert.Equal(t, role.String("name"), profile.String("role"))
	assert.Equal(t, profile.String("name"), resolve(f.InstanceProfileName))
	assert.Equal(t, role.String("arn"), resolve(f.InvokerRoleArn))

	for _, r := range append(g.OfType(awstype.Role), g.OfType(awstype.InstanceProfile)...) {
		assert.Equal(t, "/internal-alb/", r.String("path"), r.Name)
	}
	assert.Len(t, g.OfType(awstype.Role), 2)
	assert.Len(t, g.OfType(awstype.InstanceProfile), 1)
}

// An interface endpoint per VPC given, in the subnets given, with private
// DNS, behind a group of its own with no rule (each client adds the pair
// for its group); through it, only the invoker role may invoke, and only
// this function.
func TestInterfaceEndpoints(t *testing.T) {
	g, f := runFunction(t)
	invoke := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"InvokeThisFunctionOnly","Effect":"Allow",
		"Principal":{"AWS":"%s"},"Action":"lambda:InvokeFunction","Resource":"%s"}]}`,
		g.Named(t, awstype.Role, "hello-world-invoker").String("arn"), g.One(t, awstype.Function).String("arn"))
	got := map[string][]string{}
	for _, e := range g.OfType(awstype.VpcEndpoint) {
		vpc := e.String("vpcId")
		got[vpc] = plantest.Strs(e.Prop("subnetIds"))
		assert.Equal(t, "Interface", e.String("vpcEndpointType"))
		assert.Equal(t, "com.amazonaws.ap-northeast-1.lambda", e.String("serviceName"))
		assert.Equal(t, true, e.Prop("privateDnsEnabled"))
		assert.JSONEq(t, invoke, e.String("policy"), e.Name)
		name := "hello-world-" + vpc[len("vpc-"):] + "-endpoint"
		assert.Equal(t, name, e.Name)
		assert.Equal(t, []string{name}, g.Names(t, e.Prop("securityGroupIds")))
		assert.Equal(t, vpc, g.Named(t, awstype.SecurityGroup, name).String("vpcId"))
	}
	assert.Equal(t, map[string][]string{
		"vpc-bar": {"subnet-bar-private-1"},
		"vpc-baz": {"subnet-baz-private-1", "subnet-baz-private-2"},
	}, got)
	assert.Empty(t, g.Rules(t), "the endpoint groups have no rule of their own")

	require.Len(t, f.EndpointIDs, 2)
	assert.Equal(t, "vpce-hello-world-bar-endpoint", resolve(f.EndpointIDs[0]))
	assert.Equal(t, "sg-hello-world-baz-endpoint", resolve(f.EndpointSecurityGroupIDs[1]))
	assert.Contains(t, resolve(f.EndpointDNSNames[0]), ".lambda.ap-northeast-1.vpce.amazonaws.com")

	doc, err := lambda.EndpointPolicy("arn:aws:iam::123456789012:role/internal-alb/invoker", "arn:aws:lambda:ap-northeast-1:123456789012:function:f")
	require.NoError(t, err)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Sid":"InvokeThisFunctionOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/internal-alb/invoker"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:ap-northeast-1:123456789012:function:f"}]}`, doc)
}

func TestFunctionRefusesBadArgs(t *testing.T) {
	for _, args := range []*lambda.PrivateFunctionArgs{{Region: "ap-northeast-1"}, {FunctionName: "f"}} {
		g, err := plantest.RunErr(func(ctx *pulumi.Context) error {
			_, err := lambda.NewPrivateFunction(ctx, "fn", args)
			return err
		})
		require.Error(t, err)
		assert.Equal(t, "lambda: fn needs a function name and a region", plantest.Message(err))
		assert.Empty(t, g.Graph, "nothing registered")
	}
}
