// Command internal-alb is the Pulumi program: an internal ALB in a service
// VPC, reached privately from consumer VPCs over VPC peering or a Transit
// Gateway, with a private DNS name, a bastion per VPC, and a Lambda function
// invoked through an interface VPC endpoint.
package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/inputs"
	"github.com/internal-alb/internal-alb/internal/instance"
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
	if err := tagEveryResource(ctx); err != nil {
		return err
	}
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
	// Keys it does not read first: a typo of a key is why its value is missing.
	if err = errors.Join(config.StackKeysOf(ctx).Check(), err); err != nil {
		return nil, fmt.Errorf("invalid stack config:\n%w", err)
	}
	look, err := lookUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cl, err := lookUpConsumers(ctx, cfg, look)
	if err != nil {
		return nil, err
	}
	c := &composer{ctx: ctx, cfg: cfg, look: look, cl: cl}
	c.region = look.region
	for _, step := range []func() error{
		c.checkVpcs, // before the first resource
		c.logBucket, c.keyPair, c.vpcs, c.connect, c.function, c.clientInstances, c.loadBalancer, c.privateZone,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return stackOutputs(cfg, c.parts), nil
}

// composer holds what newStack's steps share: each step composes one part
// of the stack from the parts before it.
type composer struct {
	parts
	ctx  *pulumi.Context
	cfg  config.Config
	look lookups
	cl   consumerLookups

	serviceArgs  *network.VpcArgs
	consumerArgs []*network.VpcArgs // nil for an existing VPC
	bucket       *logs.Bucket       // nil with logs: false
	// keyNames are the key pair of each account ("" for the stack's own),
	// none without sshPublicKey.
	keyNames map[string]pulumi.StringInput
	// ready[i] is known once consumer i can reach the service VPC (peering).
	ready []pulumi.StringOutput
}

// checkVpcs checks every VPC before the first resource is created, and
// names the stack keys that can fix what the components refuse.
func (c *composer) checkVpcs() error {
	c.serviceArgs, c.consumerArgs = vpcArgs(c.cfg, c.look, c.cl)
	check := func(name string, a *network.VpcArgs) error {
		if err := a.Check(name); err != nil {
			return fmt.Errorf("invalid stack config:\n%s, %s: %w", config.Key("consumerVpcs"), config.Key("adminCidrs"), err)
		}
		return nil
	}
	if err := check(c.cfg.ServiceVpc.Name, c.serviceArgs); err != nil {
		return err
	}
	for i, a := range c.consumerArgs {
		if a == nil {
			continue // existing: checked when looked up
		}
		if err := check(c.cfg.ConsumerVpcs[i].Name, a); err != nil {
			return err
		}
	}
	return nil
}

// logBucket comes first: the VPCs' flow logs and the ALB write to it.
func (c *composer) logBucket() error {
	if !c.cfg.Logs {
		return nil
	}
	// Named after the project: bucket names are global, and a deploy role
	// can be limited to internal-alb-logs-*.
	b, err := logs.NewBucket(c.ctx, "internal-alb-logs", &logs.BucketArgs{
		AccountID:      c.look.account,
		OtherAccounts:  c.flowLogAccounts(),
		Region:         c.look.region,
		AlbLogWriter:   logs.AlbLogWriter(c.look.elbAccountArn),
		ExpirationDays: c.cfg.LogExpirationDays,
	})
	c.bucket = b
	return err
}

// flowLogAccounts are the other accounts with VPCs the stack creates: their
// flow logs write to the stack's bucket too.
func (c *composer) flowLogAccounts() []string {
	var out []string
	for i, o := range c.cl.owners {
		if o.Foreign() && c.consumerArgs[i] != nil && !slices.Contains(out, o.Account) {
			out = append(out, o.Account)
		}
	}
	return out
}

// keyPair imports sshPublicKey, when given, in every account with instances.
func (c *composer) keyPair() error {
	c.keyNames = map[string]pulumi.StringInput{}
	if c.cfg.SshPublicKey == "" {
		return nil
	}
	owners := []network.Owner{{}} // the service VPC's instances
	for i, o := range c.cl.owners {
		// The stack's instances there: its client, or the bastion of a VPC
		// it creates.
		a := c.consumerArgs[i]
		if c.cfg.ConsumerVpcs[i].WantsClient() || a != nil && a.Admin != nil && a.Admin.Bastion != nil {
			owners = append(owners, o)
		}
	}
	for _, o := range owners {
		if _, done := c.keyNames[o.Account]; done {
			continue
		}
		name := "admin"
		if o.Foreign() {
			name += "-" + o.Account
		}
		kp, err := instance.NewKeyPair(c.ctx, name, c.cfg.SshPublicKey, o.ComponentOptions()...)
		if err != nil {
			return err
		}
		c.keyNames[o.Account] = kp.KeyName
	}
	return nil
}

