package twin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// carried are the resource types the twin builds something from.
var carried = map[string]bool{
	"aws:ec2/vpc:Vpc": true, "aws:ec2/subnet:Subnet": true, "aws:ec2/routeTable:RouteTable": true,
	"aws:ec2/defaultRouteTable:DefaultRouteTable": true, "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": true,
	"aws:ec2/route:Route": true, "aws:ec2/routeTableAssociation:RouteTableAssociation": true,
	"aws:ec2/securityGroup:SecurityGroup": true, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": true,
	"aws:ec2/securityGroupRule:SecurityGroupRule": true, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": true,
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": true, "aws:ec2/networkAcl:NetworkAcl": true,
	"aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": true, "aws:ec2/networkAclRule:NetworkAclRule": true,
	"aws:ec2/networkAclAssociation:NetworkAclAssociation": true, "aws:ec2/instance:Instance": true,
	"aws:ec2/vpcPeeringConnection:VpcPeeringConnection": true, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": true,
	"aws:ec2transitgateway/transitGateway:TransitGateway": true, "aws:ec2transitgateway/vpcAttachment:VpcAttachment": true,
	"aws:ec2transitgateway/routeTable:RouteTable": true, "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation": true,
	"aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation": true, "aws:ec2transitgateway/route:Route": true,
	"aws:lb/loadBalancer:LoadBalancer": true, "aws:alb/loadBalancer:LoadBalancer": true, "aws:lb/targetGroup:TargetGroup": true,
	"aws:lb/listener:Listener": true, "aws:lb/targetGroupAttachment:TargetGroupAttachment": true,
	"aws:ec2/vpcEndpoint:VpcEndpoint": true, "aws:route53/zone:Zone": true, "aws:route53/zoneAssociation:ZoneAssociation": true,
	"aws:route53/record:Record": true, "aws:iam/role:Role": true, "aws:iam/rolePolicy:RolePolicy": true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": true, "aws:iam/policy:Policy": true,
	"aws:iam/instanceProfile:InstanceProfile": true, "aws:lambda/function:Function": true,
}

// offPath are types the twin leaves out because they carry no packet and
// grant nothing on a probe's path.
var offPath = map[string]string{
	"pulumi:pulumi:Stack":                                         "the stack (its outputs give the tryFromClient probes)",
	"pulumi:providers:aws":                                        "the provider",
	"aws:cloudwatch/logGroup:LogGroup":                            "logs",
	"aws:ec2/flowLog:FlowLog":                                     "logs",
	"aws:ebs/volume:Volume":                                       "storage",
	"aws:ec2/internetGateway:InternetGateway":                     "the internet: the twin has none, and no probe needs it",
	"aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": "the internet: the twin has none",
	"aws:ec2/eip:Eip":                                             "public addresses: the twin has no internet",
	"aws:ec2/eipAssociation:EipAssociation":                       "public addresses: the twin has no internet",
	"aws:ec2/natGateway:NatGateway":                               "the internet: the twin has none, and no probe needs it",
}

// unmodelled lists the graph's resource types the twin neither builds nor
// knowingly leaves out, each saying whether it could matter to a probe: a
// network or DNS type could carry or block a probe's packets (the twin's
// answer may then differ from AWS's); any other type does not touch them.
func unmodelled(g graph.Graph) []string {
	count := map[string]int{}
	for _, r := range g {
		if !r.Custom || carried[r.Type] || offPath[r.Type] != "" || !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		count[r.Type]++
	}
	var out []string
	for typ, n := range count {
		out = append(out, fmt.Sprintf("the twin does not model %s (%d): %s", typ, n, mattersToProbes(typ)))
	}
	sort.Strings(out)
	return out
}

func mattersToProbes(typ string) string {
	for _, p := range []string{"aws:ec2/", "aws:ec2transitgateway/", "aws:vpc/", "aws:lb/", "aws:alb/", "aws:route53", "aws:networkfirewall/", "aws:iam/", "aws:lambda/", "aws:ram/"} {
		if strings.HasPrefix(typ, p) {
			return "it may matter to a probe (network, DNS or IAM): where it carries or blocks traffic, the twin's answer can differ from AWS's"
		}
	}
	return "it does not touch a probe's path"
}
