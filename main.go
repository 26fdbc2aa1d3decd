// Command internal-alb is the Pulumi program: an internal ALB in a service
// VPC, reached privately from consumer VPCs over VPC peering or a Transit
// Gateway, with a private DNS name, a bastion per VPC, and a Lambda function
// invoked through an interface VPC endpoint.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/instance"
	"github.com/internal-alb/internal-alb/internal/pulumix"
	"github.com/internal-alb/internal-alb/internal/sg"
	"github.com/internal-alb/internal-alb/lambda"
	"github.com/internal-alb/internal-alb/logs"
	"github.com/internal-alb/internal-alb/network"
)

func main() {
	if devtool != nil && len(os.Args) > 1 {
		os.Exit(devtool(os.Args[1:]))
	}
	pulumi.Run(program)
}

// devtool runs the developer commands; it is set only in builds with
// -tags devtools (devtools.go), so the deployed program never carries them.
var devtool func(args []string) int

// program is the whole stack: what pulumi.Run runs, and what the tests and
// the local emulator run run too.
func program(ctx *pulumi.Context) error {
	outs, err := newStack(ctx)
	if err != nil {
		return err
	}
	for _, o := range outs {
		ctx.Export(o.name, o.value)
	}
	return nil
}

// newStack loads the config, composes the components and returns the stack
// outputs in the order users read them.
func newStack(ctx *pulumi.Context) ([]output, error) {
	stackCfg := pconfig.New(ctx, config.Namespace)
	cfg, err := config.Load(func(key string) (string, bool) {
		v, err := stackCfg.Try(key)
		return v, err == nil
	})
	if err != nil {
		return nil, fmt.Errorf("invalid stack config:\n%w", err)
	}
	look, err := lookUp(ctx, cfg)
	if err != nil {
		return nil, err
	}

	// Every VPC is checked before the first resource is created.
	serviceArgs, consumerArgs := vpcArgs(cfg, look)
	if err := serviceArgs.Check(cfg.ServiceVpc.Name); err != nil {
		return nil, err
	}
	for i, a := range consumerArgs {
		if err := a.Check(cfg.ConsumerVpcs[i].Name); err != nil {
			return nil, err
		}
	}

	// The log bucket first: the VPCs' flow logs and the ALB write to it.
	var bucket *logs.Bucket
	if cfg.Logs {
		// Named after the project: bucket names are global, and a deploy
		// role can be limited to internal-alb-logs-*.
		bucket, err = logs.NewBucket(ctx, "internal-alb-logs", &logs.BucketArgs{
			AccountID:      look.account,
			Region:         look.region,
			AlbLogWriter:   logs.AlbLogWriter(look.elbAccountArn),
			ExpirationDays: cfg.LogExpirationDays,
		})
		if err != nil {
			return nil, err
		}
	}
	var keyName pulumi.StringInput
	if cfg.SshPublicKey != "" {
		kp, err := instance.NewKeyPair(ctx, "admin", cfg.SshPublicKey)
		if err != nil {
			return nil, err
		}
		keyName = kp.KeyName
	}
	for _, a := range append([]*network.VpcArgs{serviceArgs}, consumerArgs...) {
		if a.Admin != nil && a.Admin.Bastion != nil {
			a.Admin.Bastion.KeyName = keyName
		}
		if bucket != nil {
			a.FlowLogDestination = bucket.FlowLogDestination
		}
	}
	if bucket != nil && cfg.S3GatewayEndpoint {
		serviceArgs.S3Writable = []pulumi.StringInput{bucket.WebObjects} // the web servers' own logs
	}
	service, err := network.NewVpc(ctx, cfg.ServiceVpc.Name, serviceArgs)
	if err != nil {
		return nil, err
	}
	var consumers []*network.Vpc
	for i, a := range consumerArgs {
		c, err := network.NewVpc(ctx, cfg.ConsumerVpcs[i].Name, a)
		if err != nil {
			return nil, err
		}
		consumers = append(consumers, c)
	}

	// Connectivity between the service VPC and each consumer. ready[i] is
	// known once consumer i can reach the service VPC.
	var connectivityID pulumi.Input
	var ready []pulumi.StringOutput
	switch cfg.Connectivity {
	case config.Peering:
		p, err := network.NewPeering(ctx, "peering", &network.PeeringArgs{Hub: service, Spokes: consumers})
		if err != nil {
			return nil, err
		}
		connectivityID, ready = pulumix.StringArray(p.ConnectionIDs), p.ConnectionIDs
	case config.TransitGateway:
		t, err := network.NewTransitGateway(ctx, "tgw", &network.TransitGatewayArgs{Hub: service, Spokes: consumers})
		if err != nil {
			return nil, err
		}
		connectivityID = t.TransitGatewayID
	}

	// The function, an endpoint in each consumer VPC, and the invoker role.
	var endpoints []lambda.Endpoint
	for _, c := range consumers {
		subnets := pulumix.Inputs(c.PrivateSubnetIDs)
		if !cfg.EndpointPerAz {
			subnets = subnets[:1] // the clients' AZ
		}
		endpoints = append(endpoints, lambda.Endpoint{Name: c.Name(), VpcID: c.VpcID, SubnetIDs: subnets})
	}
	fn, err := lambda.NewPrivateFunction(ctx, cfg.LambdaName, &lambda.PrivateFunctionArgs{
		FunctionName:     cfg.LambdaName,
		Runtime:          cfg.LambdaRuntime,
		LogRetentionDays: cfg.LogRetentionDays,
		Region:           look.region,
		Endpoints:        endpoints,
	})
	if err != nil {
		return nil, err
	}

	// A client in each consumer VPC.
	var clients []*network.Client
	for i, c := range consumers {
		cl, err := network.NewClient(ctx, c.Name()+"-client", &network.ClientArgs{
			Vpc:                     c,
			Ami:                     look.ami,
			InstanceType:            cfg.InstanceType,
			ServiceCidr:             service.Cidr,
			EndpointSecurityGroupID: fn.EndpointSecurityGroupIDs[i],
			InstanceProfile:         fn.InstanceProfileName,
			KeyName:                 keyName,
		})
		if err != nil {
			return nil, err
		}
		clients = append(clients, cl)
	}

	// The internal ALB and its web servers in the service VPC.
	albArgs := &alb.InternalAlbArgs{
		Name:         cfg.AlbName,
		VpcID:        service.VpcID,
		SubnetIDs:    pulumix.Inputs(service.PrivateSubnetIDs),
		Clients:      albClients(consumers, clients, ready),
		WebCount:     cfg.WebCount,
		Ami:          look.ami,
		InstanceType: cfg.InstanceType,
		KeyName:      keyName,
	}
	if service.Admin != nil {
		albArgs.AdminSecurityGroupID = service.Admin.SecurityGroupID
	}
	if service.HasS3Endpoint() {
		albArgs.S3PrefixListID = service.S3PrefixListID
	}
	if bucket != nil {
		albArgs.AccessLogsBucket, albArgs.AccessLogsPrefix = bucket.AlbBucket, logs.AlbPrefix
		if service.HasS3Endpoint() {
			albArgs.WebObjects = bucket.WebObjects
		}
	}
	lbal, err := alb.NewInternalAlb(ctx, "web", albArgs)
	if err != nil {
		return nil, err
	}

	// The private name, resolvable in every VPC of the stack.
	vpcIDs := []pulumi.StringInput{service.VpcID}
	for _, c := range consumers {
		vpcIDs = append(vpcIDs, c.VpcID)
	}
	zone, err := dns.NewPrivateZone(ctx, "zone", &dns.PrivateZoneArgs{
		Name:    cfg.ZoneName,
		Region:  look.region,
		VpcIDs:  vpcIDs,
		Aliases: []dns.Alias{{Name: cfg.RecordName, DNSName: lbal.DNSName, ZoneID: lbal.ZoneID}},
	})
	if err != nil {
		return nil, err
	}

	return stackOutputs(cfg, parts{
		service: service, consumers: consumers, connectivityID: connectivityID,
		alb: lbal, zone: zone, fn: fn, clients: clients, region: look.region,
	}), nil
}

