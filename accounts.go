package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/network"
)

// consumerLookups are what the program learns about the consumers before
// composing: the provider of each other account, each existing VPC as AWS
// has it, and each consumer's block.
type consumerLookups struct {
	// owners[i] is consumer i's account (zero for the stack's own).
	owners []network.Owner
	// existing[i] is set for a consumer that is an existing VPC.
	existing []*network.ExistingVpcArgs
	// cidrs[i] is consumer i's block: configured, or looked up.
	cidrs []string
}

// lookUpConsumers creates one provider per other account (assuming the
// consumer's role) and looks up every existing VPC through its account's
// provider, then checks what only the look-ups can tell: regions, blocks
// and DNS attributes. Providers are not AWS resources: nothing exists in
// any account until this returns without error.
func lookUpConsumers(ctx *pulumi.Context, cfg config.Config, look lookups) (consumerLookups, error) {
	var cl consumerLookups
	if err := cfg.CheckRegion(look.region); err != nil {
		return cl, fmt.Errorf("invalid stack config:\n%w", err)
	}
	providers := map[string]pulumi.ProviderResource{}
	var errs []string
	for i, v := range cfg.ConsumerVpcs {
		key := cfg.ConsumerKey(i)
		owner := network.Owner{}
		if id := v.Account.ID(); id != "" {
			if id == look.account {
				errs = append(errs, fmt.Sprintf("%s.account.roleArn: %q is in the stack's own account %s; remove %s.account for a consumer in this account", key, v.Account.RoleArn, id, key))
			} else {
				p, ok := providers[id]
				if !ok {
					var err error
					if p, err = accountProvider(ctx, id, v.Account.RoleArn, look.region); err != nil {
						return cl, err
					}
					providers[id] = p
				}
				owner = network.Owner{Account: id, Provider: p}
			}
		}
		cl.owners = append(cl.owners, owner)
		var existing *network.ExistingVpcArgs
		cidr := v.Cidr
		if v.Existing() {
			account := owner.Account
			if account == "" {
				account = look.account
			}
			var err error
			if existing, err = lookUpVpc(ctx, key, v, account, owner); err != nil {
				errs = append(errs, err.Error())
			} else {
				cidr = existing.Cidr
			}
		}
		cl.existing = append(cl.existing, existing)
		cl.cidrs = append(cl.cidrs, cidr)
	}
	if len(errs) > 0 {
		return cl, fmt.Errorf("invalid stack config:\n%s", strings.Join(errs, "\n"))
	}
	if err := cfg.CheckResolved(look.region, cl.cidrs); err != nil {
		return cl, fmt.Errorf("invalid stack config:\n%w", err)
	}
	return cl, nil
}

// accountProvider is the AWS provider of another account: the stack's own
// provider settings (region, credentials, retries, default tags), assuming
// roleArn there. The deployment's credentials must be allowed to assume it.
func accountProvider(ctx *pulumi.Context, account, roleArn, region string) (pulumi.ProviderResource, error) {
	own := pconfig.New(ctx, "aws")
	args := &aws.ProviderArgs{
		Region: pulumi.String(region),
		AssumeRole: aws.ProviderAssumeRoleArgs{
			RoleArn:     pulumi.String(roleArn),
			SessionName: pulumi.String("internal-alb-" + ctx.Stack()),
		},
	}
	str := func(key string) pulumi.StringPtrInput {
		if v := own.Get(key); v != "" {
			return pulumi.StringPtr(v)
		}
		return nil
	}
	boolean := func(key string) pulumi.BoolPtrInput {
		if v := own.Get(key); v != "" {
			return pulumi.BoolPtr(own.GetBool(key))
		}
		return nil
	}
	args.Profile = str("profile")
	args.AccessKey, args.SecretKey = str("accessKey"), str("secretKey")
	args.SkipCredentialsValidation = boolean("skipCredentialsValidation")
	args.SkipRequestingAccountId = boolean("skipRequestingAccountId")
	args.SkipMetadataApiCheck = boolean("skipMetadataApiCheck")
	if v := own.Get("maxRetries"); v != "" {
		args.MaxRetries = pulumi.IntPtr(own.GetInt("maxRetries"))
	}
	var tags struct {
		Tags map[string]string `json:"tags"`
	}
	if err := own.TryObject("defaultTags", &tags); err == nil && len(tags.Tags) > 0 {
		args.DefaultTags = aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(tags.Tags)}
	}
	p, err := aws.NewProvider(ctx, "account-"+account, args)
	if err != nil {
		return nil, fmt.Errorf("provider of account %s: %w", account, err)
	}
	return p, nil
}

