// Package lambda builds the function that the consumer VPCs' instances invoke
// privately: the function with its log group and execution role, an
// interface VPC endpoint for the Lambda API in each consumer VPC, and the
// instance role that may invoke the function and nothing else.
package lambda

import (
	_ "embed"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	awslambda "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
	"github.com/internal-alb/internal-alb/internal/policy"
	"github.com/internal-alb/internal-alb/internal/sg"
)

//go:embed handler/index.mjs
var handlerSource string

// HandlerFile is the function's source file inside its code archive.
const HandlerFile = "index.mjs"

// Endpoint places an interface endpoint for the Lambda API in one VPC.
type Endpoint struct {
	// Name of the VPC ("bar"); it prefixes the endpoint's resources.
	Name      string
	VpcID     pulumi.StringInput
	SubnetIDs []pulumi.StringInput
}

// PrivateFunctionArgs configure the function and its endpoints.
type PrivateFunctionArgs struct {
	FunctionName     string
	Runtime          string
	LogRetentionDays int
	Region           string
	Endpoints        []Endpoint
}

// PrivateFunction is the function and the private ways to invoke it.
type PrivateFunction struct {
	pulumi.ResourceState

	FunctionName pulumi.StringOutput
	FunctionArn  pulumi.StringOutput
	// InstanceProfileName is for instances that invoke the function.
	InstanceProfileName pulumi.StringOutput
	InvokerRoleArn      pulumi.StringOutput
	// Per endpoint, in the order of the args.
	EndpointIDs              []pulumi.StringOutput
	EndpointDNSNames         []pulumi.StringOutput
	EndpointSecurityGroupIDs []pulumi.StringOutput
}

// trust is the trust policy of a role that service assumes.
func trust(service string) pulumi.StringOutput {
	return pulumi.JSONMarshal(policy.Trust(service))
}

