package twin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
)

// carried are the resource types the twin builds something from.
var carried = map[string]bool{
	awstype.Vpc:                          true,
	awstype.Subnet:                       true,
	awstype.RouteTable:                   true,
	awstype.DefaultRouteTable:            true,
	awstype.MainRouteTableAssociation:    true,
	awstype.Route:                        true,
	awstype.RouteTableAssociation:        true,
	awstype.SecurityGroup:                true,
	awstype.DefaultSecurityGroup:         true,
	awstype.SecurityGroupRule:            true,
	awstype.SecurityGroupIngressRule:     true,
	awstype.SecurityGroupEgressRule:      true,
	awstype.NetworkAcl:                   true,
	awstype.DefaultNetworkAcl:            true,
	awstype.NetworkAclRule:               true,
	awstype.NetworkAclAssociation:        true,
	awstype.Instance:                     true,
	awstype.VpcPeeringConnection:         true,
	awstype.VpcPeeringConnectionAccepter: true,
	awstype.TransitGateway:               true,
	awstype.TgwVpcAttachment:             true,
	awstype.TgwRouteTable:                true,
	awstype.TgwRouteTableAssociation:     true,
	awstype.TgwRouteTablePropagation:     true,
	awstype.TgwRoute:                     true,
	awstype.LoadBalancer:                 true,
	awstype.AlbLoadBalancer:              true,
	awstype.TargetGroup:                  true,
	awstype.Listener:                     true,
	awstype.TargetGroupAttachment:        true,
	awstype.VpcEndpoint:                  true,
	awstype.Zone:                         true,
	awstype.ZoneAssociation:              true,
	awstype.Record:                       true,
	awstype.Role:                         true,
	awstype.RolePolicy:                   true,
	awstype.RolePolicyAttachment:         true,
	awstype.IamPolicy:                    true,
	awstype.InstanceProfile:              true,
	awstype.Function:                     true,
}

// offPath are types the twin leaves out because they carry no packet and
// grant nothing on a probe's path.
var offPath = map[string]string{
	"pulumi:pulumi:Stack":             "the stack (its outputs give the tryFromClient probes)",
	"pulumi:providers:aws":            "the provider",
	awstype.LogGroup:                  "logs",
	awstype.FlowLog:                   "logs",
	awstype.EbsVolume:                 "storage",
	awstype.InternetGateway:           "the internet: the twin has none, and no probe needs it",
	awstype.InternetGatewayAttachment: "the internet: the twin has none",
	awstype.Eip:                       "public addresses: the twin has no internet",
	awstype.EipAssociation:            "public addresses: the twin has no internet",
	awstype.NatGateway:                "the internet: the twin has none, and no probe needs it",
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
