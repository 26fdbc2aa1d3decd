// Command sdknames prints, as JSON, the property names that the pulumi-aws Go
// SDK (v6.83.4, pinned in go.mod) uses for every resource and invoke the
// program uses, read by reflection from the SDK's own types: the plain struct
// behind each `...Args` type's ElementType() (inputs, with nesting and
// required-ness), the resource struct (outputs), the invokes' plain args
// and result structs, and the provider's configuration (aws.ProviderArgs).
//
// It is its own module because pulumi-aws SDK v6.83.4 needs
// github.com/pulumi/pulumi/sdk/v3 >= v3.175, with which
// pulumi-terraform-bridge v3.101.0 (the plugin's base) no longer compiles.
// The plugin module's TestMappingMatchesSDK runs it and compares.
package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ram"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
)

// elementTyper is what every pulumi-aws `...Args` type implements.
type elementTyper interface{ ElementType() reflect.Type }

type resource struct {
	token string
	args  elementTyper // e.g. ec2.VpcArgs{}: ElementType() is the plain args struct
	state interface{}  // e.g. ec2.Vpc{}: its tagged fields are the outputs
}

type invoke struct {
	token  string
	args   interface{} // plain args struct
	result interface{} // plain result struct
}

// programResources lists every resource type the program uses.
var programResources = []resource{
	{"aws:ec2/vpc:Vpc", ec2.VpcArgs{}, ec2.Vpc{}},
	{"aws:ec2/subnet:Subnet", ec2.SubnetArgs{}, ec2.Subnet{}},
	{"aws:ec2/internetGateway:InternetGateway", ec2.InternetGatewayArgs{}, ec2.InternetGateway{}},
	{"aws:ec2/eip:Eip", ec2.EipArgs{}, ec2.Eip{}},
	{"aws:ec2/natGateway:NatGateway", ec2.NatGatewayArgs{}, ec2.NatGateway{}},
	{"aws:ec2/routeTable:RouteTable", ec2.RouteTableArgs{}, ec2.RouteTable{}},
	{"aws:ec2/route:Route", ec2.RouteArgs{}, ec2.Route{}},
	{"aws:ec2/routeTableAssociation:RouteTableAssociation", ec2.RouteTableAssociationArgs{}, ec2.RouteTableAssociation{}},
	{"aws:ec2/vpcEndpoint:VpcEndpoint", ec2.VpcEndpointArgs{}, ec2.VpcEndpoint{}},
	{"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ec2.DefaultSecurityGroupArgs{}, ec2.DefaultSecurityGroup{}},
	{"aws:ec2/securityGroup:SecurityGroup", ec2.SecurityGroupArgs{}, ec2.SecurityGroup{}},
	{"aws:ec2/instance:Instance", ec2.InstanceArgs{}, ec2.Instance{}},
	{"aws:ec2transitgateway/instanceState:InstanceState", ec2transitgateway.InstanceStateArgs{}, ec2transitgateway.InstanceState{}},
	{"aws:ec2/vpcPeeringConnection:VpcPeeringConnection", ec2.VpcPeeringConnectionArgs{}, ec2.VpcPeeringConnection{}},
	{"aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", ec2.VpcPeeringConnectionAccepterArgs{}, ec2.VpcPeeringConnectionAccepter{}},
	{"aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", ec2.VpcEndpointPolicyArgs{}, ec2.VpcEndpointPolicy{}},
	{"aws:ec2/flowLog:FlowLog", ec2.FlowLogArgs{}, ec2.FlowLog{}},
	{"aws:ec2/networkAcl:NetworkAcl", ec2.NetworkAclArgs{}, ec2.NetworkAcl{}},
	{"aws:ec2/networkAclRule:NetworkAclRule", ec2.NetworkAclRuleArgs{}, ec2.NetworkAclRule{}},
	{"aws:ec2/networkAclAssociation:NetworkAclAssociation", ec2.NetworkAclAssociationArgs{}, ec2.NetworkAclAssociation{}},
	{"aws:ec2/keyPair:KeyPair", ec2.KeyPairArgs{}, ec2.KeyPair{}},
	{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", vpc.SecurityGroupIngressRuleArgs{}, vpc.SecurityGroupIngressRule{}},
	{"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", vpc.SecurityGroupEgressRuleArgs{}, vpc.SecurityGroupEgressRule{}},
	{"aws:ec2transitgateway/transitGateway:TransitGateway", ec2transitgateway.TransitGatewayArgs{}, ec2transitgateway.TransitGateway{}},
	{"aws:ec2transitgateway/vpcAttachment:VpcAttachment", ec2transitgateway.VpcAttachmentArgs{}, ec2transitgateway.VpcAttachment{}},
	{"aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter", ec2transitgateway.VpcAttachmentAccepterArgs{}, ec2transitgateway.VpcAttachmentAccepter{}},
	{"aws:ec2transitgateway/routeTable:RouteTable", ec2transitgateway.RouteTableArgs{}, ec2transitgateway.RouteTable{}},
	{"aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation", ec2transitgateway.RouteTableAssociationArgs{}, ec2transitgateway.RouteTableAssociation{}},
	{"aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation", ec2transitgateway.RouteTablePropagationArgs{}, ec2transitgateway.RouteTablePropagation{}},
	{"aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint", ec2transitgateway.InstanceConnectEndpointArgs{}, ec2transitgateway.InstanceConnectEndpoint{}},
	{"aws:lb/loadBalancer:LoadBalancer", lb.LoadBalancerArgs{}, lb.LoadBalancer{}},
	{"aws:lb/targetGroup:TargetGroup", lb.TargetGroupArgs{}, lb.TargetGroup{}},
	{"aws:lb/listener:Listener", lb.ListenerArgs{}, lb.Listener{}},
	{"aws:lb/targetGroupAttachment:TargetGroupAttachment", lb.TargetGroupAttachmentArgs{}, lb.TargetGroupAttachment{}},
	{"aws:route53/zone:Zone", route53.ZoneArgs{}, route53.Zone{}},
	{"aws:route53/record:Record", route53.RecordArgs{}, route53.Record{}},
	{"aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization", route53.VpcAssociationAuthorizationArgs{}, route53.VpcAssociationAuthorization{}},
	{"aws:route53/zoneAssociation:ZoneAssociation", route53.ZoneAssociationArgs{}, route53.ZoneAssociation{}},
	{"aws:ram/resourceShare:ResourceShare", ram.ResourceShareArgs{}, ram.ResourceShare{}},
	{"aws:ram/resourceAssociation:ResourceAssociation", ram.ResourceAssociationArgs{}, ram.ResourceAssociation{}},
	{"aws:ram/principalAssociation:PrincipalAssociation", ram.PrincipalAssociationArgs{}, ram.PrincipalAssociation{}},
	{"aws:ram/resourceShareAccepter:ResourceShareAccepter", ram.ResourceShareAccepterArgs{}, ram.ResourceShareAccepter{}},
	{"aws:iam/role:Role", iam.RoleArgs{}, iam.Role{}},
	{"aws:iam/rolePolicy:RolePolicy", iam.RolePolicyArgs{}, iam.RolePolicy{}},
	{"aws:iam/instanceProfile:InstanceProfile", iam.InstanceProfileArgs{}, iam.InstanceProfile{}},
	{"aws:lambda/function:Function", lambda.FunctionArgs{}, lambda.Function{}},
	{"aws:lambda/permission:Permission", lambda.PermissionArgs{}, lambda.Permission{}},
	{"aws:lambda/functionUrl:FunctionUrl", lambda.FunctionUrlArgs{}, lambda.FunctionUrl{}},
	{"aws:cloudwatch/logGroup:LogGroup", cloudwatch.LogGroupArgs{}, cloudwatch.LogGroup{}},
	{"aws:s3/bucketV2:BucketV2", s3.BucketV2Args{}, s3.BucketV2{}},
	{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", s3.BucketPublicAccessBlockArgs{}, s3.BucketPublicAccessBlock{}},
	{"aws:s3/bucketOwnershipControls:BucketOwnershipControls", s3.BucketOwnershipControlsArgs{}, s3.BucketOwnershipControls{}},
	{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		s3.BucketServerSideEncryptionConfigurationV2Args{}, s3.BucketServerSideEncryptionConfigurationV2{}},
	{"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
		s3.BucketLifecycleConfigurationV2Args{}, s3.BucketLifecycleConfigurationV2{}},
	{"aws:s3/bucketPolicy:BucketPolicy", s3.BucketPolicyArgs{}, s3.BucketPolicy{}},
}

// programInvokes lists every invoke (data source) the program uses.
var programInvokes = []invoke{
	{"aws:index/getAvailabilityZones:getAvailabilityZones", aws.GetAvailabilityZonesArgs{}, aws.GetAvailabilityZonesResult{}},
	{"aws:index/getRegion:getRegion", aws.GetRegionArgs{}, aws.GetRegionResult{}},
	{"aws:ec2/getAmi:getAmi", ec2.LookupAmiArgs{}, ec2.LookupAmiResult{}},
	{"aws:elb/getServiceAccount:getServiceAccount", elb.GetServiceAccountArgs{}, elb.GetServiceAccountResult{}},
	{"aws:index/getCallerIdentity:getCallerIdentity", aws.GetCallerIdentityArgs{}, aws.GetCallerIdentityResult{}},
	{"aws:ec2/getVpc:getVpc", ec2.LookupVpcArgs{}, ec2.LookupVpcResult{}},
	{"aws:ec2/getSubnets:getSubnets", ec2.GetSubnetsArgs{}, ec2.GetSubnetsResult{}},
	{"aws:ec2/getSubnet:getSubnet", ec2.LookupSubnetArgs{}, ec2.LookupSubnetResult{}},
	{"aws:ec2/getRouteTable:getRouteTable", ec2.LookupRouteTableArgs{}, ec2.LookupRouteTableResult{}},
	{"aws:ec2/getRouteTables:getRouteTables", ec2.GetRouteTablesArgs{}, ec2.GetRouteTablesResult{}},
}

// Property is one input as the SDK types it.
type Property struct {
	// Shape is "scalar", "object" (a single nested struct), "list", "map"
	// or "other" (assets, archives, any).
	Shape string `json:"shape"`
	// Required is set for scalar inputs the SDK types as T rather than *T.
	Required bool `json:"required,omitempty"`
	// Fields are the nested inputs of an object, or of a list's elements.
	Fields map[string]Property `json:"fields,omitempty"`
}

// Type is one resource or invoke.
type Type struct {
	Inputs  map[string]Property `json:"inputs"`
	Outputs []string            `json:"outputs"`
}

// Names is what the command prints.
type Names struct {
	// Provider is the provider's configuration (aws.ProviderArgs).
	Provider  map[string]Property `json:"provider"`
	Resources map[string]Type     `json:"resources"`
	Invokes   map[string]Type     `json:"invokes"`
}

func main() {
	out := Names{
		Provider:  inputs(aws.ProviderArgs{}.ElementType(), map[reflect.Type]bool{}),
		Resources: map[string]Type{},
		Invokes:   map[string]Type{},
	}
	for _, r := range programResources {
		out.Resources[r.token] = Type{
			Inputs:  inputs(r.args.ElementType(), map[reflect.Type]bool{}),
			Outputs: tags(reflect.TypeOf(r.state)),
		}
	}
	for _, i := range programInvokes {
		out.Invokes[i.token] = Type{
			Inputs:  inputs(reflect.TypeOf(i.args), map[reflect.Type]bool{}),
			Outputs: tags(reflect.TypeOf(i.result)),
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}

func tagName(f reflect.StructField) string {
	return strings.Split(f.Tag.Get("pulumi"), ",")[0]
}

func tags(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n := tagName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func inputs(t reflect.Type, seen map[reflect.Type]bool) map[string]Property {
	props := map[string]Property{}
	if seen[t] {
		return props
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := tagName(f)
		if name == "" {
			continue
		}
		props[name] = describe(f.Type, seen)
	}
	return props
}

func describe(t reflect.Type, seen map[reflect.Type]bool) Property {
	required := t.Kind() != reflect.Ptr
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
		return Property{Shape: "scalar", Required: required}
	case reflect.Struct:
		return Property{Shape: "object", Fields: inputs(t, seen)}
	case reflect.Slice:
		e := t.Elem()
		for e.Kind() == reflect.Ptr {
			e = e.Elem()
		}
		p := Property{Shape: "list"}
		if e.Kind() == reflect.Struct {
			p.Fields = inputs(e, seen)
		}
		return p
	case reflect.Map:
		return Property{Shape: "map"}
	}
	return Property{Shape: "other"}
}
