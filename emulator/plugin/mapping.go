package main

import (
	"context"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// This file is the one place that lists what the test double maps: every
// Terraform resource and data source type the program uses, the pulumi-aws
// token it answers to, and the field overrides that make its property names
// and auto-naming equal pulumi-aws's. To support a new type, add a line here;
// TestMappingMatchesSDK then checks it against the pulumi-aws SDK.

// mapping is one Terraform resource or data source type as pulumi-aws
// exposes it.
type mapping struct {
	TF     string                          // Terraform type, e.g. aws_vpc
	Token  string                          // pulumi-aws token, e.g. aws:ec2/vpc:Vpc
	Fields map[string]*tfbridge.SchemaInfo // overrides, keyed by Terraform attribute
}

// noAutoName marks a `name` attribute that pulumi-aws leaves as a plain
// input (no generated default), so the blanket auto-naming skips it.
func noAutoName() *tfbridge.SchemaInfo { return &tfbridge.SchemaInfo{} }

// lbAutoName follows pulumi-aws's rule for load balancers and target groups:
// AWS caps these names at 32 characters, so the name is the resource name
// plus "-" and 7 random characters, cut to fit.
func lbAutoName() *tfbridge.SchemaInfo {
	return tfbridge.AutoNameWithCustomOptions("name", tfbridge.AutoNameOptions{
		Separator: "-",
		Maxlen:    32,
		Randlen:   7,
	})
}

func boolPtr(b bool) *bool { return &b }

// inlineRuleNames keeps a security group's inline rule sets under their
// Terraform names, `ingress` and `egress`, as pulumi-aws does (the default
// mapping would pluralise them).
func inlineRuleNames() map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{
		"ingress": {Name: "ingress"},
		"egress":  {Name: "egress"},
	}
}

// defaultAutoNameMaxLen and defaultAutoNameSeparator are applied, as
// pulumi-aws does, to every mapped resource whose Terraform schema has a
// `name` string input that the table below does not override.
const (
	defaultAutoNameMaxLen    = 255
	defaultAutoNameSeparator = "-"
)

// providerConfigFields are the overrides of the provider's own configuration
// (aws:...). The Terraform provider's mux declares these blocks without
// MaxItems, but pulumi-aws takes each as one object.
var providerConfigFields = map[string]*tfbridge.SchemaInfo{
	"assume_role":                   {MaxItemsOne: boolPtr(true)},
	"assume_role_with_web_identity": {MaxItemsOne: boolPtr(true)},
	"default_tags":                  {MaxItemsOne: boolPtr(true)},
	"ignore_tags":                   {MaxItemsOne: boolPtr(true)},
	// pulumi-aws takes this as a boolean; Terraform v5 as a string.
	"skip_metadata_api_check": {Type: "boolean"},
}

