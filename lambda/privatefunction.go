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
	// Account is the VPC's account when it is not the function's ("" when
	// it is), and Provider acts there.
	Account  string
	Provider pulumi.ProviderResource
	// ClientCidrs are admitted by the endpoint's group on HTTPS, for callers
	// the stack does not create (instances of an existing VPC). A client the
	// stack creates adds a rule for its own group instead (network.NewClient).
	ClientCidrs []string
}

// Invoker is the role that instances of one account take to invoke the
// function: an instance profile and the role's ARN.
type Invoker struct {
	InstanceProfileName pulumi.StringOutput
	RoleArn             pulumi.StringOutput
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
	Invokers                 []Invoker // the invoker of the endpoint's account
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

	own, err := newInvoker(ctx, name, args.FunctionName, fn, "", nil, in)
	if err != nil {
		return nil, err
	}
	f.InstanceProfileName, f.InvokerRoleArn = own.InstanceProfileName, own.RoleArn
	invokers := map[string]Invoker{"": own}

	for _, e := range args.Endpoints {
		inv, ok := invokers[e.Account]
		if !ok {
			if inv, err = newInvoker(ctx, name, args.FunctionName, fn, e.Account, e.Provider, in); err != nil {
				return nil, err
			}
			invokers[e.Account] = inv
		}
		f.Invokers = append(f.Invokers, inv)
		if err := f.addEndpoint(ctx, name, args.Region, e, inv.RoleArn, fn.Arn, in); err != nil {
			return nil, err
		}
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

// newInvoker creates the invoker role of an account ("" for the function's
// own) with its instance profile: instances with it may invoke this
// function only. An invoker in another account is also named in the
// function's resource policy, since a call across accounts needs both sides
// to allow it; the policy names the role, not the account, so nothing else
// there may invoke.
func newInvoker(ctx *pulumi.Context, name, functionName string, fn *awslambda.Function, account string, provider pulumi.ProviderResource, in pulumi.ResourceOption) (Invoker, error) {
	n := name + "-invoker"
	opts := []pulumi.ResourceOption{in}
	if account != "" {
		n += "-" + account
		opts = append(opts, pulumi.Provider(provider))
	}
	role, err := iam.NewRole(ctx, n, &iam.RoleArgs{
		Description:      pulumi.String("Instances that invoke " + functionName),
		Path:             pulumi.String(policy.IamPath),
		AssumeRolePolicy: trust("ec2.amazonaws.com"),
		Tags:             nameTag(n),
	}, opts...)
	if err != nil {
		return Invoker{}, fmt.Errorf("lambda: %w", err)
	}
	policyName := name + "-invoke"
	if account != "" {
		policyName += "-" + account
	}
	if _, err := iam.NewRolePolicy(ctx, policyName, &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: fn.Arn.ApplyT(func(arn string) (string, error) {
			return policy.Of(policy.Allow("lambda:InvokeFunction", arn)).JSON()
		}).(pulumi.StringOutput),
	}, opts...); err != nil {
		return Invoker{}, fmt.Errorf("lambda: %w", err)
	}
	profile, err := iam.NewInstanceProfile(ctx, n, &iam.InstanceProfileArgs{
		Role: role.Name,
		Path: pulumi.String(policy.IamPath),
		Tags: nameTag(n),
	}, opts...)
	if err != nil {
		return Invoker{}, fmt.Errorf("lambda: %w", err)
	}
	if account != "" {
		if _, err := awslambda.NewPermission(ctx, policyName, &awslambda.PermissionArgs{
			Function:    fn.Name,
			Action:      pulumi.String("lambda:InvokeFunction"),
			Principal:   role.Arn,
			StatementId: pulumi.String("InvokeFrom" + account),
		}, in); err != nil {
			return Invoker{}, fmt.Errorf("lambda: %w", err)
		}
	}
	return Invoker{InstanceProfileName: profile.Name, RoleArn: role.Arn}, nil
}

// addEndpoint creates the endpoint in one VPC, with its group, in the VPC's
// account. Through it, only the invoker role may call, and only Invoke on
// this function: a stolen credential of any other principal gets nowhere.
func (f *PrivateFunction) addEndpoint(ctx *pulumi.Context, name, region string, e Endpoint, invokerArn, fnArn pulumi.StringOutput, in pulumi.ResourceOption) error {
	n := fmt.Sprintf("%s-%s-endpoint", name, e.Name)
	opts := []pulumi.ResourceOption{in}
	if e.Provider != nil {
		opts = append(opts, pulumi.Provider(e.Provider))
	}
	description := "Lambda interface endpoint: HTTPS from the invoking clients' groups only"
	if len(e.ClientCidrs) > 0 {
		description = "Lambda interface endpoint: HTTPS from the connected subnets only"
	}
	group, err := sg.NewGroup(ctx, n, e.VpcID, description, opts...)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	// Each client the stack creates adds the pair of rules for its own group
	// (network.NewClient); callers it does not create are admitted by block.
	for i, cidr := range e.ClientCidrs {
		if err := sg.AllowIn(ctx, fmt.Sprintf("%s-in-%d", n, i+1), group.ID(), 443, sg.Cidr(cidr), "HTTPS from the VPC's own instances in "+cidr, opts...); err != nil {
			return fmt.Errorf("lambda: %w", err)
		}
	}
	endpointPolicy := pulumi.All(invokerArn, fnArn).ApplyT(func(v []any) (string, error) {
		return EndpointPolicy(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	ep, err := ec2.NewVpcEndpoint(ctx, n, &ec2.VpcEndpointArgs{
		VpcId:             e.VpcID,
		ServiceName:       pulumi.Sprintf("com.amazonaws.%s.lambda", region),
		VpcEndpointType:   pulumi.String("Interface"),
		PrivateDnsEnabled: pulumi.Bool(true),
		SubnetIds:         inputs.StringArray(e.SubnetIDs),
		SecurityGroupIds:  pulumi.StringArray{group.ID()},
		Policy:            endpointPolicy,
		Tags:              pulumi.StringMap{"Name": pulumi.String(n)},
	}, opts...)
	if err != nil {
		return fmt.Errorf("lambda: %w", err)
	}
	f.EndpointIDs = append(f.EndpointIDs, ep.ID().ToStringOutput())
	f.EndpointSecurityGroupIDs = append(f.EndpointSecurityGroupIDs, group.ID().ToStringOutput())
	f.EndpointDNSNames = append(f.EndpointDNSNames, ep.DnsEntries.Index(pulumi.Int(0)).DnsName().Elem())
	return nil
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
