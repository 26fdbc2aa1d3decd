package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Flow is TCP traffic that crosses the private tier's network ACLs: to Port
// in the private tier from Cidr (Inbound), or from the private tier to Port
// in Cidr. Its return traffic is admitted with it.
type Flow struct {
	Port    int
	Cidr    string
	Inbound bool
}

// Within is a flow between two private subnets of one VPC (cidr): it
// crosses the tier's ACL once on the way out and once on the way in.
func Within(port int, cidr string) []Flow {
	return []Flow{{Port: port, Cidr: cidr, Inbound: true}, {Port: port, Cidr: cidr}}
}

// AclEntry is one network ACL entry, TCP only: the stack carries nothing
// else across subnets (DNS to the VPC resolver and the metadata service are
// not filtered by network ACLs).
type AclEntry struct {
	Rule     int
	Egress   bool
	Deny     bool
	From, To int
	Cidr     string
}

// Return traffic goes to the initiator's ephemeral port. Inside the stack's
// VPCs the initiator may be an ALB node or a NAT gateway (1024-65535); from
// the internet, replies only reach the Linux instances' own range, which
// keeps 22 and 3389 closed to it.
const (
	anywhere          = "0.0.0.0/0"
	ephemeralLow      = 1024
	linuxEphemeralLow = 32768
	ephemeralHigh     = 65535
	rdpPort           = 3389
	// AclQuota is AWS's default number of rules per direction per network ACL.
	AclQuota = 20
)

// acl collects entries of one network ACL, numbered in order of addition,
// ingress and egress apart, without duplicates.
type acl struct{ entries []AclEntry }

func (a *acl) add(egress, deny bool, from, to int, cidr string) {
	e := AclEntry{Egress: egress, Deny: deny, From: from, To: to, Cidr: cidr}
	for _, x := range a.entries {
		x.Rule = 0
		if x == e {
			return
		}
	}
	n := 0
	for _, x := range a.entries {
		if x.Egress == egress {
			n++
		}
	}
	e.Rule = 100 + 10*n
	a.entries = append(a.entries, e)
}

// in admits port from cidr, with the replies out to cidr's ephemeral ports.
func (a *acl) in(port int, cidr string, replyLow int) {
	a.add(false, false, port, port, cidr)
	a.add(true, false, replyLow, ephemeralHigh, cidr)
}

// out sends to port of cidr, with the replies in on the tier's ephemeral ports.
func (a *acl) out(port int, cidr string, replyLow int) {
	a.add(true, false, port, port, cidr)
	a.add(false, false, replyLow, ephemeralHigh, cidr)
}

func (a *acl) count(egress bool) int {
	n := 0
	for _, e := range a.entries {
		if e.Egress == egress {
			n++
		}
	}
	return n
}

// tierAcls are the entries of the VPC's two network ACLs.
type tierAcls struct{ public, private []AclEntry }

// aclsFor returns the network ACL entries of a VPC with block cidr: exactly
// the flows given, administrators' SSH, and HTTPS out of the private tier
// when the VPC has a way out (the S3 gateway endpoint or NAT).
func aclsFor(cidr string, flows []Flow, admin *AdminArgs, httpsOut, nat bool) tierAcls {
	var pub, priv acl
	for _, f := range flows {
		if f.Inbound {
			priv.in(f.Port, f.Cidr, ephemeralLow)
		} else {
			priv.out(f.Port, f.Cidr, ephemeralLow)
		}
	}
	switch {
	case admin == nil:
	case admin.Bastion != nil:
		// The admins to the bastion, the bastion on into the private tier.
		for _, c := range admin.Bastion.AdminCidrs {
			pub.in(22, c, ephemeralLow)
		}
		pub.out(22, cidr, ephemeralLow)
		priv.in(22, cidr, ephemeralLow)
	default:
		// The Instance Connect Endpoint sits in the private tier: its SSH
		// leaves one private subnet and enters another.
		priv.in(22, cidr, ephemeralLow)
		priv.out(22, cidr, ephemeralLow)
	}
	if httpsOut || nat {
		// S3 answers from public addresses, through the gateway endpoint or
		// the NAT gateway, to the instances' own ephemeral ports only.
		priv.out(443, anywhere, linuxEphemeralLow)
	}
	if nat {
		// The NAT gateway forwards the private tier's HTTPS and takes the
		// replies on its own ports (1024-65535). RDP is inside that range:
		// a deny ahead of the allow keeps it closed to the internet.
		pub.in(443, cidr, ephemeralLow)
		pub.add(true, false, 443, 443, anywhere)
		pub.add(false, true, rdpPort, rdpPort, anywhere)
		pub.add(false, false, ephemeralLow, ephemeralHigh, anywhere)
	}
	return tierAcls{public: pub.entries, private: priv.entries}
}

// checkQuota refuses ACLs over AWS's default rule quota, before anything is
// created.
func (t tierAcls) checkQuota() error {
	for _, tier := range []struct {
		name    string
		entries []AclEntry
	}{{"public", t.public}, {"private", t.private}} {
		a := acl{tier.entries}
		for _, egress := range []bool{false, true} {
			if n := a.count(egress); n > AclQuota {
				dir := map[bool]string{false: "inbound", true: "outbound"}[egress]
				return fmt.Errorf("its %s network ACL needs %d %s rules, over AWS's default quota of %d per direction (fewer flows or admin CIDRs, or raise the quota to 40 and AclQuota with it)", tier.name, n, dir, AclQuota)
			}
		}
	}
	return nil
}

// newAcl creates a network ACL with its entries, associated with subnets.
func newAcl(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, entries []AclEntry, subnets []pulumi.StringOutput, in pulumi.ResourceOption) error {
	var ingress ec2.NetworkAclIngressArray
	var egress ec2.NetworkAclEgressArray
	for _, e := range entries {
		action := "allow"
		if e.Deny {
			action = "deny"
		}
		if e.Egress {
			egress = append(egress, ec2.NetworkAclEgressArgs{
				RuleNo: pulumi.Int(e.Rule), Action: pulumi.String(action), Protocol: pulumi.String("6"),
				CidrBlock: pulumi.String(e.Cidr), FromPort: pulumi.Int(e.From), ToPort: pulumi.Int(e.To),
			})
		} else {
			ingress = append(ingress, ec2.NetworkAclIngressArgs{
				RuleNo: pulumi.Int(e.Rule), Action: pulumi.String(action), Protocol: pulumi.String("6"),
				CidrBlock: pulumi.String(e.Cidr), FromPort: pulumi.Int(e.From), ToPort: pulumi.Int(e.To),
			})
		}
	}
	ids := pulumi.StringArray{}
	for _, s := range subnets {
		ids = append(ids, s)
	}
	if _, err := ec2.NewNetworkAcl(ctx, name, &ec2.NetworkAclArgs{
		VpcId:     vpcID,
		SubnetIds: ids,
		Ingress:   ingress,
		Egress:    egress,
		Tags:      pulumi.StringMap{"Name": pulumi.String(name)},
	}, in); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}