var resourceMappings = []mapping{
	// ec2
	{TF: "aws_vpc", Token: "aws:ec2/vpc:Vpc"},
	{TF: "aws_subnet", Token: "aws:ec2/subnet:Subnet"},
	{TF: "aws_internet_gateway", Token: "aws:ec2/internetGateway:InternetGateway"},
	{TF: "aws_eip", Token: "aws:ec2/eip:Eip"},
	{TF: "aws_nat_gateway", Token: "aws:ec2/natGateway:NatGateway"},
	{TF: "aws_route_table", Token: "aws:ec2/routeTable:RouteTable"},
	{TF: "aws_route", Token: "aws:ec2/route:Route"},
	{TF: "aws_route_table_association", Token: "aws:ec2/routeTableAssociation:RouteTableAssociation"},
	{TF: "aws_vpc_endpoint", Token: "aws:ec2/vpcEndpoint:VpcEndpoint"},
	{TF: "aws_default_security_group", Token: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", Fields: inlineRuleNames()},
	{TF: "aws_security_group", Token: "aws:ec2/securityGroup:SecurityGroup", Fields: inlineRuleNames()},
	{TF: "aws_instance", Token: "aws:ec2/instance:Instance"},
	{TF: "aws_vpc_peering_connection", Token: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"},

	// vpc (Plugin Framework resources in the Terraform provider)
	{TF: "aws_vpc_security_group_ingress_rule", Token: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"},
	{TF: "aws_vpc_security_group_egress_rule", Token: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"},

	// ec2transitgateway
	{TF: "aws_ec2_transit_gateway", Token: "aws:ec2transitgateway/transitGateway:TransitGateway"},
	{TF: "aws_ec2_transit_gateway_vpc_attachment", Token: "aws:ec2transitgateway/vpcAttachment:VpcAttachment"},
	{TF: "aws_ec2_transit_gateway_route_table", Token: "aws:ec2transitgateway/routeTable:RouteTable"},
	{TF: "aws_ec2_transit_gateway_route_table_association", Token: "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"},
	{TF: "aws_ec2_transit_gateway_route_table_propagation", Token: "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"},

	// lb
	{TF: "aws_lb", Token: "aws:lb/loadBalancer:LoadBalancer", Fields: map[string]*tfbridge.SchemaInfo{
		"name": lbAutoName(),
	}},
	{TF: "aws_lb_target_group", Token: "aws:lb/targetGroup:TargetGroup", Fields: map[string]*tfbridge.SchemaInfo{
		"name": lbAutoName(),
	}},
	{TF: "aws_lb_listener", Token: "aws:lb/listener:Listener"},
	{TF: "aws_lb_target_group_attachment", Token: "aws:lb/targetGroupAttachment:TargetGroupAttachment"},

	// route53
	// pulumi-aws auto-names a zone's `name` too (the blanket rule below).
	{TF: "aws_route53_zone", Token: "aws:route53/zone:Zone"},
	{TF: "aws_route53_record", Token: "aws:route53/record:Record", Fields: map[string]*tfbridge.SchemaInfo{
		"name": noAutoName(),
		// pulumi-aws exposes the `alias` block (MaxItems 1 in Terraform) as
		// a list called `aliases`.
		"alias": {Name: "aliases", MaxItemsOne: boolPtr(false)},
		// ... and so its routing policy blocks.
		"failover_routing_policy":    {Name: "failoverRoutingPolicies", MaxItemsOne: boolPtr(false)},
		"geolocation_routing_policy": {Name: "geolocationRoutingPolicies", MaxItemsOne: boolPtr(false)},
		"latency_routing_policy":     {Name: "latencyRoutingPolicies", MaxItemsOne: boolPtr(false)},
		"weighted_routing_policy":    {Name: "weightedRoutingPolicies", MaxItemsOne: boolPtr(false)},
	}},

	// iam
	{TF: "aws_iam_role", Token: "aws:iam/role:Role", Fields: map[string]*tfbridge.SchemaInfo{
		"name": tfbridge.AutoName("name", 64, "-"),
	}},
	{TF: "aws_iam_role_policy", Token: "aws:iam/rolePolicy:RolePolicy", Fields: map[string]*tfbridge.SchemaInfo{
		"name": tfbridge.AutoName("name", 128, "-"),
	}},
	{TF: "aws_iam_instance_profile", Token: "aws:iam/instanceProfile:InstanceProfile", Fields: map[string]*tfbridge.SchemaInfo{
		"name": tfbridge.AutoName("name", 128, "-"),
	}},

	// lambda
	{TF: "aws_lambda_function", Token: "aws:lambda/function:Function", Fields: map[string]*tfbridge.SchemaInfo{
		// pulumi-aws calls `function_name` `name` and generates it.
		"function_name": tfbridge.AutoName("name", 64, "-"),
		// ... and takes the deployment package as an archive called `code`.
		"filename": {
			Name: "code",
			Asset: &tfbridge.AssetTranslation{
				Kind:   tfbridge.FileArchive,
				Format: resource.ZIPArchive,
			},
		},
	}},

	// cloudwatch
	{TF: "aws_cloudwatch_log_group", Token: "aws:cloudwatch/logGroup:LogGroup", Fields: map[string]*tfbridge.SchemaInfo{
		"name": tfbridge.AutoName("name", 512, "-"),
	}},
}

var dataSourceMappings = []mapping{
	{TF: "aws_availability_zones", Token: "aws:index/getAvailabilityZones:getAvailabilityZones"},
	{TF: "aws_region", Token: "aws:index/getRegion:getRegion"},
	{TF: "aws_ami", Token: "aws:ec2/getAmi:getAmi"},
}

// mappedOnly trims the Terraform provider's schema to the types above before
// the shim sees it. The shim converts every schema it is given, and the
// provider has about 1,500 resources and 600 data sources: converting them
// all doubled the plugin's start (0.8–0.9 s against 0.4 s) on every preview,
// up, refresh and destroy, for types nothing can reach.
type mappedOnly struct {
	proto.ProviderClient
}

func (c mappedOnly) GetSchema(ctx context.Context, in *proto.GetProviderSchema_Request,
	opts ...grpc.CallOption,
) (*proto.GetProviderSchema_Response, error) {
	resp, err := c.ProviderClient.GetSchema(ctx, in, opts...)
	if err != nil || resp == nil {
		return resp, err
	}
	resp.ResourceSchemas = onlyMapped(resp.ResourceSchemas, resourceMappings)
	resp.DataSourceSchemas = onlyMapped(resp.DataSourceSchemas, dataSourceMappings)
	return resp, nil
}

// onlyMapped keeps the schemas of the mapped types.
func onlyMapped(schemas map[string]*proto.Schema, mapped []mapping) map[string]*proto.Schema {
	kept := map[string]*proto.Schema{}
	for _, m := range mapped {
		if s, ok := schemas[m.TF]; ok {
			kept[m.TF] = s
		}
	}
	return kept
}
