package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"

	"github.com/internal-alb/internal-alb/internal/ipam"
	"github.com/internal-alb/internal-alb/network"
)

var (
	vpcIDRe    = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetIDRe = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// roleArnRe is an IAM role's ARN: partition, 12-digit account, and the
	// role's name after an optional path.
	roleArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/((?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64})$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

// AWS's default quotas that the consumer list is checked against, from the
// config alone, before anything is created. Each is adjustable in Service
// Quotas; after raising one there, raise its constant here with it, or the
// check keeps refusing what AWS would now accept.
const (
	// PeeringQuota is Amazon VPC's "Active VPC peering connections per
	// VPC": 50 by default, adjustable up to 125. In peering mode the
	// service VPC holds one connection per consumer.
	PeeringQuota = 50
	// RouteQuota is Amazon VPC's "Routes per route table" (non-propagated
	// routes): 500 by default, adjustable up to 1,000. The VPC quotas page
	// gives 500 since June 2025; it was 50 before, so an older account or
	// document may still say 50. Each private route table of the service
	// VPC holds a route per consumer in both connectivity modes, one to the
	// S3 gateway endpoint when s3GatewayEndpoint is on, and one to a NAT
	// gateway when the service VPC has NAT. That page does not say whether
	// the local route counts; ServiceRoutes counts it, so the check errs by
	// one route on the side of refusing before a deployment fails midway.
	RouteQuota = 500
	// ZoneVpcQuota is Route 53's "Amazon VPCs that you can associate with
	// a private hosted zone": 300 by default (older guides give 100),
	// adjustable. The zone is associated with the service VPC and every
	// consumer.
	ZoneVpcQuota = 300
)

// ServiceRoutes is the number of routes in each private route table of the
// service VPC: the local route, one per consumer, one to the S3 gateway
// endpoint and one to a NAT gateway when the stack makes them.
func (c Config) ServiceRoutes() int {
	n := 1 + len(c.ConsumerVpcs)
	if c.S3GatewayEndpoint {
		n++
	}
	if c.NatFor(c.ServiceVpc) != network.NatNone {
		n++
	}
	return n
}

// checkServiceVpc refuses the fields only a consumer may have: the stack
// creates the service VPC, in its own account.
func checkServiceVpc(key string, v Vpc) []error {
	var errs []error
	if v.VpcID != "" {
		errs = append(errs, fmt.Errorf("%s.vpcId: %s is refused: the stack creates the service VPC, with its ALB and web servers; remove vpcId and give cidr (an existing VPC can be one of %s)", key, jsonText(v.VpcID), Key("consumerVpcs")))
	}
	if v.SubnetIDs != nil {
		errs = append(errs, fmt.Errorf("%s.subnetIds: %s is refused: the stack creates the service VPC and lays out its subnets (%s, %s); remove subnetIds", key, jsonText(v.SubnetIDs), Key("azCount"), Key("subnetPrefixLength")))
	}
	if v.Client != nil {
		errs = append(errs, fmt.Errorf("%s.client: %s is refused: the stack creates the service VPC with web servers and no client instance; remove client", key, jsonText(*v.Client)))
	}
	if v.Account != nil {
		errs = append(errs, fmt.Errorf("%s.account: %s is refused: the stack creates the service VPC in the account it runs with (the aws provider's credentials); remove account, or run the stack with that account's credentials", key, jsonText(v.Account)))
	}
	return errs
}

// checkConsumer checks what consumer key is: a VPC the stack creates or an
// existing one (each existing VPC once: vpcIDs maps those seen to their
// keys), its subnets, and its account.
func checkConsumer(key string, v Vpc, vpcIDs map[string]string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case v.Cidr != "" && v.VpcID != "":
		bad("%s: cidr %q and vpcId %q are both set; set cidr for a VPC the stack creates, or vpcId for an existing one, not both", key, v.Cidr, v.VpcID)
	case v.Cidr == "" && v.VpcID == "":
		bad("%s: one of cidr and vpcId is required; set cidr for a VPC the stack creates, or vpcId for an existing one", key)
	}
	if v.VpcID != "" {
		if !vpcIDRe.MatchString(v.VpcID) {
			bad("%s.vpcId: %q is not a VPC id; give it as aws ec2 describe-vpcs shows it: vpc- and 8 or 17 lowercase hex digits, like vpc-0a1b2c3d4e5f60718", key, v.VpcID)
		} else if other, dup := vpcIDs[v.VpcID]; dup {
			bad("%s.vpcId: %q is already the VPC of %s; list each existing VPC once", key, v.VpcID, other)
		} else {
			vpcIDs[v.VpcID] = key
		}
	}
	if v.SubnetIDs != nil {
		switch {
		case v.VpcID == "":
			bad("%s.subnetIds: %s is set without vpcId; the stack lays out the subnets of a VPC it creates, and subnetIds chooses among an existing VPC's; remove subnetIds, or give vpcId", key, jsonText(v.SubnetIDs))
		case len(v.SubnetIDs) == 0:
			bad("%s.subnetIds: [] lists no subnet; list the subnets whose route tables get the routes to the service VPC, or remove subnetIds for the VPC's private subnets", key)
		}
		seen := map[string]int{}
		for j, s := range v.SubnetIDs {
			if !subnetIDRe.MatchString(s) {
				bad("%s.subnetIds[%d]: %q is not a subnet id; give it as aws ec2 describe-subnets shows it: subnet- and 8 or 17 lowercase hex digits, like subnet-0a1b2c3d4e5f60718", key, j, s)
			} else if first, dup := seen[s]; dup {
				bad("%s.subnetIds[%d]: %q is already %s.subnetIds[%d]; list each subnet once", key, j, s, key, first)
			} else {
				seen[s] = j
			}
		}
	}
	if v.Nat != "" && v.VpcID != "" && v.Cidr == "" {
		bad("%s.nat: %q is set on an existing VPC, whose NAT is its own: the stack adds no NAT gateway there; remove nat", key, v.Nat)
	}
	if a := v.Account; a != nil {
		if !roleArnRe.MatchString(a.RoleArn) {
			bad("%s.account.roleArn: %q is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)", key, a.RoleArn)
		}
		if a.Region != "" && !regionRe.MatchString(a.Region) {
			bad("%s.account.region: %q is not an AWS Region code like us-east-1; give the consumer's Region, which must be the stack's aws:region, or remove region", key, a.Region)
		}
	}
	return errs
}

