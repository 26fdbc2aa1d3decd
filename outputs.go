package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/dns"
	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/inputs"
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
		if v.Admin != nil && v.Admin.Bastion != nil {
			bastions[v.Name()] = v.Admin.Bastion.PublicIP
		}
	}
	export("vpcIds", vpcIDs)
	export("vpcCidrs", vpcCidrs)
	export("bastionPublicIps", bastions)
	export("webPrivateIps", inputs.StringArray(o.alb.WebPrivateIPs))

	export("lambdaFunctionName", o.fn.FunctionName)
	export("lambdaFunctionArn", o.fn.FunctionArn)

	clientIPs, endpointDNS, tryCmds := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringArrayMap{}
	profiles := pulumi.StringMap{}
	for i, c := range o.consumers {
		endpointDNS[c.Name()] = o.fn.EndpointDNSNames[i]
		if o.clients[i] == nil {
			// The consumer's own instances take this profile to invoke.
			profiles[c.Name()] = o.fn.Invokers[i].InstanceProfileName
			continue
		}
		clientIPs[c.Name()] = o.clients[i].PrivateIP
		tryCmds[c.Name()] = tryCommands(cfg, o, c, o.clients[i])
	}
	export("clientPrivateIps", clientIPs)
	export("lambdaEndpointDnsNames", endpointDNS)
	export("tryFromClient", tryCmds)
	if len(profiles) > 0 {
		export("invokerInstanceProfiles", profiles)
	}
	return outs
}

// tryCommands are the commands that try the mission's paths from a consumer's
// client, the first one reaching the client the way cfg.AdminAccess allows.
func tryCommands(cfg config.Config, o parts, v *network.Vpc, c *network.Client) pulumi.StringArray {
	var cmds pulumi.StringArray
	if connect := connectCommand(cfg, o.region, v, c); connect != nil {
		cmds = append(cmds, connect)
	}
	return append(cmds,
		pulumi.Sprintf("curl -sS http://%s/", o.alb.DNSName),
		pulumi.String(fmt.Sprintf("curl -sS http://%s/", cfg.RecordFqdn())),
		pulumi.String(fmt.Sprintf("aws lambda invoke --region %s --function-name %s response.json && cat response.json", o.region, cfg.LambdaName)),
	)
}

// connectCommand is the one command that opens a shell on the client, or
// nil when the stack has no way in.
//   - bastion with sshPublicKey: plain SSH through the bastion, with the key
//     pair on both instances;
//   - bastion without it: EC2 Instance Connect pushes the user's own public
//     key to the bastion and the client (valid 60 s), then the same SSH;
//   - instanceConnectEndpoint: the AWS CLI opens the tunnel and pushes a
//     one-time key itself.
func connectCommand(cfg config.Config, region string, v *network.Vpc, c *network.Client) pulumi.StringInput {
	if v.Admin == nil {
		return nil
	}
	if b := v.Admin.Bastion; b != nil {
		ssh := pulumi.Sprintf("ssh -J ec2-user@%s ec2-user@%s", b.PublicIP, c.PrivateIP)
		if cfg.SshPublicKey != "" {
			return ssh
		}
		push := func(id pulumi.StringOutput) pulumi.StringOutput {
			return pulumi.Sprintf("aws ec2-instance-connect send-ssh-public-key --region %s --instance-id %s --instance-os-user ec2-user --ssh-public-key file://~/.ssh/id_ed25519.pub", region, id)
		}
		return pulumi.Sprintf("%s && %s && %s", push(b.InstanceID), push(c.InstanceID), ssh)
	}
	return pulumi.Sprintf("aws ec2-instance-connect ssh --region %s --instance-id %s --os-user ec2-user --connection-type eice", region, c.InstanceID)
}