// lookUpVpc reads an existing VPC through its account's provider: its
// block, DNS attributes and the subnets to connect (the configured ones, or
// every subnet whose route table has no route to an internet gateway), each
// with its route table (its own, or the VPC's main one).
func lookUpVpc(ctx *pulumi.Context, key string, v config.Vpc, account string, owner network.Owner) (*network.ExistingVpcArgs, error) {
	var opts []pulumi.InvokeOption
	if owner.Provider != nil {
		opts = append(opts, pulumi.Provider(owner.Provider))
	}
	where := "the stack's account"
	if owner.Foreign() {
		where = "account " + owner.Account
	}
	vpc, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Id: pulumi.StringRef(v.VpcID)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s.vpcId: %q is not a VPC in %s and the stack's region (%v)", key, v.VpcID, where, err)
	}
	args := &network.ExistingVpcArgs{
		VpcID: v.VpcID, Cidr: vpc.CidrBlock, AccountID: account, Owner: owner,
		EnableDNSSupport: vpc.EnableDnsSupport, EnableDNSHostnames: vpc.EnableDnsHostnames,
	}
	ids := v.SubnetIDs
	if len(ids) == 0 {
		subnets, err := ec2.GetSubnets(ctx, &ec2.GetSubnetsArgs{Filters: []ec2.GetSubnetsFilter{{Name: "vpc-id", Values: []string{v.VpcID}}}}, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s.vpcId: listing the subnets of %s: %v", key, v.VpcID, err)
		}
		ids = slices.Sorted(slices.Values(subnets.Ids))
	}
	filter := func(name, value string) ec2.GetRouteTablesFilter {
		return ec2.GetRouteTablesFilter{Name: name, Values: []string{value}}
	}
	mainTable := ""
	for i, id := range ids {
		sn, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(id)}, opts...)
		if err != nil || sn.VpcId != v.VpcID {
			return nil, fmt.Errorf("%s.subnetIds[%d]: %q is not a subnet of %s", key, i, id, v.VpcID)
		}
		tables, err := ec2.GetRouteTables(ctx, &ec2.GetRouteTablesArgs{Filters: []ec2.GetRouteTablesFilter{filter("association.subnet-id", id)}}, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: the route table of subnet %s: %v", key, id, err)
		}
		table := ""
		if len(tables.Ids) > 0 {
			table = tables.Ids[0]
		} else { // implicitly associated with the main table
			if mainTable == "" {
				main, err := ec2.GetRouteTables(ctx, &ec2.GetRouteTablesArgs{Filters: []ec2.GetRouteTablesFilter{filter("vpc-id", v.VpcID), filter("association.main", "true")}}, opts...)
				if err != nil || len(main.Ids) == 0 {
					return nil, fmt.Errorf("%s: %s has no main route table (%v)", key, v.VpcID, err)
				}
				mainTable = main.Ids[0]
			}
			table = mainTable
		}
		if len(v.SubnetIDs) == 0 {
			rt, err := ec2.LookupRouteTable(ctx, &ec2.LookupRouteTableArgs{RouteTableId: pulumi.StringRef(table)}, opts...)
			if err != nil {
				return nil, fmt.Errorf("%s: route table %s: %v", key, table, err)
			}
			if public(rt.Routes) {
				continue // the default is the private subnets only
			}
		}
		args.Subnets = append(args.Subnets, network.ExistingSubnet{ID: id, Cidr: sn.CidrBlock, AvailabilityZone: sn.AvailabilityZone, RouteTableID: table})
	}
	if len(args.Subnets) == 0 {
		return nil, fmt.Errorf("%s.vpcId: %s has no private subnet (one whose route table has no route to an internet gateway); list the subnets to connect in %s.subnetIds", key, v.VpcID, key)
	}
	if err := args.Check(v.Name); err != nil {
		return nil, fmt.Errorf("%s.vpcId: %w", key, err)
	}
	return args, nil
}

// public reports whether a route table sends anything to an internet gateway.
func public(routes []ec2.GetRouteTableRoute) bool {
	for _, r := range routes {
		if strings.HasPrefix(r.GatewayId, "igw-") {
			return true
		}
	}
	return false
}