// NewPrivateFunction creates the function, its endpoints and the invoker role.
func NewPrivateFunction(ctx *pulumi.Context, name string, args *PrivateFunctionArgs, opts ...pulumi.ResourceOption) (*PrivateFunction, error) {
	if args.FunctionName == "" || args.Region == "" {
		return nil, fmt.Errorf("lambda: %s needs a function name and a region", name)
	}
	f := &PrivateFunction{}
	if err := ctx.RegisterComponentResource("internal-alb:lambda:PrivateFunction", name, f, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(f)

	// The log group exists before the function, so the function's role needs
	// no logs:CreateLogGroup and the retention applies from the first line.
	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + args.FunctionName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            nameTag("/aws/lambda/" + args.FunctionName),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}

	execRole, err := iam.NewRole(ctx, name+"-exec", &iam.RoleArgs{
		Description:      pulumi.String("Execution role of " + args.FunctionName + ": writes its own logs, nothing else"),
		Path:             pulumi.String(policy.IamPath),
		AssumeRolePolicy: trust("lambda.amazonaws.com"),
		Tags:             nameTag(name + "-exec"),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	execPolicy, err := iam.NewRolePolicy(ctx, name+"-exec-logs", &iam.RolePolicyArgs{
		Role: execRole.Name,
		Policy: logs.Arn.ApplyT(func(arn string) (string, error) {
			return policy.Of(policy.Allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, arn+":*")).JSON()
		}).(pulumi.StringOutput),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}

	fn, err := awslambda.NewFunction(ctx, name, &awslambda.FunctionArgs{
		Name:          pulumi.String(args.FunctionName),
		Description:   pulumi.String("Answers the consumer VPCs through the Lambda interface endpoint"),
		Runtime:       pulumi.String(args.Runtime),
		Handler:       pulumi.String("index.handler"),
		Architectures: pulumi.StringArray{pulumi.String("arm64")}, // cheaper per GB-second than x86_64
		MemorySize:    pulumi.Int(128),
		Timeout:       pulumi.Int(3),
		Role:          execRole.Arn,
		Code: pulumi.NewAssetArchive(map[string]any{
			HandlerFile: pulumi.NewStringAsset(handlerSource),
		}),
		Tags: nameTag(args.FunctionName),
	}, in, pulumi.DependsOn([]pulumi.Resource{logs, execPolicy}))
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	f.FunctionName = fn.Name
	f.FunctionArn = fn.Arn

	// The invoker: instances with this profile may invoke this function only.
	invoker, err := iam.NewRole(ctx, name+"-invoker", &iam.RoleArgs{
		Description:      pulumi.String("Instances that invoke " + args.FunctionName),
		Path:             pulumi.String(policy.IamPath),
		AssumeRolePolicy: trust("ec2.amazonaws.com"),
		Tags:             nameTag(name + "-invoker"),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-invoke", &iam.RolePolicyArgs{
		Role: invoker.Name,
		Policy: fn.Arn.ApplyT(func(arn string) (string, error) {
			return policy.Of(policy.Allow("lambda:InvokeFunction", arn)).JSON()
		}).(pulumi.StringOutput),
	}, in); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-invoker", &iam.InstanceProfileArgs{
		Role: invoker.Name,
		Path: pulumi.String(policy.IamPath),
		Tags: nameTag(name + "-invoker"),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	f.InstanceProfileName = profile.Name
	f.InvokerRoleArn = invoker.Arn

	// Through the endpoints, only the invoker role may call, and only Invoke
	// on this function: a stolen credential of any other account gets nowhere.
	endpointPolicy := pulumi.All(invoker.Arn, fn.Arn).ApplyT(func(v []any) (string, error) {
		return EndpointPolicy(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	for _, e := range args.Endpoints {
		n := fmt.Sprintf("%s-%s-endpoint", name, e.Name)
		// No rule of its own: each client that may invoke adds the pair of
		// rules for its own group (network.NewClient), so the endpoint admits
		// those groups and nothing else in the VPC.
		group, err := sg.NewGroup(ctx, n, e.VpcID, "Lambda interface endpoint: HTTPS from the invoking clients' groups only", in)
		if err != nil {
			return nil, fmt.Errorf("lambda: %w", err)
		}
		ep, err := ec2.NewVpcEndpoint(ctx, n, &ec2.VpcEndpointArgs{
			VpcId:             e.VpcID,
			ServiceName:       pulumi.Sprintf("com.amazonaws.%s.lambda", args.Region),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         inputs.StringArray(e.SubnetIDs),
			SecurityGroupIds:  pulumi.StringArray{group.ID()},
			Policy:            endpointPolicy,
			Tags:              pulumi.StringMap{"Name": pulumi.String(n)},
		}, in)
		if err != nil {
			return nil, fmt.Errorf("lambda: %w", err)
		}
		f.EndpointIDs = append(f.EndpointIDs, ep.ID().ToStringOutput())
		f.EndpointSecurityGroupIDs = append(f.EndpointSecurityGroupIDs, group.ID().ToStringOutput())
		f.EndpointDNSNames = append(f.EndpointDNSNames, ep.DnsEntries.Index(pulumi.Int(0)).DnsName().Elem())
	}

	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"functionName":        f.FunctionName,
		"functionArn":         f.FunctionArn,
		"instanceProfileName": f.InstanceProfileName,
		"invokerRoleArn":      f.InvokerRoleArn,
	}); err != nil {
		return nil, err
	}
	return f, nil
}

// EndpointPolicy is the Lambda endpoints' policy: invokerRole may invoke the
// function functionArn, and nothing else passes.
func EndpointPolicy(invokerRole, functionArn string) (string, error) {
	return policy.Of(policy.Statement{
		Sid: "InvokeThisFunctionOnly", Effect: "Allow",
		Principal: map[string]string{"AWS": invokerRole},
		Action:    "lambda:InvokeFunction", Resource: functionArn,
	}).JSON()
}

// nameTag is the Name tag a resource of the component carries.
func nameTag(n string) pulumi.StringMap { return pulumi.StringMap{"Name": pulumi.String(n)} }