// vpcs creates the service VPC, then the consumers.
func (c *composer) vpcs() error {
	for _, a := range append([]*network.VpcArgs{c.serviceArgs}, c.consumerArgs...) {
		if a == nil {
			continue
		}
		if a.Admin != nil && a.Admin.Bastion != nil {
			a.Admin.Bastion.KeyName = c.keyNames[a.Owner.Account]
		}
		if c.bucket != nil {
			a.FlowLogDestination = c.bucket.FlowLogDestination
		}
	}
	if c.bucket != nil && c.cfg.S3GatewayEndpoint {
		c.serviceArgs.S3Writable = []pulumi.StringInput{c.bucket.WebObjects} // the web servers' own logs
	}
	var err error
	if c.service, err = network.NewVpc(c.ctx, c.cfg.ServiceVpc.Name, c.serviceArgs); err != nil {
		return err
	}
	for i, a := range c.consumerArgs {
		name := c.cfg.ConsumerVpcs[i].Name
		var v *network.Vpc
		if a == nil {
			v, err = network.NewExistingVpc(c.ctx, name, c.cl.existing[i])
		} else {
			v, err = network.NewVpc(c.ctx, name, a)
		}
		if err != nil {
			return err
		}
		c.consumers = append(c.consumers, v)
	}
	return nil
}

// connect links each consumer to the service VPC.
func (c *composer) connect() error {
	switch c.cfg.Connectivity {
	case network.ByPeering:
		p, err := network.NewPeering(c.ctx, "peering", &network.PeeringArgs{Hub: c.service, Spokes: c.consumers})
		if err != nil {
			return err
		}
		c.connectivityID, c.ready = inputs.StringArray(p.ConnectionIDs), p.ConnectionIDs
	case network.ByTransitGateway:
		t, err := network.NewTransitGateway(c.ctx, "tgw", &network.TransitGatewayArgs{Hub: c.service, Spokes: c.consumers, Sharing: c.cfg.TransitGatewaySharing})
		if err != nil {
			return err
		}
		c.connectivityID = t.TransitGatewayID
	}
	return nil
}

// function creates the function, an endpoint in each consumer VPC, and the
// invoker role.
func (c *composer) function() error {
	var endpoints []lambda.Endpoint
	for _, v := range c.consumers {
		subnets := inputs.FromOutputs(v.AttachmentSubnetIDs()) // one per AZ
		if !c.cfg.EndpointPerAz {
			subnets = subnets[:1] // the clients' AZ
		}
		e := lambda.Endpoint{Name: v.Name(), VpcID: v.VpcID, SubnetIDs: subnets, Account: v.Owner.Account, Provider: v.Owner.Provider}
		if v.Existing {
			e.ClientCidrs = v.PrivateSubnetCidrs // the consumer's own instances, client or not
		}
		endpoints = append(endpoints, e)
	}
	var err error
	c.fn, err = lambda.NewPrivateFunction(c.ctx, c.cfg.LambdaName, &lambda.PrivateFunctionArgs{
		FunctionName:     c.cfg.LambdaName,
		Runtime:          c.cfg.LambdaRuntime,
		LogRetentionDays: c.cfg.LogRetentionDays,
		Region:           c.look.region,
		Endpoints:        endpoints,
	})
	return err
}

// clientInstances puts a client in each consumer VPC that wants one;
// clients[i] is nil for a consumer without.
func (c *composer) clientInstances() error {
	for i, v := range c.consumers {
		if !c.cfg.ConsumerVpcs[i].WantsClient() {
			c.clients = append(c.clients, nil)
			continue
		}
		cl, err := network.NewClient(c.ctx, v.Name()+"-client", &network.ClientArgs{
			Vpc:                     v,
			Ami:                     c.look.ami,
			InstanceType:            c.cfg.InstanceType,
			ServiceCidr:             c.service.Cidr,
			EndpointSecurityGroupID: c.fn.EndpointSecurityGroupIDs[i],
			InstanceProfile:         c.fn.Invokers[i].InstanceProfileName,
			KeyName:                 c.keyNames[v.Owner.Account],
		}, v.ComponentOptions()...)
		if err != nil {
			return err
		}
		c.clients = append(c.clients, cl)
	}
	return nil
}