// lookups are what the program asks AWS before composing anything.
type lookups struct {
	region, account string
	azs             []string
	ami             pulumi.StringInput
	// elbAccountArn is the account that delivers the region's ALB access
	// logs ("" in regions opened since August 2022, which use a service
	// principal instead).
	elbAccountArn string
}

// lookUp reads the region, the account, the first N available AZs, the
// current AL2023 AMI and the region's ALB log writer.
func lookUp(ctx *pulumi.Context, cfg config.Config) (lookups, error) {
	var l lookups
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return l, fmt.Errorf("looking up the region: %w", err)
	}
	l.region = region.Name
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return l, fmt.Errorf("looking up the account: %w", err)
	}
	l.account = caller.AccountId
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")})
	if err != nil {
		return l, fmt.Errorf("looking up availability zones: %w", err)
	}
	if len(zones.Names) < cfg.AzCount {
		return l, fmt.Errorf("%s: %d is more than the %d available zones of %s (%v)", config.Key("azCount"), cfg.AzCount, len(zones.Names), region.Name, zones.Names)
	}
	l.azs = zones.Names[:cfg.AzCount]
	ami, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{
		Owners:     []string{"amazon"},
		MostRecent: pulumi.BoolRef(true),
		Filters: []ec2.GetAmiFilter{
			{Name: "name", Values: []string{"al2023-ami-2023.*-x86_64"}},
			{Name: "architecture", Values: []string{"x86_64"}},
			{Name: "state", Values: []string{"available"}},
		},
	})
	if err != nil {
		return l, fmt.Errorf("looking up the Amazon Linux 2023 AMI: %w", err)
	}
	l.ami = pulumi.String(ami.Id)
	if cfg.Logs {
		// The provider knows the ELB account of every region opened before
		// August 2022 and refuses the newer ones, which take the service
		// principal: its error is the answer, not a failure.
		if acct, err := elb.GetServiceAccount(ctx, &elb.GetServiceAccountArgs{Region: pulumi.StringRef(l.region)}); err == nil {
			l.elbAccountArn = acct.Arn
		}
	}
	return l, nil
}

