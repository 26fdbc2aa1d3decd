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

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/policy"
	"github.com/internal-alb/internal-alb/internal/pulumix"
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

var nameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

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
	switch {
	case !nameRe.MatchString(args.Name) || strings.HasPrefix(args.Name, "internal-"):
		return nil, fmt.Errorf("alb: internal-alb:albName %q must be 1-32 letters, digits or inner hyphens, not starting with \"internal-\"", args.Name)
	case len(args.SubnetIDs) < 2:
		return nil, fmt.Errorf("alb: %s needs private subnets in at least 2 AZs (internal-alb:azCount), got %d", args.Name, len(args.SubnetIDs))
	case args.WebCount < 1:
		return nil, fmt.Errorf("alb: %s needs at least one web server (internal-alb:webCount), got %d", args.Name, args.WebCount)
	}

	a := &InternalAlb{}
	if err := ctx.RegisterComponentResource("internal-alb:alb:InternalAlb", name, a, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(a)

	albGroup, err := sg.NewGroup(ctx, name+"-alb", args.VpcID, "Internal ALB: HTTP in from the service and consumer VPCs, out to the web servers", in)
	if err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	webGroup, err := sg.NewGroup(ctx, name+"-web", args.VpcID, fmt.Sprintf("Web servers: TCP %d from the internal ALB only", TargetPort), in)
	if err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	for _, c := range args.Clients {
		if err := sg.AllowIn(ctx, fmt.Sprintf("%s-alb-http-in-%s", name, c.Name), albGroup.ID(), ListenerPort, c.Peer, "HTTP from "+c.Name, in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}
	if err := sg.AllowOut(ctx, name+"-alb-to-web", albGroup.ID(), TargetPort, sg.Group(webGroup.ID()), "Forward and health-check to the web servers", in); err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	if err := sg.AllowIn(ctx, name+"-web-from-alb", webGroup.ID(), TargetPort, sg.Group(albGroup.ID()), "From the internal ALB", in); err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	if args.AdminSecurityGroupID != nil {
		if err := sg.AllowIn(ctx, name+"-web-ssh-in", webGroup.ID(), 22, sg.Group(args.AdminSecurityGroupID), "SSH from the service VPC's administrative entry point", in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}
	if args.S3PrefixListID != nil {
		if err := sg.AllowOut(ctx, name+"-web-s3-out", webGroup.ID(), 443, sg.PrefixList(args.S3PrefixListID), "HTTPS to S3 (package repositories, the log bucket) through the gateway endpoint", in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}

	lbArgs := &lb.LoadBalancerArgs{
		Name:                    pulumi.String(args.Name),
		Internal:                pulumi.Bool(true),
		LoadBalancerType:        pulumi.String("application"),
		Subnets:                 pulumix.StringArray(args.SubnetIDs),
		SecurityGroups:          pulumi.StringArray{albGroup.ID()},
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
		return nil, fmt.Errorf("alb: %w", err)
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
		return nil, fmt.Errorf("alb: %w", err)
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
		return nil, fmt.Errorf("alb: %w", err)
	}

	var profile pulumi.StringInput
	if args.WebObjects != nil {
		if profile, err = webProfile(ctx, name+"-web", args.WebObjects, in); err != nil {
			return nil, err
		}
	}
	for i := 0; i < args.WebCount; i++ {
		n := fmt.Sprintf("%s-web%d", name, i+1)
		var script strings.Builder
		if err := userData.Execute(&script, map[string]any{"Name": fmt.Sprintf("web%d", i+1), "Port": TargetPort}); err != nil {
			return nil, fmt.Errorf("alb: user data: %w", err)
		}
		web, err := instance.New(ctx, n, instance.Args{
			Ami:              args.Ami,
			InstanceType:     args.InstanceType,
			SubnetID:         args.SubnetIDs[i%len(args.SubnetIDs)],
			SecurityGroupIDs: pulumi.StringArray{webGroup.ID()},
			UserData:         script.String(),
			InstanceProfile:  profile,
			KeyName:          args.KeyName,
			Role:             "web",
		}, in)
		if err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
		// No port of its own: the target group's is the one place it is set.
		if _, err := lb.NewTargetGroupAttachment(ctx, n, &lb.TargetGroupAttachmentArgs{
			TargetGroupArn: tg.Arn,
			TargetId:       web.ID(),
		}, in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
		a.WebInstanceIDs = append(a.WebInstanceIDs, web.ID().ToStringOutput())
		a.WebPrivateIPs = append(a.WebPrivateIPs, web.PrivateIp)
	}

	a.DNSName = balancer.DnsName
	a.ZoneID = balancer.ZoneId
	a.Arn = balancer.Arn
	a.TargetGroupArn = tg.Arn
	a.SecurityGroupID = albGroup.ID().ToStringOutput()
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

// webProfile is the web servers' instance profile: a role that may write
// the objects given and do nothing else.
func webProfile(ctx *pulumi.Context, name string, objects pulumi.StringInput, in pulumi.ResourceOption) (pulumi.StringInput, error) {
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("Web servers: write their own logs to the stack's log bucket, nothing else"),
		Path:             pulumi.String(policy.IamPath),
		AssumeRolePolicy: pulumi.JSONMarshal(policy.Trust("ec2.amazonaws.com")),
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
	profile, err := iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{Role: role.Name, Path: pulumi.String(policy.IamPath)}, in)
	if err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	return profile.Name, nil
}
