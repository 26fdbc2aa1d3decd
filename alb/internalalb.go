// Package alb builds the internal Application Load Balancer of the service
// VPC, with its target group, listener, security groups and the web servers
// behind it.
package alb

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/policy"
	"github.com/internal-alb/internal-alb/internal/sg"
)

// Ports of the mission: clients speak HTTP to the ALB on ListenerPort, the
// ALB forwards to the web servers on TargetPort.
const (
	ListenerPort = 80
	TargetPort   = 8080
)

//go:embed userdata.sh.tmpl
var userDataTemplate string

var userData = template.Must(template.New("userdata").Parse(userDataTemplate))

var nameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)

// CheckName returns why name cannot be an ALB's name, or nil: AWS's rule,
// the one both the config and the component apply.
func CheckName(name string) error {
	switch {
	case len(name) == 0 || len(name) > 32:
		return fmt.Errorf("must be 1-32 characters")
	case !nameRe.MatchString(name):
		return fmt.Errorf("may hold only letters, digits and hyphens, and must not start or end with a hyphen")
	case strings.HasPrefix(name, "internal-"):
		return fmt.Errorf("must not start with \"internal-\"")
	}
	return nil
}

// InternalAlbArgs configure the ALB and its web servers.
type InternalAlbArgs struct {
	// Name is the ALB's name in AWS (config key albName).
	Name  string
	VpcID pulumi.StringInput
	// SubnetIDs are private subnets in at least two AZs; the web servers are
	// spread over them in order.
	SubnetIDs []pulumi.StringInput
	// Clients may reach the listener: the consumers' client groups, or
	// address blocks where a group cannot be referenced.
	Clients  []Client
	WebCount int
	Ami      pulumi.StringInput
	// InstanceType of the web servers.
	InstanceType string
	// AdminSecurityGroupID, when set, may SSH to the web servers.
	AdminSecurityGroupID pulumi.StringInput
	// KeyName, when set, is an EC2 key pair on the web servers.
	KeyName pulumi.StringInput
	// S3PrefixListID, when set, lets the web servers reach S3 (package
	// repositories, the log bucket) through the VPC's gateway endpoint.
	S3PrefixListID pulumi.StringInput
	// AccessLogsBucket, when set, receives the ALB's access logs under
	// AccessLogsPrefix. It must already admit the region's log writer.
	AccessLogsBucket pulumi.StringInput
	AccessLogsPrefix string
	// WebObjects, when set, is the S3 object ARN pattern the web servers may
	// write (their role allows s3:PutObject there and nowhere else).
	WebObjects pulumi.StringInput
}

// Client is a source admitted to the listener.
type Client struct {
	Name string // for the rule's name and description
	Peer sg.Peer
}

// InternalAlb is an internal ALB in private subnets. Its group admits HTTP only
// from the client CIDRs and sends only to the web group on the target port;
// the web group admits the target port only from the ALB's group.
type InternalAlb struct {
	pulumi.ResourceState

	DNSName         pulumi.StringOutput
	ZoneID          pulumi.StringOutput
	Arn             pulumi.StringOutput
	TargetGroupArn  pulumi.StringOutput
	SecurityGroupID pulumi.StringOutput
	WebInstanceIDs  []pulumi.StringOutput
	WebPrivateIPs   []pulumi.StringOutput
}