// vpcArgs are the service VPC's and each consumer's args, each with the
// network ACL flows of its part in the mission.
func vpcArgs(cfg config.Config, look lookups) (*network.VpcArgs, []*network.VpcArgs) {
	args := func(v config.Vpc, flows []network.Flow) *network.VpcArgs {
		a := &network.VpcArgs{
			Cidr:               v.Cidr,
			AvailabilityZones:  look.azs,
			SubnetPrefixLength: cfg.SubnetPrefixLength,
			Nat:                cfg.NatFor(v),
			S3GatewayEndpoint:  cfg.S3GatewayEndpoint,
			Region:             look.region,
			Flows:              flows,
		}
		switch cfg.AdminAccess {
		case config.AdminBastion:
			a.Admin = &network.AdminArgs{Bastion: &network.Bastion{AdminCidrs: cfg.AdminCidrs, InstanceType: cfg.InstanceType, Ami: look.ami}}
		case config.AdminInstanceConnectEndpoint:
			a.Admin = &network.AdminArgs{}
		}
		return a
	}
	// The service VPC: the ALB's nodes forward across its private subnets,
	// and the consumers reach the listener.
	flows := network.Within(alb.TargetPort, cfg.ServiceVpc.Cidr)
	for _, c := range cfg.ConsumerVpcs {
		flows = append(flows, network.Flow{Port: alb.ListenerPort, Cidr: c.Cidr, Inbound: true})
	}
	service := args(cfg.ServiceVpc, flows)
	// Each consumer: its clients call the Lambda endpoint (in another
	// private subnet with endpointPerAz) and the ALB in the service VPC.
	var consumers []*network.VpcArgs
	for _, v := range cfg.ConsumerVpcs {
		flows := append(network.Within(443, v.Cidr), network.Flow{Port: alb.ListenerPort, Cidr: cfg.ServiceVpc.Cidr})
		consumers = append(consumers, args(v, flows))
	}
	return service, consumers
}

// albClients are who may reach the listener: each consumer's client group,
// referenced across the peering once it is active (ready[i]); over a Transit
// Gateway, where groups cannot be referenced, the consumer's private subnets.
func albClients(consumers []*network.Vpc, clients []*network.Client, ready []pulumi.StringOutput) []alb.Client {
	var out []alb.Client
	for i, c := range consumers {
		if ready != nil {
			out = append(out, alb.Client{Name: c.Name() + "-client", Peer: sg.Group(pulumix.After(clients[i].SecurityGroupID, ready[i]))})
			continue
		}
		for j, cidr := range c.PrivateSubnetCidrs {
			out = append(out, alb.Client{Name: fmt.Sprintf("%s-private-%d", c.Name(), j+1), Peer: sg.Cidr(cidr)})
		}
	}
	return out
}