// loadBalancer creates the internal ALB and its web servers in the service VPC.
func (c *composer) loadBalancer() error {
	args := &alb.InternalAlbArgs{
		Name:         c.cfg.AlbName,
		VpcID:        c.service.VpcID,
		SubnetIDs:    inputs.FromOutputs(c.service.PrivateSubnetIDs),
		Clients:      albClients(c.consumers, c.clients, c.ready),
		WebCount:     c.cfg.WebCount,
		Ami:          c.look.ami,
		InstanceType: c.cfg.InstanceType,
		KeyName:      c.keyNames[""],
	}
	if c.service.Admin != nil {
		args.AdminSecurityGroupID = c.service.Admin.SecurityGroupID
	}
	if c.service.S3 != nil {
		args.S3PrefixListID = c.service.S3.PrefixListID
	}
	if c.bucket != nil {
		args.AccessLogsBucket, args.AccessLogsPrefix = c.bucket.AlbBucket, logs.AlbPrefix
		if c.service.S3 != nil {
			args.WebObjects = c.bucket.WebObjects
		}
	}
	var err error
	c.alb, err = alb.NewInternalAlb(c.ctx, "web", args)
	return err
}

// privateZone gives the ALB its private name, resolvable in every VPC of the
// stack: inline while the stack created every VPC in its own account, else
// through an association resource per consumer (never both for one zone).
func (c *composer) privateZone() error {
	vpcIDs := []pulumi.StringInput{c.service.VpcID}
	var assocs []dns.Association
	separate := slices.ContainsFunc(c.consumers, func(v *network.Vpc) bool { return v.Existing || v.Owner.Foreign() })
	for _, v := range c.consumers {
		if separate {
			assocs = append(assocs, dns.Association{Name: v.Name(), VpcID: v.VpcID, Provider: v.Owner.Provider})
		} else {
			vpcIDs = append(vpcIDs, v.VpcID)
		}
	}
	var err error
	c.zone, err = dns.NewPrivateZone(c.ctx, "zone", &dns.PrivateZoneArgs{
		Name:         c.cfg.ZoneName,
		Region:       c.look.region,
		VpcIDs:       vpcIDs,
		Associations: assocs,
		Aliases:      []dns.Alias{{Name: c.cfg.RecordName, DNSName: c.alb.DNSName, ZoneID: c.alb.ZoneID}},
	})
	return err
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

// vpcArgs are the service VPC's and each created consumer's args (nil for an
// existing one), each with the network ACL flows of its part in the mission.
func vpcArgs(cfg config.Config, look lookups, cl consumerLookups) (*network.VpcArgs, []*network.VpcArgs) {
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
		case network.AdminBastion:
			a.Admin = &network.AdminArgs{Bastion: &network.Bastion{AdminCidrs: cfg.AdminCidrs, InstanceType: cfg.InstanceType, Ami: look.ami}}
		case network.AdminInstanceConnectEndpoint:
			a.Admin = &network.AdminArgs{}
		}
		return a
	}
	// The service VPC: the ALB's nodes forward across its private subnets,
	// and the consumers reach the listener.
	flows := network.Within(alb.TargetPort, cfg.ServiceVpc.Cidr)
	for _, cidr := range cl.cidrs {
		flows = append(flows, network.Flow{Port: alb.ListenerPort, Cidr: cidr, Inbound: true})
	}
	service := args(cfg.ServiceVpc, flows)
	// Each consumer: its clients call the Lambda endpoint (in another
	// private subnet with endpointPerAz) and the ALB in the service VPC.
	var consumers []*network.VpcArgs
	for i, v := range cfg.ConsumerVpcs {
		if v.Existing() {
			consumers = append(consumers, nil) // its ACLs are its owner's
			continue
		}
		flows := append(network.Within(443, v.Cidr), network.Flow{Port: alb.ListenerPort, Cidr: cfg.ServiceVpc.Cidr})
		a := args(v, flows)
		a.Owner = cl.owners[i]
		consumers = append(consumers, a)
	}
	return service, consumers
}

// albClients are who may reach the listener: each consumer's client group,
// referenced across the peering once it is active (ready[i]); by the
// consumer's private subnets over a Transit Gateway, where groups cannot be
// referenced, from another account, and for an existing VPC, whose own
// instances call too.
func albClients(consumers []*network.Vpc, clients []*network.Client, ready []pulumi.StringOutput) []alb.Client {
	var out []alb.Client
	for i, c := range consumers {
		if ready != nil && clients[i] != nil && !c.Owner.Foreign() && !c.Existing {
			out = append(out, alb.Client{Name: c.Name() + "-client", Peer: sg.Group(inputs.After(clients[i].SecurityGroupID, ready[i]))})
			continue
		}
		for j, cidr := range c.PrivateSubnetCidrs {
			out = append(out, alb.Client{Name: fmt.Sprintf("%s-private-%d", c.Name(), j+1), Peer: sg.Cidr(cidr)})
		}
	}
	return out
}