// NewInternalAlb creates the ALB, its listener and target group, the web
// servers and their registration.
func NewInternalAlb(ctx *pulumi.Context, name string, args *InternalAlbArgs, opts ...pulumi.ResourceOption) (*InternalAlb, error) {
	if err := CheckName(args.Name); err != nil {
		return nil, fmt.Errorf("alb: name %q %v", args.Name, err)
	}
	switch {
	case len(args.SubnetIDs) < 2:
		return nil, fmt.Errorf("alb: %s needs private subnets in at least 2 AZs, got %d", args.Name, len(args.SubnetIDs))
	case args.WebCount < 1:
		return nil, fmt.Errorf("alb: %s needs at least one web server, got %d", args.Name, args.WebCount)
	}

	a := &InternalAlb{}
	if err := ctx.RegisterComponentResource("internal-alb:alb:InternalAlb", name, a, opts...); err != nil {
		return nil, err
	}
	b := &albBuilder{ctx: ctx, name: name, args: args, a: a, in: pulumi.Parent(a)}
	for _, step := range []func() error{b.securityGroups, b.loadBalancer, b.webServers} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{
		"dnsName":         a.DNSName,
		"zoneId":          a.ZoneID,
		"arn":             a.Arn,
		"targetGroupArn":  a.TargetGroupArn,
		"securityGroupId": a.SecurityGroupID,
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// albBuilder holds what NewInternalAlb's steps share.
type albBuilder struct {
	ctx      *pulumi.Context
	name     string
	args     *InternalAlbArgs
	a        *InternalAlb
	in       pulumi.ResourceOption
	webGroup *ec2.SecurityGroup
}

// securityGroups creates the ALB's group and the web servers' group with
// their rules: HTTP in from the clients, the target port from the ALB only,
// SSH from the admin entry point, HTTPS to S3's prefix list.
func (b *albBuilder) securityGroups() error {
	ctx, name, args, in := b.ctx, b.name, b.args, b.in
	albGroup, err := sg.NewGroup(ctx, name+"-alb", args.VpcID, "Internal ALB: HTTP in from the service and consumer VPCs, out to the web servers", in)
	if err != nil {
		return fmt.Errorf("alb: %w", err)
	}
	webGroup, err := sg.NewGroup(ctx, name+"-web", args.VpcID, fmt.Sprintf("Web servers: TCP %d from the internal ALB only", TargetPort), in)
	if err != nil {
		return fmt.Errorf("alb: %w", err)
	}
	rules := []func() error{
		func() error {
			return sg.AllowOut(ctx, name+"-alb-to-web", albGroup.ID(), TargetPort, sg.Group(webGroup.ID()), "Forward and health-check to the web servers", in)
		},
		func() error {
			return sg.AllowIn(ctx, name+"-web-from-alb", webGroup.ID(), TargetPort, sg.Group(albGroup.ID()), "From the internal ALB", in)
		},
	}
	for _, c := range args.Clients {
		rules = append(rules, func() error {
			return sg.AllowIn(ctx, fmt.Sprintf("%s-alb-http-in-%s", name, c.Name), albGroup.ID(), ListenerPort, c.Peer, "HTTP from "+c.Name, in)
		})
	}
	if args.AdminSecurityGroupID != nil {
		rules = append(rules, func() error {
			return sg.AllowIn(ctx, name+"-web-ssh-in", webGroup.ID(), 22, sg.Group(args.AdminSecurityGroupID), "SSH from the service VPC's administrative entry point", in)
		})
	}
	if args.S3PrefixListID != nil {
		rules = append(rules, func() error {
			return sg.AllowOut(ctx, name+"-web-s3-out", webGroup.ID(), 443, sg.PrefixList(args.S3PrefixListID), "HTTPS to S3 (package repositories, the log bucket) through the gateway endpoint", in)
		})
	}
	for _, r := range rules {
		if err := r(); err != nil {
			return fmt.Errorf("alb: %w", err)
		}
	}
	b.webGroup = webGroup
	b.a.SecurityGroupID = albGroup.ID().ToStringOutput()
	return nil
}

// loadBalancer creates the ALB, its target group and its listener.
func (b *albBuilder) loadBalancer() error {
	ctx, name, args, in := b.ctx, b.name, b.args, b.in
	lbArgs := &lb.LoadBalancerArgs{
		Name:                    pulumi.String(args.Name),
		Internal:                pulumi.Bool(true),
		LoadBalancerType:        pulumi.String("application"),
		Subnets:                 inputs.StringArray(args.SubnetIDs),
		SecurityGroups:          pulumi.StringArray{b.a.SecurityGroupID},
		DropInvalidHeaderFields: pulumi.Bool(true),
		DesyncMitigationMode:    pulumi.String("defensive"),
		Tags:                    pulumi.StringMap{"Name": pulumi.String(args.Name)},
	}
	if args.AccessLogsBucket != nil {
		lbArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  args.AccessLogsBucket,
			Prefix:  pulumi.String(args.AccessLogsPrefix),
			Enabled: pulumi.Bool(true),
		}
	}
	balancer, err := lb.NewLoadBalancer(ctx, name, lbArgs, in)
	if err != nil {
		return fmt.Errorf("alb: %w", err)
	}
	tg, err := lb.NewTargetGroup(ctx, name+"-web", &lb.TargetGroupArgs{
		Port:       pulumi.Int(TargetPort),
		Protocol:   pulumi.String("HTTP"),
		TargetType: pulumi.String("instance"),
		VpcId:      args.VpcID,
		// Short draining: the page is static, and destroy waits for it.
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Path:               pulumi.String("/"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(30),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(3),
			UnhealthyThreshold: pulumi.Int(2),
		},
		Tags: pulumi.StringMap{"Name": pulumi.String(name + "-web")},
	}, in)
	if err != nil {
		return fmt.Errorf("alb: %w", err)
	}
	if _, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
		LoadBalancerArn: balancer.Arn,
		Port:            pulumi.Int(ListenerPort),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: tg.Arn,
		}},
		Tags: pulumi.StringMap{"Name": pulumi.String(name + "-http")},
	}, in); err != nil {
		return fmt.Errorf("alb: %w", err)
	}
	b.a.DNSName, b.a.ZoneID, b.a.Arn, b.a.TargetGroupArn = balancer.DnsName, balancer.ZoneId, balancer.Arn, tg.Arn
	return nil
}

