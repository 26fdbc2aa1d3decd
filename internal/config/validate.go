package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/internal-alb/internal-alb/alb"
	"github.com/internal-alb/internal-alb/internal/ipam"
	"github.com/internal-alb/internal-alb/network"
)

var (
	vpcNameRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	dnsLabelRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	lambdaNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Runtimes are the Lambda runtimes the function may use: Node.js runtimes that
// AWS accepts for new functions and the pulumi-aws v6 line knows.
var Runtimes = []string{"nodejs22.x"}

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Validate returns every problem of c joined in one error, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// VPCs: names, what each is, blocks, subnets that fit, no overlaps
	// between configured blocks (CheckResolved adds the looked-up ones).
	type placed struct {
		key    string
		prefix netip.Prefix
	}
	var blocks []placed
	names := map[string]string{}
	vpcIDs := map[string]string{}
	for i, v := range c.AllVpcs() {
		key := c.vpcKey(i)
		if !vpcNameRe.MatchString(v.Name) {
			bad("%s.name: %q must be 1-20 lowercase letters, digits or hyphens, starting with a letter", key, v.Name)
		} else if other, dup := names[v.Name]; dup {
			bad("%s.name: %q is already the name of %s", key, v.Name, other)
		} else {
			names[v.Name] = key
		}
		if i == 0 {
			errs = append(errs, checkServiceVpc(key, v)...)
		} else {
			errs = append(errs, checkConsumer(key, v, vpcIDs)...)
		}
		if v.Nat != "" {
			if err := network.OneOf(v.Nat, network.NatModes); err != nil {
				bad("%s.nat: %q %v", key, v.Nat, err)
			}
		}
		if i > 0 && v.Cidr == "" {
			continue // an existing VPC's block is looked up; checkConsumer reports one that has neither
		}
		p, err := ipam.ParseIPv4Cidr(v.Cidr)
		if err != nil {
			bad("%s.cidr: %q: %v", key, v.Cidr, err)
			continue
		}
		if p.Bits() < 16 || p.Bits() > 28 {
			bad("%s.cidr: %q must be between /16 and /28 (AWS's VPC limits)", key, v.Cidr)
			continue
		}
		for _, b := range blocks {
			if b.prefix.Overlaps(p) {
				bad("%s.cidr: %q overlaps %s.cidr %q; routed VPCs need distinct blocks", key, v.Cidr, b.key, b.prefix)
			}
		}
		blocks = append(blocks, placed{key, p})
		if c.AzCount >= 2 && c.SubnetPrefixLength >= 17 && c.SubnetPrefixLength <= 28 {
			if _, err := ipam.Split(p, c.SubnetPrefixLength, c.AzCount); err != nil {
				bad("%s.cidr: %q cannot hold %d private and %d public /%d subnets (%s, %s): %v", key, v.Cidr, c.AzCount, c.AzCount, c.SubnetPrefixLength, Key("azCount"), Key("subnetPrefixLength"), err)
			}
		}
	}
	if len(c.ConsumerVpcs) == 0 {
		bad("%s: [] must list at least one VPC; the consumers are the point of the stack", Key("consumerVpcs"))
	}

	if c.AzCount < 2 {
		bad("%s: %d is fewer than 2; an ALB needs subnets in at least two AZs", Key("azCount"), c.AzCount)
	}
	if c.SubnetPrefixLength < 17 || c.SubnetPrefixLength > 28 {
		bad("%s: %d must be between 17 and 28", Key("subnetPrefixLength"), c.SubnetPrefixLength)
	}
	if err := network.OneOf(c.NatMode, network.NatModes); err != nil {
		bad("%s: %q %v", Key("natMode"), c.NatMode, err)
	}
	if err := network.OneOf(c.Connectivity, network.Connectivities); err != nil {
		bad("%s: %q %v", Key("connectivity"), c.Connectivity, err)
	}
	if err := network.OneOf(c.TransitGatewaySharing, network.Sharings); err != nil {
		bad("%s: %q %v", Key("transitGatewaySharing"), c.TransitGatewaySharing, err)
	}
	errs = append(errs, c.checkQuotas()...)

	// Admin access.
	if err := network.OneOf(c.AdminAccess, network.AdminAccesses); err != nil {
		bad("%s: %q %v", Key("adminAccess"), c.AdminAccess, err)
	} else if c.AdminAccess == network.AdminBastion && len(c.AdminCidrs) == 0 {
		bad("%s: [] is empty but %s is %s; list the CIDRs allowed to SSH to the bastions, or set %s to %s or %s", Key("adminCidrs"), Key("adminAccess"), network.AdminBastion, Key("adminAccess"), network.AdminInstanceConnectEndpoint, network.AdminNone)
	} else if c.AdminAccess != network.AdminBastion && len(c.AdminCidrs) > 0 {
		bad("%s: %v is set but %s is %s, which has no bastion to admit them; remove the key or set %s to %s", Key("adminCidrs"), c.AdminCidrs, Key("adminAccess"), c.AdminAccess, Key("adminAccess"), network.AdminBastion)
	}
	for i, s := range c.AdminCidrs {
		key := fmt.Sprintf("%s[%d]", Key("adminCidrs"), i)
		p, err := ipam.ParseIPv4Cidr(s)
		if err != nil {
			bad("%s: %q: %v", key, s, err)
			continue
		}
		if p.Bits() < ipam.AdminPrefixLimit && !ipam.IsPrivate(p) && !c.AllowSshFromAnywhere {
			bad("%s: %q opens SSH to more than a /%d of the internet; list your own egress ranges, or set %s: true if you really mean it", key, s, ipam.AdminPrefixLimit, Key("allowSshFromAnywhere"))
		}
	}
	if c.SshPublicKey != "" {
		if c.AdminAccess == network.AdminNone {
			bad("%s is set but %s is %s, so no one could use it; remove the key or choose another %s", Key("sshPublicKey"), Key("adminAccess"), network.AdminNone, Key("adminAccess"))
		} else if strings.Contains(c.SshPublicKey, "PRIVATE KEY") {
			bad("%s holds a private key; remove it from the stack file (and consider that key exposed), then give the public half: one line of a *.pub file", Key("sshPublicKey"))
		} else if _, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(c.SshPublicKey)); err != nil || len(strings.TrimSpace(string(rest))) > 0 {
			bad("%s: %q is not one OpenSSH public key; paste one line of your ~/.ssh/id_ed25519.pub (or another *.pub)", Key("sshPublicKey"), shorten(c.SshPublicKey))
		}
	}

	// Compute, ALB, DNS, Lambda.
	if c.InstanceType == "" {
		bad("%s: \"\" must name an EC2 instance type", Key("instanceType"))
	}
	if err := alb.CheckName(c.AlbName); err != nil {
		bad("%s: %q %v", Key("albName"), c.AlbName, err)
	}
	if c.WebCount < 1 {
		bad("%s: %d must be at least 1", Key("webCount"), c.WebCount)
	}
	if c.ZoneName == "" {
		bad("%s: \"\" must name the private hosted zone", Key("zoneName"))
	} else if !validDomain(c.ZoneName) {
		bad("%s: %q is not a valid DNS name", Key("zoneName"), c.ZoneName)
	}
	if !dnsLabelRe.MatchString(c.RecordName) {
		bad("%s: %q must be one lowercase DNS label", Key("recordName"), c.RecordName)
	}
	if !lambdaNameRe.MatchString(c.LambdaName) {
		bad("%s: %q must be 1-64 letters, digits, hyphens or underscores", Key("lambdaName"), c.LambdaName)
	}
	if !slices.Contains(Runtimes, c.LambdaRuntime) {
		bad("%s: %q is not one of %v", Key("lambdaRuntime"), c.LambdaRuntime, Runtimes)
	}
	if !slices.Contains(LogRetentionDays, c.LogRetentionDays) {
		bad("%s: %d is not a retention CloudWatch Logs accepts (%v)", Key("logRetentionDays"), c.LogRetentionDays, LogRetentionDays)
	}
	if c.LogExpirationDays < 1 {
		bad("%s: %d must be at least 1", Key("logExpirationDays"), c.LogExpirationDays)
	}
	return errors.Join(errs...)
}

// shorten keeps an error line readable when a value is long.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func validDomain(name string) bool {
	if len(name) > 253 {
		return false
	}
	start := 0
	if name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			if !dnsLabelRe.MatchString(name[start:i]) {
				return false
			}
			start = i + 1
		}
	}
	return true
}
