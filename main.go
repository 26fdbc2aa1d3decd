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
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/pulumix"
	"github.com/internal-alb/internal-alb/lambda"
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

	// Look-ups: region, the first N available AZs, the current AL2023 AMI.
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("looking up the region: %w", err)
	}
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")})
	if err != nil {
		return nil, fmt.Errorf("looking up availability zones: %w", err)
	}
	if len(zones.Names) < cfg.AzCount {
		return nil, fmt.Errorf("%s: %d is more than the %d available zones of %s (%v)", config.Key("azCount"), cfg.AzCount, len(zones.Names), region.Name, zones.Names)
	}
	azs := zones.Names[:cfg.AzCount]
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
		return nil, fmt.Errorf("looking up the Amazon Linux 2023 AMI: %w", err)
	}
	amiID := pulumi.String(ami.Id)

	// VPCs: the service VPC first, then the consumers.
	newVpc := func(v config.Vpc) (*network.Vpc, error) {
		args := &network.VpcArgs{
			Cidr:               v.Cidr,
			AvailabilityZones:  azs,
			SubnetPrefixLength: cfg.SubnetPrefixLength,
			Nat:                cfg.NatFor(v),
			S3GatewayEndpoint:  cfg.S3GatewayEndpoint,
			Region:             region.Name,
		}
		if cfg.Bastion {
			args.Bastion = &network.Bastion{AdminCidrs: cfg.AdminCidrs, InstanceType: cfg.InstanceType, Ami: amiID}
		}
		return network.NewVpc(ctx, v.Name, args)
	}
	service, err := newVpc(cfg.ServiceVpc)
	if err != nil {
		return nil, err
	}
	var consumers []*network.Vpc
	for _, v := range cfg.ConsumerVpcs {
		c, err := newVpc(v)
		if err != nil {
			return nil, err
		}
		consumers = append(consumers, c)
	}

	// Connectivity between the service VPC and each consumer.
	var connectivityID pulumi.Input
	switch cfg.Connectivity {
	case config.Peering:
		p, err := network.NewPeering(ctx, "peering", &network.PeeringArgs{Hub: service, Spokes: consumers})
		if err != nil {
			return nil, err
		}
		connectivityID = pulumix.StringArray(p.ConnectionIDs)
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
		endpoints = append(endpoints, lambda.Endpoint{Name: c.Name(), VpcID: c.VpcID, Cidr: c.Cidr, SubnetIDs: subnets})
	}
	fn, err := lambda.NewPrivateFunction(ctx, cfg.LambdaName, &lambda.PrivateFunctionArgs{
		FunctionName:     cfg.LambdaName,
		Runtime:          cfg.LambdaRuntime,
		LogRetentionDays: cfg.LogRetentionDays,
		Region:           region.Name,
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
			Ami:                     amiID,
			InstanceType:            cfg.InstanceType,
			ServiceCidr:             service.Cidr,
			EndpointSecurityGroupID: fn.EndpointSecurityGroupIDs[i],
			InstanceProfile:         fn.InstanceProfileName,
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
		WebCount:     cfg.WebCount,
		Ami:          amiID,
		InstanceType: cfg.InstanceType,
	}
	for _, v := range cfg.AllVpcs() {
		albArgs.ClientCidrs = append(albArgs.ClientCidrs, v.Cidr)
	}
	if service.HasBastion() {
		albArgs.BastionSecurityGroupID = service.BastionSecurityGroupID
	}
	if service.HasS3Endpoint() {
		albArgs.S3PrefixListID = service.S3PrefixListID
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
		Region:  region.Name,
		VpcIDs:  vpcIDs,
		Aliases: []dns.Alias{{Name: cfg.RecordName, DNSName: lbal.DNSName, ZoneID: lbal.ZoneID}},
	})
	if err != nil {
		return nil, err
	}

	return stackOutputs(cfg, parts{
		service: service, consumers: consumers, connectivityID: connectivityID,
		alb: lbal, zone: zone, fn: fn, clients: clients, region: region.Name,
	}), nil
}