// webServers creates the web servers, spread over the subnets in order,
// and registers each with the target group.
func (b *albBuilder) webServers() error {
	ctx, name, args, in := b.ctx, b.name, b.args, b.in
	var profile pulumi.StringInput
	if args.WebObjects != nil {
		var err error
		if profile, err = webProfile(ctx, name+"-web", args.WebObjects, in); err != nil {
			return err
		}
	}
	for i := 0; i < args.WebCount; i++ {
		n := fmt.Sprintf("%s-web%d", name, i+1)
		var script strings.Builder
		if err := userData.Execute(&script, map[string]any{"Name": fmt.Sprintf("web%d", i+1), "Port": TargetPort}); err != nil {
			return fmt.Errorf("alb: user data: %w", err)
		}
		web, err := instance.New(ctx, n, instance.Args{
			Ami:              args.Ami,
			InstanceType:     args.InstanceType,
			SubnetID:         args.SubnetIDs[i%len(args.SubnetIDs)],
			SecurityGroupIDs: pulumi.StringArray{b.webGroup.ID()},
			UserData:         script.String(),
			InstanceProfile:  profile,
			KeyName:          args.KeyName,
			Role:             "web",
		}, in)
		if err != nil {
			return fmt.Errorf("alb: %w", err)
		}
		// No port of its own: the target group's is the one place it is set.
		if _, err := lb.NewTargetGroupAttachment(ctx, n, &lb.TargetGroupAttachmentArgs{
			TargetGroupArn: b.a.TargetGroupArn,
			TargetId:       web.ID(),
		}, in); err != nil {
			return fmt.Errorf("alb: %w", err)
		}
		b.a.WebInstanceIDs = append(b.a.WebInstanceIDs, web.ID().ToStringOutput())
		b.a.WebPrivateIPs = append(b.a.WebPrivateIPs, web.PrivateIp)
	}
	return nil
}

// webProfile is the web servers' instance profile: a role that may write
// the objects given and do nothing else.
func webProfile(ctx *pulumi.Context, name string, objects pulumi.StringInput, in pulumi.ResourceOption) (pulumi.StringInput, error) {
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("Web servers: write their own logs to the stack's log bucket, nothing else"),
		Path:             pulumi.String(policy.IamPath),
		AssumeRolePolicy: pulumi.JSONMarshal(policy.Trust("ec2.amazonaws.com")),
		Tags:             pulumi.StringMap{"Name": pulumi.String(name)},
	}, in)
	if err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-logs", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: objects.ToStringOutput().ApplyT(func(o string) (string, error) {
			return policy.Of(policy.Allow("s3:PutObject", o)).JSON()
		}).(pulumi.StringOutput),
	}, in); err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	profile, err := iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{
		Role: role.Name, Path: pulumi.String(policy.IamPath), Tags: pulumi.StringMap{"Name": pulumi.String(name)},
	}, in)
	if err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	return profile.Name, nil
}
