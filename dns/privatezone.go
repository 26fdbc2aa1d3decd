// Package dns builds the private hosted zone that gives the internal ALB a
// private name in every VPC of the stack.
package dns

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/inputs"
)

// Alias is an A record in the zone that aliases an AWS load balancer.
type Alias struct {
	// Name is the record's label in the zone ("alb").
	Name string
	// DNSName and ZoneID are the load balancer's.
	DNSName pulumi.StringInput
	ZoneID  pulumi.StringInput
}

// PrivateZoneArgs configure the zone.
type PrivateZoneArgs struct {
	// Name is the zone's domain ("home").
	Name string
	// Region of the VPCs.
	Region string
	// VpcIDs are associated with the zone; only they can resolve its names.
	VpcIDs []pulumi.StringInput
	// Associations are VPCs associated by resources of their own rather
	// than inline: VPCs of other accounts, and any VPC the stack did not
	// create. With any, VpcIDs should hold the first VPC only (a private
	// zone is created with one), since the zone then leaves its VPC list to
	// the associations.
	Associations []Association
	// Aliases are created in the zone.
	Aliases []Alias
}

// Association associates one VPC with the zone.
type Association struct {
	// Name of the VPC ("bar"); it names the association's resources.
	Name  string
	VpcID pulumi.StringInput
	// Provider acts in the VPC's account when that is not the zone's (the
	// zone's account then authorizes the association first); nil otherwise.
	Provider pulumi.ProviderResource
}

// PrivateZone is a Route 53 private hosted zone associated with every VPC of
// the stack, holding alias records that evaluate their target's health.
type PrivateZone struct {
	pulumi.ResourceState

	ZoneID pulumi.StringOutput
	// Fqdns are the aliases' full names ("alb.home"), in order.
	Fqdns []pulumi.StringOutput
}

// NewPrivateZone creates the zone and its records.
func NewPrivateZone(ctx *pulumi.Context, name string, args *PrivateZoneArgs, opts ...pulumi.ResourceOption) (*PrivateZone, error) {
	domain := strings.TrimSuffix(args.Name, ".")
	switch {
	case domain == "":
		return nil, fmt.Errorf("dns: zone %s needs a domain name", name)
	case len(args.VpcIDs) == 0:
		return nil, fmt.Errorf("dns: zone %q needs at least one VPC to be private", domain)
	}
	z := &PrivateZone{}
	if err := ctx.RegisterComponentResource("internal-alb:dns:PrivateZone", name, z, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(z)

	vpcs := route53.ZoneVpcArray{}
	for _, id := range args.VpcIDs {
		vpcs = append(vpcs, &route53.ZoneVpcArgs{VpcId: id, VpcRegion: pulumi.String(args.Region)})
	}
	zoneOpts := []pulumi.ResourceOption{in}
	if len(args.Associations) > 0 {
		// The associations own the rest of the list: read back, the zone
		// lists their VPCs too, which it must not try to remove.
		zoneOpts = append(zoneOpts, pulumi.IgnoreChanges([]string{"vpcs"}))
	}
	zone, err := route53.NewZone(ctx, name, &route53.ZoneArgs{
		Name:    pulumi.String(domain),
		Comment: pulumi.String("Private names for the internal ALB, resolvable only in the associated VPCs"),
		Vpcs:    vpcs,
		Tags:    pulumi.StringMap{"Name": pulumi.String(domain)},
	}, zoneOpts...)
	if err != nil {
		return nil, fmt.Errorf("dns: %w", err)
	}
	z.ZoneID = zone.ZoneId
	if err := associate(ctx, name, zone, args, in); err != nil {
		return nil, err
	}

	for _, a := range args.Aliases {
		fqdn := a.Name + "." + domain
		rec, err := route53.NewRecord(ctx, name+"-"+a.Name, &route53.RecordArgs{
			ZoneId: zone.ZoneId,
			Name:   pulumi.String(fqdn),
			Type:   pulumi.String("A"),
			Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
				Name:                 a.DNSName,
				ZoneId:               a.ZoneID,
				EvaluateTargetHealth: pulumi.Bool(true),
			}},
		}, in)
		if err != nil {
			return nil, fmt.Errorf("dns: %w", err)
		}
		z.Fqdns = append(z.Fqdns, rec.Fqdn)
	}

	if err := ctx.RegisterResourceOutputs(z, pulumi.Map{"zoneId": z.ZoneID, "fqdns": inputs.StringArray(z.Fqdns)}); err != nil {
		return nil, err
	}
	return z, nil
}

// associate creates each association; one with a VPC in another account is
// authorized by the zone's account first. The authorization lives as long as
// the association, so that an `up` repairing a removed association can
// associate again.
func associate(ctx *pulumi.Context, name string, zone *route53.Zone, args *PrivateZoneArgs, in pulumi.ResourceOption) error {
	for _, a := range args.Associations {
		n := name + "-" + a.Name
		opts := []pulumi.ResourceOption{in}
		if a.Provider != nil {
			auth, err := route53.NewVpcAssociationAuthorization(ctx, n, &route53.VpcAssociationAuthorizationArgs{
				ZoneId:    zone.ZoneId,
				VpcId:     a.VpcID,
				VpcRegion: pulumi.String(args.Region),
			}, in)
			if err != nil {
				return fmt.Errorf("dns: %w", err)
			}
			opts = append(opts, pulumi.Provider(a.Provider), pulumi.DependsOn([]pulumi.Resource{auth}))
		}
		if _, err := route53.NewZoneAssociation(ctx, n, &route53.ZoneAssociationArgs{
			ZoneId:    zone.ZoneId,
			VpcId:     a.VpcID,
			VpcRegion: pulumi.String(args.Region),
		}, opts...); err != nil {
			return fmt.Errorf("dns: %w", err)
		}
	}
	return nil
}