// checkQuotas refuses, from the config alone, a consumer list over AWS's
// default quotas (PeeringQuota, RouteQuota, ZoneVpcQuota).
func (c Config) checkQuotas() []error {
	var errs []error
	n := len(c.ConsumerVpcs)
	key := Key("consumerVpcs")
	if c.Connectivity == network.ByPeering && n > PeeringQuota {
		errs = append(errs, fmt.Errorf("%s: %d consumers in peering mode need %d peering connections on the service VPC, over AWS's default quota of %d active VPC peering connections per VPC; set %s to %s (one attachment per VPC), list fewer consumers, or raise the quota (up to 125) in Service Quotas and config.PeeringQuota with it",
			key, n, n, PeeringQuota, Key("connectivity"), network.ByTransitGateway))
	}
	if routes := c.ServiceRoutes(); routes > RouteQuota {
		errs = append(errs, fmt.Errorf("%s: %d consumers need %d routes in each private route table of the service VPC (the local route, one per consumer in either %s, and one each for the S3 gateway endpoint and NAT when on), over AWS's default quota of %d routes per route table; list fewer consumers, or raise the quota (up to 1,000) in Service Quotas and config.RouteQuota with it",
			key, n, routes, Key("connectivity"), RouteQuota))
	}
	if vpcs := n + 1; vpcs > ZoneVpcQuota {
		errs = append(errs, fmt.Errorf("%s: %d consumers and the service VPC make %d VPC associations of the private hosted zone (%s), over Route 53's default quota of %d VPCs per private hosted zone; list fewer consumers, or raise the quota in Service Quotas (Route 53, in us-east-1) and config.ZoneVpcQuota with it",
			key, n, vpcs, Key("zoneName"), ZoneVpcQuota))
	}
	return errs
}

