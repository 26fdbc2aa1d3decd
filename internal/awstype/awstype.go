// Package awstype names the pulumi-aws resource type tokens that the
// program's tests, the plan mocks (internal/plan), the verifier (verify) and
// the twin read: one constant per token, named after the SDK's resource
// (`ec2.Vpc` is Vpc), with the module in front where two modules share a
// name (TgwRouteTable, AlbLoadBalancer). No Pulumi import: the verifier
// builds without the SDK.
package awstype

// EC2 network: VPCs, subnets, gateways, routes, endpoints, peering.
const (
	Vpc                          = "aws:ec2/vpc:Vpc"
	VpcIpv4CidrBlockAssociation  = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
	Subnet                       = "aws:ec2/subnet:Subnet"
	InternetGateway              = "aws:ec2/internetGateway:InternetGateway"
	InternetGatewayAttachment    = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
	Eip                          = "aws:ec2/eip:Eip"
	EipAssociation               = "aws:ec2/eipAssociation:EipAssociation"
	NatGateway                   = "aws:ec2/natGateway:NatGateway"
	RouteTable                   = "aws:ec2/routeTable:RouteTable"
	DefaultRouteTable            = "aws:ec2/defaultRouteTable:DefaultRouteTable"
	MainRouteTableAssociation    = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
	Route                        = "aws:ec2/route:Route"
	RouteTableAssociation        = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	VpcEndpoint                  = "aws:ec2/vpcEndpoint:VpcEndpoint"
	VpcPeeringConnection         = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
	VpcPeeringConnectionAccepter = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
	FlowLog                      = "aws:ec2/flowLog:FlowLog"
)

// Security groups and network ACLs.
const (
	SecurityGroup            = "aws:ec2/securityGroup:SecurityGroup"
	DefaultSecurityGroup     = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	SecurityGroupRule        = "aws:ec2/securityGroupRule:SecurityGroupRule"
	SecurityGroupIngressRule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	SecurityGroupEgressRule  = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	NetworkAcl               = "aws:ec2/networkAcl:NetworkAcl"
	DefaultNetworkAcl        = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
	NetworkAclRule           = "aws:ec2/networkAclRule:NetworkAclRule"
	NetworkAclAssociation    = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
)

// Instances and what admins reach them with.
const (
	Instance                = "aws:ec2/instance:Instance"
	InstanceState           = "aws:ec2transitgateway/instanceState:InstanceState"
	KeyPair                 = "aws:ec2/keyPair:KeyPair"
	EbsVolume               = "aws:ebs/volume:Volume"
	InstanceConnectEndpoint = "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint"
)

// Transit Gateway.
const (
	TransitGateway           = "aws:ec2transitgateway/transitGateway:TransitGateway"
	TgwVpcAttachment         = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
	TgwRouteTable            = "aws:ec2transitgateway/routeTable:RouteTable"
	TgwRouteTableAssociation = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
	TgwRouteTablePropagation = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
	TgwRoute                 = "aws:ec2transitgateway/route:Route"
	// TgwVpcAttachmentAccepter accepts, in the gateway's account, an
	// attachment made from another account.
	TgwVpcAttachmentAccepter = "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter"
)

// Resource Access Manager: how a transit gateway is shared with another
// account.
const (
	RamResourceShare        = "aws:ram/resourceShare:ResourceShare"
	RamResourceAssociation  = "aws:ram/resourceAssociation:ResourceAssociation"
	RamPrincipalAssociation = "aws:ram/principalAssociation:PrincipalAssociation"
)

// Provider is the type of an aws provider resource: the default one, and
// one explicit provider per account the stack acts in besides its own.
const Provider = "pulumi:providers:aws"

// Load balancing.
const (
	LoadBalancer          = "aws:lb/loadBalancer:LoadBalancer"
	AlbLoadBalancer       = "aws:alb/loadBalancer:LoadBalancer" // the alb module's alias of LoadBalancer
	TargetGroup           = "aws:lb/targetGroup:TargetGroup"
	Listener              = "aws:lb/listener:Listener"
	TargetGroupAttachment = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
	WebAclAssociation     = "aws:wafv2/webAclAssociation:WebAclAssociation"
)

// Route 53.
const (
	Zone            = "aws:route53/zone:Zone"
	ZoneAssociation = "aws:route53/zoneAssociation:ZoneAssociation"
	Record          = "aws:route53/record:Record"
	// VpcAssociationAuthorization lets a VPC of another account be
	// associated with a private zone; the zone's account creates it.
	VpcAssociationAuthorization = "aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization"
)

// IAM.
const (
	Role                 = "aws:iam/role:Role"
	RolePolicy           = "aws:iam/rolePolicy:RolePolicy"
	RolePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	IamPolicy            = "aws:iam/policy:Policy"
	InstanceProfile      = "aws:iam/instanceProfile:InstanceProfile"
)

// Lambda and its logs.
const (
	Function         = "aws:lambda/function:Function"
	LambdaPermission = "aws:lambda/permission:Permission"
	FunctionUrl      = "aws:lambda/functionUrl:FunctionUrl"
	LogGroup         = "aws:cloudwatch/logGroup:LogGroup"
)

// S3: the bucket and the resources that configure it (the V2 resources the
// stack uses, and the older ones a state may hold).
const (
	Bucket                                    = "aws:s3/bucket:Bucket"
	BucketV2                                  = "aws:s3/bucketV2:BucketV2"
	BucketPublicAccessBlock                   = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	BucketOwnershipControls                   = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	BucketServerSideEncryptionConfiguration   = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	BucketServerSideEncryptionConfigurationV2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	BucketLifecycleConfiguration              = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
	BucketLifecycleConfigurationV2            = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	BucketPolicy                              = "aws:s3/bucketPolicy:BucketPolicy"
	BucketAcl                                 = "aws:s3/bucketAcl:BucketAcl"
	BucketAclV2                               = "aws:s3/bucketAclV2:BucketAclV2"
)

// Types no stack of this program registers, named where a test adds one to
// see how the verifier or the twin treats a type it does not model.
const (
	NetworkFirewall = "aws:networkfirewall/firewall:Firewall"
)
