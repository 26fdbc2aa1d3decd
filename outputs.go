package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/pulumix"
	"github.com/internal-alb/internal-alb/lambda"
	"github.com/internal-alb/internal-alb/network"
)

// parts are the composed components that the outputs are read from.
type parts struct {
	service        *network.Vpc
	consumers      []*network.Vpc
	connectivityID pulumi.Input
	alb            *alb.InternalAlb
	zone           *dns.PrivateZone
	fn             *lambda.PrivateFunction
	clients        []*network.Client
	region         string
}

// output is one stack output.
type output struct {
	name  string
	value pulumi.Input
}

// stackOutputs are the stack outputs, the ALB's DNS name first.
func stackOutputs(cfg config.Config, o parts) []output {
	var outs []output
	export := func(name string, v pulumi.Input) { outs = append(outs, output{name, v}) }
	export("albDnsName", o.alb.DNSName)
	export("albUrl", pulumi.Sprintf("http://%s", o.alb.DNSName))
	export("privateAlbUrl", pulumi.String("http://"+cfg.RecordFqdn()))
	export("zoneId", o.zone.ZoneID)
	export("connectivity", pulumi.String(cfg.Connectivity))
	export("connectivityId", o.connectivityID)

	vpcs := append([]*network.Vpc{o.service}, o.consumers...)
	vpcIDs, vpcCidrs, bastions := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	for _, v := range vpcs {
		vpcIDs[v.Name()] = v.VpcID
		vpcCidrs[v.Name()] = pulumi.String(v.Cidr)
		if v.HasBastion() {
			bastions[v.Name()] = v.BastionPublicIP
		}
	}
	export("vpcIds", vpcIDs)
	export("vpcCidrs", vpcCidrs)
	export("bastionPublicIps", bastions)
	export("webPrivateIps", pulumix.StringArray(o.alb.WebPrivateIPs))

	export("lambdaFunctionName", o.fn.FunctionName)
	export("lambdaFunctionArn", o.fn.FunctionArn)

	clientIPs, endpointDNS, tryCmds := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringArrayMap{}
	for i, c := range o.consumers {
		clientIPs[c.Name()] = o.clients[i].PrivateIP
		endpointDNS[c.Name()] = o.fn.EndpointDNSNames[i]
		tryCmds[c.Name()] = tryCommands(cfg, o, c, o.clients[i])
	}
	export("clientPrivateIps", clientIPs)
	export("lambdaEndpointDnsNames", endpointDNS)
	export("tryFromClient", tryCmds)
	return outs
}

// tryCommands are the commands that try the mission's paths from a consumer's
// client, the first one reaching the client through its VPC's bastion.
func tryCommands(cfg config.Config, o parts, v *network.Vpc, c *network.Client) pulumi.StringArray {
	var cmds pulumi.StringArray
	if v.HasBastion() {
		cmds = append(cmds, pulumi.Sprintf("ssh -J ec2-user@%s ec2-user@%s", v.BastionPublicIP, c.PrivateIP))
	}
	return append(cmds,
		pulumi.Sprintf("curl -sS http://%s/", o.alb.DNSName),
		pulumi.String(fmt.Sprintf("curl -sS http://%s/", cfg.RecordFqdn())),
		pulumi.String(fmt.Sprintf("aws lambda invoke --region %s --function-name %s response.json && cat response.json", o.region, cfg.LambdaName)),
	)
}
