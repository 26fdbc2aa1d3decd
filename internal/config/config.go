// Package config is the stack's configuration: one typed struct with the
// defaults of the blueprint, loaded from Pulumi stack config, and a Validate
// that reports every problem at once, each naming its key and value.
//
// It has no Pulumi dependency: Load takes a lookup function, so the same code
// serves the program, its tests and the tools.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Namespace is the project name, which prefixes every key in stack files.
const Namespace = "internal-alb"

// NAT modes.
const (
	NatNone     = "none"     // no NAT gateway: private subnets reach S3 through the gateway endpoint only
	NatSingle   = "single"   // one NAT gateway per VPC, in the first AZ
	NatOnePerAz = "onePerAz" // one NAT gateway per AZ per VPC (AZ-independent egress)
)

// Admin access modes: how an administrator reaches the instances over SSH.
const (
	AdminBastion                 = "bastion"                 // a bastion with a public address in each VPC, SSH from adminCidrs
	AdminInstanceConnectEndpoint = "instanceConnectEndpoint" // an EC2 Instance Connect Endpoint in each VPC; no public address anywhere
	AdminNone                    = "none"                    // no SSH path at all
)

// Connectivity modes between the service VPC and the consumer VPCs.
const (
	Peering        = "peering"
	TransitGateway = "transitGateway"
)

// Vpc is one VPC of the stack.
type Vpc struct {
	// Name prefixes the VPC's resources ("foo", "bar").
	Name string `json:"name"`
	// Cidr is the VPC's IPv4 block, e.g. "10.2.0.0/16".
	Cidr string `json:"cidr"`
	// Nat overrides the stack's natMode for this VPC ("" = use natMode).
	Nat string `json:"nat,omitempty"`
}

// Config is the whole stack configuration. Field comments name the config key.
type Config struct {
	ServiceVpc           Vpc      // serviceVpc: the VPC with the ALB and web servers
	ConsumerVpcs         []Vpc    // consumerVpcs: VPCs whose clients reach the ALB
	AzCount              int      // azCount: AZs per VPC (looked up, first N available)
	SubnetPrefixLength   int      // subnetPrefixLength: size of every subnet
	NatMode              string   // natMode: none | single | onePerAz
	S3GatewayEndpoint    bool     // s3GatewayEndpoint: S3 gateway endpoint on private route tables
	Connectivity         string   // connectivity: peering | transitGateway
	AdminAccess          string   // adminAccess: bastion | instanceConnectEndpoint | none
	AdminCidrs           []string // adminCidrs: who may SSH to the bastions
	AllowSshFromAnywhere bool     // allowSshFromAnywhere: opt-in for public blocks broader than /16 in adminCidrs
	SshPublicKey         string   // sshPublicKey: an OpenSSH public key installed on every instance ("" = none)
	InstanceType         string   // instanceType: for bastions, web servers and clients
	AlbName              string   // albName: the internal ALB's name
	WebCount             int      // webCount: web servers, spread over the AZs
	ZoneName             string   // zoneName: the private hosted zone
	RecordName           string   // recordName: the ALB's record in the zone
	EndpointPerAz        bool     // endpointPerAz: Lambda endpoint in every AZ, not only the clients' AZ
	LambdaName           string   // lambdaName: the function's name
	LambdaRuntime        string   // lambdaRuntime: a Node.js runtime AWS accepts
	LogRetentionDays     int      // logRetentionDays: the function's log retention
	Logs                 bool     // logs: a log bucket with VPC flow logs and the ALB's access logs
	LogExpirationDays    int      // logExpirationDays: the log bucket's objects expire after this many days
}

