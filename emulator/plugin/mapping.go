package main

import (
	"context"
	"strings"

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

// listOf names a Terraform block (MaxItems 1 or not) that pulumi-aws
// exposes as a list under the given name, with elem's overrides inside.
func listOf(name string, elem map[string]*tfbridge.SchemaInfo) *tfbridge.SchemaInfo {
	info := &tfbridge.SchemaInfo{Name: name, MaxItemsOne: boolPtr(false)}
	if elem != nil {
		info.Elem = &tfbridge.SchemaInfo{Fields: elem}
	}
	return info
}

// objectOf names a Terraform block that pulumi-aws exposes as one object.
func objectOf(elem map[string]*tfbridge.SchemaInfo) *tfbridge.SchemaInfo {
	info := &tfbridge.SchemaInfo{MaxItemsOne: boolPtr(true)}
	if elem != nil {
		info.Elem = &tfbridge.SchemaInfo{Fields: elem}
	}
	return info
}

// bucketV2Fields are aws_s3_bucket's overrides as pulumi-aws's BucketV2
// has them: the bucket name auto-named (S3 names are lower case, at most 63
// characters), and its single legacy blocks (MaxItems 1 in Terraform) as
// plural lists.
func bucketV2Fields() map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{
		"bucket":     tfbridge.AutoNameTransform("bucket", 63, strings.ToLower),
		"logging":    listOf("loggings", nil),
		"versioning": listOf("versionings", nil),
		"website":    listOf("websites", nil),
		"server_side_encryption_configuration": listOf("serverSideEncryptionConfigurations", map[string]*tfbridge.SchemaInfo{
			"rule": listOf("rules", map[string]*tfbridge.SchemaInfo{
				"apply_server_side_encryption_by_default": listOf("applyServerSideEncryptionByDefaults", nil),
			}),
		}),
		"replication_configuration": listOf("replicationConfigurations", map[string]*tfbridge.SchemaInfo{
			"rules": {Elem: &tfbridge.SchemaInfo{Fields: map[string]*tfbridge.SchemaInfo{
				"destination": listOf("destinations", map[string]*tfbridge.SchemaInfo{
					"access_control_translation": listOf("accessControlTranslations", nil),
					"metrics":                    listOf("metrics", nil),
					"replication_time":           listOf("replicationTimes", nil),
				}),
				"filter": listOf("filters", nil),
				"source_selection_criteria": listOf("sourceSelectionCriterias", map[string]*tfbridge.SchemaInfo{
					"sse_kms_encrypted_objects": listOf("sseKmsEncryptedObjects", nil),
				}),
			}}},
		}),
		"lifecycle_rule": {Elem: &tfbridge.SchemaInfo{Fields: map[string]*tfbridge.SchemaInfo{
			"expiration":                    listOf("expirations", nil),
			"noncurrent_version_expiration": listOf("noncurrentVersionExpirations", nil),
		}}},
		"object_lock_configuration": {Elem: &tfbridge.SchemaInfo{Fields: map[string]*tfbridge.SchemaInfo{
			"rule": listOf("rules", map[string]*tfbridge.SchemaInfo{
				"default_retention": listOf("defaultRetentions", nil),
			}),
		}}},
	}
}

