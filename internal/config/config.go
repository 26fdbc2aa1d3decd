// Package config is the stack's configuration: one typed struct with the
// defaults of the blueprint, loaded from Pulumi stack config, and a Validate
// that reports every problem at once, each naming its key and value.
//
// Each key is declared once, in Keys (keys.go): its name, type, default and
// description drive loading, the Pulumi.yaml check and the README check.
// Load takes a lookup function, so the same code serves the program, its
// tests and the tools. The modes are the network package's types.
package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/internal-alb/internal-alb/network"
)

// Namespace is the project name, which prefixes every key in stack files.
const Namespace = "internal-alb"

// Vpc is one VPC of the stack: one it creates (Cidr), or, for a consumer,
// one that exists already (VpcID), in the stack's account or another one.
type Vpc struct {
	// Name prefixes the VPC's resources ("foo", "bar").
	Name string `json:"name"`
	// Cidr is the IPv4 block of a VPC the stack creates, e.g. "10.2.0.0/16".
	Cidr string `json:"cidr,omitempty"`
	// Nat overrides the stack's natMode for a VPC the stack creates ("" =
	// use natMode).
	Nat network.NatMode `json:"nat,omitempty"`
	// VpcID names an existing VPC to connect (consumers only), e.g.
	// "vpc-0a1b2c3d4e5f60718".
	VpcID string `json:"vpcId,omitempty"`
	// SubnetIDs are the subnets of the existing VPC whose route tables get
	// the routes to the service VPC; nil means its private subnets.
	SubnetIDs []string `json:"subnetIds,omitempty"`
	// Client asks for a client instance; nil means WantsClient's default.
	Client *bool `json:"client,omitempty"`
	// Account puts the consumer in another AWS account (consumers only);
	// nil means the stack's account.
	Account *Account `json:"account,omitempty"`
}

// Account is another AWS account that holds a consumer VPC.
type Account struct {
	// RoleArn is the IAM role the deployment assumes in that account.
	RoleArn string `json:"roleArn"`
	// Region, when set, must equal the stack's region (CheckResolved).
	Region string `json:"region,omitempty"`
}

// Existing reports whether v is a VPC that exists already, which the stack
// connects rather than creates.
func (v Vpc) Existing() bool { return v.VpcID != "" }

// WantsClient reports whether v gets a client instance: as its client
// field says, else true for a VPC the stack creates and false for an
// existing one.
func (v Vpc) WantsClient() bool {
	if v.Client != nil {
		return *v.Client
	}
	return !v.Existing()
}

// ID returns the 12-digit AWS account of the role a is reached by; "" for
// nil (the stack's own account) or a RoleArn that is not an IAM role ARN.
func (a *Account) ID() string {
	if a == nil {
		return ""
	}
	m := roleArnRe.FindStringSubmatch(a.RoleArn)
	if m == nil {
		return ""
	}
	return m[2]
}

// Config is the whole stack configuration; Keys names the key of each field.
type Config struct {
	ServiceVpc            Vpc
	ConsumerVpcs          []Vpc
	AzCount               int
	SubnetPrefixLength    int
	NatMode               network.NatMode
	S3GatewayEndpoint     bool
	Connectivity          network.Connectivity
	TransitGatewaySharing network.Sharing
	AdminAccess           network.AdminAccess
	AdminCidrs            []string
	AllowSshFromAnywhere  bool
	SshPublicKey          string
	InstanceType          string
	AlbName               string
	WebCount              int
	ZoneName              string
	RecordName            string
	EndpointPerAz         bool
	LambdaName            string
	LambdaRuntime         string
	LogRetentionDays      int
	Logs                  bool
	LogExpirationDays     int
}

// Default returns the blueprint's defaults: the seed's foo/bar layout.
func Default() Config {
	return Config{
		ServiceVpc:            Vpc{Name: "foo", Cidr: "10.2.0.0/16"},
		ConsumerVpcs:          []Vpc{{Name: "bar", Cidr: "10.3.0.0/16"}},
		AzCount:               2,
		SubnetPrefixLength:    24,
		NatMode:               network.NatNone,
		S3GatewayEndpoint:     true,
		Connectivity:          network.ByPeering,
		TransitGatewaySharing: network.ShareInOrganization,
		AdminAccess:           network.AdminBastion,
		InstanceType:          "t3.micro",
		AlbName:               "foo-internal-alb",
		WebCount:              2,
		ZoneName:              "home",
		RecordName:            "alb",
		LambdaName:            "hello-world",
		LambdaRuntime:         "nodejs22.x",
		LogRetentionDays:      14,
		Logs:                  true,
		LogExpirationDays:     90,
	}
}

// Lookup returns the raw value of a key in the project's namespace and
// whether it is set.
type Lookup func(key string) (string, bool)

// Key returns the full stack-file key for a short key ("azCount" →
// "internal-alb:azCount"), as error messages show it.
func Key(short string) string { return Namespace + ":" + short }

// Load reads every key of Keys through get, starting from Default, and
// validates the result. The error lists every problem found, parse errors
// first.
func Load(get Lookup) (Config, error) {
	c := Default()
	var errs []error
	for old, hint := range retired {
		if v, ok := get(old); ok {
			errs = append(errs, fmt.Errorf("%s: %q is no longer read; %s", Key(old), v, hint))
		}
	}
	for _, k := range Keys {
		v, ok := get(k.Name)
		if !ok {
			continue
		}
		if err := k.set(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q %v", Key(k.Name), v, err))
		}
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// ConsumerKey is the stack key of consumer i, as error messages name it:
// "internal-alb:consumerVpcs[1]".
func (c Config) ConsumerKey(i int) string { return fmt.Sprintf("%s[%d]", Key("consumerVpcs"), i) }

// vpcKey is the stack key of AllVpcs()[i].
func (c Config) vpcKey(i int) string {
	if i == 0 {
		return Key("serviceVpc")
	}
	return c.ConsumerKey(i - 1)
}

// AllVpcs returns the service VPC followed by the consumer VPCs.
func (c Config) AllVpcs() []Vpc {
	return append([]Vpc{c.ServiceVpc}, c.ConsumerVpcs...)
}

// NatFor returns the NAT mode that applies to v.
func (c Config) NatFor(v Vpc) network.NatMode {
	if v.Nat != "" {
		return v.Nat
	}
	return c.NatMode
}

// RecordFqdn is the ALB's private name, e.g. "alb.home".
func (c Config) RecordFqdn() string {
	return c.RecordName + "." + strings.TrimSuffix(c.ZoneName, ".")
}