// Default returns the blueprint's defaults: the seed's foo/bar layout.
func Default() Config {
	return Config{
		ServiceVpc:         Vpc{Name: "foo", Cidr: "10.2.0.0/16"},
		ConsumerVpcs:       []Vpc{{Name: "bar", Cidr: "10.3.0.0/16"}},
		AzCount:            2,
		SubnetPrefixLength: 24,
		NatMode:            NatNone,
		S3GatewayEndpoint:  true,
		Connectivity:       Peering,
		AdminAccess:        AdminBastion,
		InstanceType:       "t3.micro",
		AlbName:            "foo-internal-alb",
		WebCount:           2,
		ZoneName:           "home",
		RecordName:         "alb",
		LambdaName:         "hello-world",
		LambdaRuntime:      "nodejs22.x",
		LogRetentionDays:   14,
		Logs:               true,
		LogExpirationDays:  90,
	}
}

// Lookup returns the raw value of a key in the project's namespace and
// whether it is set.
type Lookup func(key string) (string, bool)

// Key returns the full stack-file key for a short key ("azCount" →
// "internal-alb:azCount"), as error messages show it.
func Key(short string) string { return Namespace + ":" + short }

// Load reads every key through get, starting from Default, and validates the
// result. The error lists every problem found, parse errors first.
func Load(get Lookup) (Config, error) {
	c := Default()
	var errs []error
	str := func(key string, dst *string) {
		if v, ok := get(key); ok {
			*dst = v
		}
	}
	integer := func(key string, dst *int) {
		if v, ok := get(key); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", Key(key), v))
				return
			}
			*dst = n
		}
	}
	boolean := func(key string, dst *bool) {
		if v, ok := get(key); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", Key(key), v))
				return
			}
			*dst = b
		}
	}
	object := func(key string, dst any) {
		if v, ok := get(key); ok {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.DisallowUnknownFields()
			if err := dec.Decode(dst); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q cannot be read: %v", Key(key), v, err))
			}
		}
	}

	object("serviceVpc", &c.ServiceVpc)
	if _, ok := get("consumerVpcs"); ok {
		c.ConsumerVpcs = nil
		object("consumerVpcs", &c.ConsumerVpcs)
	}
	integer("azCount", &c.AzCount)
	integer("subnetPrefixLength", &c.SubnetPrefixLength)
	str("natMode", &c.NatMode)
	boolean("s3GatewayEndpoint", &c.S3GatewayEndpoint)
	str("connectivity", &c.Connectivity)
	if v, ok := get("bastion"); ok {
		errs = append(errs, fmt.Errorf("%s: %q is no longer read; set %s to %s, %s or %s instead", Key("bastion"), v, Key("adminAccess"), AdminBastion, AdminInstanceConnectEndpoint, AdminNone))
	}
	str("adminAccess", &c.AdminAccess)
	object("adminCidrs", &c.AdminCidrs)
	boolean("allowSshFromAnywhere", &c.AllowSshFromAnywhere)
	str("sshPublicKey", &c.SshPublicKey)
	str("instanceType", &c.InstanceType)
	str("albName", &c.AlbName)
	integer("webCount", &c.WebCount)
	str("zoneName", &c.ZoneName)
	str("recordName", &c.RecordName)
	boolean("endpointPerAz", &c.EndpointPerAz)
	str("lambdaName", &c.LambdaName)
	str("lambdaRuntime", &c.LambdaRuntime)
	integer("logRetentionDays", &c.LogRetentionDays)
	boolean("logs", &c.Logs)
	integer("logExpirationDays", &c.LogExpirationDays)

	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// AllVpcs returns the service VPC followed by the consumer VPCs.
func (c Config) AllVpcs() []Vpc {
	return append([]Vpc{c.ServiceVpc}, c.ConsumerVpcs...)
}

// NatFor returns the NAT mode that applies to v.
func (c Config) NatFor(v Vpc) string {
	if v.Nat != "" {
		return v.Nat
	}
	return c.NatMode
}

// Bastion reports whether the stack has a bastion in each VPC.
func (c Config) Bastion() bool { return c.AdminAccess == AdminBastion }

// RecordFqdn is the ALB's private name, e.g. "alb.home".
func (c Config) RecordFqdn() string {
	return c.RecordName + "." + strings.TrimSuffix(c.ZoneName, ".")
}