// CheckResolved checks what only the AWS look-ups tell, before any resource
// is made: cidrs[i] is consumer i's IPv4 block, looked up for an existing
// VPC and as configured otherwise, and region is the stack's region. It
// refuses a consumer whose account.region is another region, and any two
// VPCs whose blocks overlap, naming where a looked-up block comes from.
// Validate has already refused overlaps between configured blocks, so in
// a loaded config each overlap found here involves an existing VPC.
func (c Config) CheckResolved(region string, cidrs []string) error {
	if len(cidrs) != len(c.ConsumerVpcs) {
		return fmt.Errorf("config: CheckResolved: %d blocks for %d consumers", len(cidrs), len(c.ConsumerVpcs))
	}
	var errs []error
	if err := c.CheckRegion(region); err != nil {
		errs = append(errs, err)
	}

	type block struct {
		key      string
		what     string // the key and value it comes from, as a message names it
		existing bool
		prefix   netip.Prefix
	}
	service, err := ipam.ParseIPv4Cidr(c.ServiceVpc.Cidr)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("%s.cidr: %q: %v", Key("serviceVpc"), c.ServiceVpc.Cidr, err))...)
	}
	blocks := []block{{Key("serviceVpc"), fmt.Sprintf("%s.cidr %q", Key("serviceVpc"), service), false, service}}
	for i, v := range c.ConsumerVpcs {
		b := block{key: c.ConsumerKey(i), existing: v.Existing()}
		b.what = fmt.Sprintf("%s.cidr %q", b.key, cidrs[i])
		if b.existing {
			b.what = fmt.Sprintf("%s.vpcId %q (block %s, looked up from the VPC id)", b.key, v.VpcID, cidrs[i])
		}
		p, err := ipam.ParseIPv4Cidr(cidrs[i])
		if err != nil {
			if b.existing {
				errs = append(errs, fmt.Errorf("%s.vpcId %q: the block looked up from the VPC id, %q: %v", b.key, v.VpcID, cidrs[i], err))
			} else {
				errs = append(errs, fmt.Errorf("%s.cidr: %q: %v", b.key, cidrs[i], err))
			}
			continue
		}
		b.prefix = p
		for _, o := range blocks {
			if !o.prefix.Overlaps(p) {
				continue
			}
			fix := "an existing VPC's block is its own: connect only one of the two"
			if !b.existing {
				fix = "give " + b.key + ".cidr a block that overlaps no other"
			} else if !o.existing {
				fix = "give " + o.key + ".cidr a block that overlaps no other"
			}
			errs = append(errs, fmt.Errorf("%s overlaps %s; routed VPCs need distinct blocks: %s", b.what, o.what, fix))
		}
		blocks = append(blocks, b)
	}
	return errors.Join(errs...)
}

// CheckRegion refuses a consumer whose account.region is not region, the
// stack's: the program checks it before looking anything up in the
// consumer's account, where a VPC of another region would not be found.
func (c Config) CheckRegion(region string) error {
	var errs []error
	for i, v := range c.ConsumerVpcs {
		if v.Account != nil && v.Account.Region != "" && v.Account.Region != region {
			errs = append(errs, fmt.Errorf("%s.account.region: %q is not the stack's region %s (aws:region); consumers in another region are not supported: the stack builds no inter-Region peering or Transit Gateway peering; deploy the consumer in %s, or run a stack in %s for it",
				c.ConsumerKey(i), v.Account.Region, region, region, v.Account.Region))
		}
	}
	return errors.Join(errs...)
}

// jsonText is a value as a stack file's JSON writes it.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