// lifecycleConfigurationFields are aws_s3_bucket_lifecycle_configuration's
// overrides: the Terraform provider (Plugin Framework) declares a rule's
// single blocks as lists without MaxItems; pulumi-aws takes each as one
// object (`rule` itself is the list `rules`, the default plural).
func lifecycleConfigurationFields() map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{
		"rule": {Elem: &tfbridge.SchemaInfo{Fields: map[string]*tfbridge.SchemaInfo{
			"abort_incomplete_multipart_upload": objectOf(nil),
			"expiration":                        objectOf(nil),
			"noncurrent_version_expiration":     objectOf(nil),
			"filter": objectOf(map[string]*tfbridge.SchemaInfo{
				"and": objectOf(nil),
				"tag": objectOf(nil),
			}),
		}}},
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
	{TF: "aws_ec2_instance_state", Token: "aws:ec2transitgateway/instanceState:InstanceState"},
	{TF: "aws_vpc_peering_connection", Token: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"},
	{TF: "aws_vpc_peering_connection_accepter", Token: "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"},
	{TF: "aws_vpc_endpoint_policy", Token: "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"},
	{TF: "aws_flow_log", Token: "aws:ec2/flowLog:FlowLog"},
	// pulumi-aws keeps a network ACL's inline entry sets as `ingress` and
	// `egress`, as for security groups.
	{TF: "aws_network_acl", Token: "aws:ec2/networkAcl:NetworkAcl", Fields: inlineRuleNames()},
	{TF: "aws_network_acl_rule", Token: "aws:ec2/networkAclRule:NetworkAclRule"},
	{TF: "aws_network_acl_association", Token: "aws:ec2/networkAclAssociation:NetworkAclAssociation"},
	// `key_name` is not auto-named by pulumi-aws: without it (or
	// `key_name_prefix`) the Terraform provider makes a "terraform-…" name.
	{TF: "aws_key_pair", Token: "aws:ec2/keyPair:KeyPair"},

	// vpc (Plugin Framework resources in the Terraform provider)
	{TF: "aws_vpc_security_group_ingress_rule", Token: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"},
	{TF: "aws_vpc_security_group_egress_rule", Token: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"},

	// ec2transitgateway
	{TF: "aws_ec2_transit_gateway", Token: "aws:ec2transitgateway/transitGateway:TransitGateway"},
	{TF: "aws_ec2_transit_gateway_vpc_attachment", Token: "aws:ec2transitgateway/vpcAttachment:VpcAttachment"},
	{TF: "aws_ec2_transit_gateway_vpc_attachment_accepter", Token: "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter"},
	{TF: "aws_ec2_transit_gateway_route_table", Token: "aws:ec2transitgateway/routeTable:RouteTable"},
	{TF: "aws_ec2_transit_gateway_route_table_association", Token: "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"},
	{TF: "aws_ec2_transit_gateway_route_table_propagation", Token: "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"},
	{TF: "aws_ec2_instance_connect_endpoint", Token: "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint"},

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
	{TF: "aws_route53_vpc_association_authorization", Token: "aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization"},
	{TF: "aws_route53_zone_association", Token: "aws:route53/zoneAssociation:ZoneAssociation"},

	// ram
	{TF: "aws_ram_resource_share", Token: "aws:ram/resourceShare:ResourceShare"},
	{TF: "aws_ram_resource_association", Token: "aws:ram/resourceAssociation:ResourceAssociation"},
	{TF: "aws_ram_principal_association", Token: "aws:ram/principalAssociation:PrincipalAssociation"},
	{TF: "aws_ram_resource_share_accepter", Token: "aws:ram/resourceShareAccepter:ResourceShareAccepter"},

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

	{TF: "aws_lambda_permission", Token: "aws:lambda/permission:Permission", Fields: map[string]*tfbridge.SchemaInfo{
		// pulumi-aws calls `function_name` `function` (a name or ARN).
		"function_name": {Name: "function"},
	}},
	{TF: "aws_lambda_function_url", Token: "aws:lambda/functionUrl:FunctionUrl"},

	// s3
	{TF: "aws_s3_bucket", Token: "aws:s3/bucketV2:BucketV2", Fields: bucketV2Fields()},
	{TF: "aws_s3_bucket_public_access_block", Token: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"},
	{TF: "aws_s3_bucket_ownership_controls", Token: "aws:s3/bucketOwnershipControls:BucketOwnershipControls"},
	{TF: "aws_s3_bucket_server_side_encryption_configuration", Token: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"},
	{TF: "aws_s3_bucket_lifecycle_configuration", Token: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
		Fields: lifecycleConfigurationFields()},
	{TF: "aws_s3_bucket_policy", Token: "aws:s3/bucketPolicy:BucketPolicy"},

	// cloudwatch
	{TF: "aws_cloudwatch_log_group", Token: "aws:cloudwatch/logGroup:LogGroup", Fields: map[string]*tfbridge.SchemaInfo{
		"name": tfbridge.AutoName("name", 512, "-"),
	}},
}

var dataSourceMappings = []mapping{
	{TF: "aws_availability_zones", Token: "aws:index/getAvailabilityZones:getAvailabilityZones"},
	{TF: "aws_region", Token: "aws:index/getRegion:getRegion"},
	{TF: "aws_ami", Token: "aws:ec2/getAmi:getAmi"},
	{TF: "aws_elb_service_account", Token: "aws:elb/getServiceAccount:getServiceAccount"},
	{TF: "aws_caller_identity", Token: "aws:index/getCallerIdentity:getCallerIdentity"},
	{TF: "aws_vpc", Token: "aws:ec2/getVpc:getVpc"},
	{TF: "aws_subnets", Token: "aws:ec2/getSubnets:getSubnets"},
	{TF: "aws_subnet", Token: "aws:ec2/getSubnet:getSubnet"},
	{TF: "aws_route_table", Token: "aws:ec2/getRouteTable:getRouteTable"},
	{TF: "aws_route_tables", Token: "aws:ec2/getRouteTables:getRouteTables"},
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
