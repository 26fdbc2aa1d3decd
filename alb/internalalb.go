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

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/instance"
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
	// ClientCidrs may reach the listener: the service VPC's block and every
	// consumer VPC's block.
	ClientCidrs []string
	WebCount    int
	Ami         pulumi.StringInput
	// InstanceType of the web servers.
	InstanceType string
	// BastionSecurityGroupID, when set, may SSH to the web servers.
	BastionSecurityGroupID pulumi.StringInput
	// S3PrefixListID, when set, lets the web servers reach S3 (package
	// repositories) through the VPC's gateway endpoint.
	S3PrefixListID pulumi.StringInput
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
	for i, cidr := range args.ClientCidrs {
		if err := sg.AllowIn(ctx, fmt.Sprintf("%s-alb-http-in-%d", name, i+1), albGroup.ID(), ListenerPort, sg.Cidr(cidr), "HTTP from "+cidr, in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}
	if err := sg.AllowOut(ctx, name+"-alb-to-web", albGroup.ID(), TargetPort, sg.Group(webGroup.ID()), "Forward and health-check to the web servers", in); err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	if err := sg.AllowIn(ctx, name+"-web-from-alb", webGroup.ID(), TargetPort, sg.Group(albGroup.ID()), "From the internal ALB", in); err != nil {
		return nil, fmt.Errorf("alb: %w", err)
	}
	if args.BastionSecurityGroupID != nil {
		if err := sg.AllowIn(ctx, name+"-web-ssh-in", webGroup.ID(), 22, sg.Group(args.BastionSecurityGroupID), "SSH from the service VPC's bastion", in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}
	if args.S3PrefixListID != nil {
		if err := sg.AllowOut(ctx, name+"-web-s3-out", webGroup.ID(), 443, sg.PrefixList(args.S3PrefixListID), "HTTPS to S3 (package repositories) through the gateway endpoint", in); err != nil {
			return nil, fmt.Errorf("alb: %w", err)
		}
	}

	balancer, err := lb.NewLoadBalancer(ctx, name, &lb.LoadBalancerArgs{
		Name:                    pulumi.String(args.Name),
		Internal:                pulumi.Bool(true),
		LoadBalancerType:        pulumi.String("application"),
		Subnets:                 pulumix.StringArray(args.SubnetIDs),
		SecurityGroups:          pulumi.StringArray{albGroup.ID()},
		DropInvalidHeaderFields: pulumi.Bool(true),
		DesyncMitigationMode:    pulumi.String("defensive"),
		Tags:                    pulumi.StringMap{"Name": pulumi.String(args.Name)},
	}, in)
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
