package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/network"
)

// devStack is what the dev stack file sets on top of the defaults.
var devStack = map[string]string{"adminCidrs": `["203.0.113.0/24"]`}

// testPublicKey is an ed25519 public key made for the tests; its private half
// was thrown away.
const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1TMpj18d6PWUerVOp4V9LZISxA8YEgkR/j3Pkcuohg test@internal-alb"

// lookup serves the dev stack's values with overrides (short keys, values
// as a stack file's JSON form).
func lookup(overrides map[string]string) Lookup {
	m := map[string]string{}
	for k, v := range devStack {
		m[k] = v
	}
	for k, v := range overrides {
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Every bad input gets an error naming the key and the value, every
// problem at once, parse errors first.
func TestLoadRefusesBadInput(t *testing.T) {
	long := strings.Repeat("a", 33)
	cases := []struct {
		name      string
		overrides map[string]string
		want      []string // every line of the error, in order
	}{
		{"invalid cidr", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/33"}`},
			[]string{`internal-alb:serviceVpc.cidr: "10.2.0.0/33": not a CIDR block`}},
		{"host bits", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.1/16"}]`},
			[]string{`internal-alb:consumerVpcs[0].cidr: "10.3.0.1/16": host bits set (did you mean 10.3.0.0/16?)`}},
		{"ipv6", map[string]string{"serviceVpc": `{"name":"foo","cidr":"fd00::/56"}`},
			[]string{`internal-alb:serviceVpc.cidr: "fd00::/56": not an IPv4 CIDR block`}},
		{"too large", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.0.0.0/8"}`},
			[]string{`internal-alb:serviceVpc.cidr: "10.0.0.0/8" must be between /16 and /28 (AWS's VPC limits)`}},
		{"overlap", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","cidr":"10.2.128.0/17"}]`},
			[]string{`internal-alb:consumerVpcs[1].cidr: "10.2.128.0/17" overlaps internal-alb:serviceVpc.cidr "10.2.0.0/16"; routed VPCs need distinct blocks`}},
		{"duplicate name", map[string]string{"consumerVpcs": `[{"name":"foo","cidr":"10.3.0.0/16"}]`},
			[]string{`internal-alb:consumerVpcs[0].name: "foo" is already the name of internal-alb:serviceVpc`}},
		{"bad vpc name", map[string]string{"consumerVpcs": `[{"name":"Bar_1","cidr":"10.3.0.0/16"}]`},
			[]string{`internal-alb:consumerVpcs[0].name: "Bar_1" must be 1-20 lowercase letters, digits or hyphens, starting with a letter`}},
		{"no consumers", map[string]string{"consumerVpcs": `[]`},
			[]string{`internal-alb:consumerVpcs: [] must list at least one VPC; the consumers are the point of the stack`}},
		{"unknown vpc field", map[string]string{"serviceVpc": `{"name":"foo","cidrBlock":"10.2.0.0/16"}`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidrBlock\":\"10.2.0.0/16\"}" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: unknown field "cidrBlock"`}},
		{"a typo of a vpc field", map[string]string{"serviceVpc": `{"name":"foo","cidrs":"10.2.0.0/16"}`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidrs\":\"10.2.0.0/16\"}" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: unknown field "cidrs" (did you mean "cidr"?)`}},
		// Values of the wrong type, for each type a key can have.
		{"a list where an object goes", map[string]string{"serviceVpc": `[{"name":"foo","cidr":"10.2.0.0/16"}]`},
			[]string{`internal-alb:serviceVpc: "[{\"name\":\"foo\",\"cidr\":\"10.2.0.0/16\"}]" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}`}},
		{"a string where an object goes", map[string]string{"serviceVpc": `foo`},
			[]string{`internal-alb:serviceVpc: "foo" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}`}},
		{"a number where a field's string goes", map[string]string{"serviceVpc": `{"name":"foo","cidr":10}`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidr\":10}" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: cidr is a number, not a string`}},
		{"an object cut short", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16"`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidr\":\"10.2.0.0/16\"" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: the JSON ends early`}},
		{"more after the object", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16"} {}`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidr\":\"10.2.0.0/16\"} {}" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: more follows the first JSON value`}},
		{"an object where a list of objects goes", map[string]string{"consumerVpcs": `{"name":"bar","cidr":"10.3.0.0/16"}`},
			[]string{`internal-alb:consumerVpcs: "{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\"}" is not a list of objects {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}`}},
		{"a list in a field of a list's object", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":["10.3.0.0/16"]}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":[\"10.3.0.0/16\"]}]" is not a list of objects {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: cidr is a list, not a string`}},
		{"a string where a list of strings goes", map[string]string{"adminCidrs": `203.0.113.0/24`},
			[]string{`internal-alb:adminCidrs: "203.0.113.0/24" is not a list of strings`}},
		{"numbers in a list of strings", map[string]string{"adminCidrs": `[1]`},
			[]string{`internal-alb:adminCidrs: "[1]" is not a list of strings`}},
		{"an object where a list of strings goes", map[string]string{"adminCidrs": `{"cidr":"203.0.113.0/24"}`},
			[]string{`internal-alb:adminCidrs: "{\"cidr\":\"203.0.113.0/24\"}" is not a list of strings`}},
		{"a list where a string goes", map[string]string{"instanceType": `["t3.micro"]`},
			[]string{`internal-alb:instanceType: "[\"t3.micro\"]" is a list or an object, not a string`}},
		{"an object where a string goes", map[string]string{"natMode": `{"mode":"single"}`},
			[]string{`internal-alb:natMode: "{\"mode\":\"single\"}" is a list or an object, not a string`}},
		{"a fraction where a whole number goes", map[string]string{"webCount": "2.5"},
			[]string{`internal-alb:webCount: "2.5" is not a whole number`}},
		{"a list where a whole number goes", map[string]string{"azCount": "[2]"},
			[]string{`internal-alb:azCount: "[2]" is not a whole number`}},
		{"a number where true or false goes", map[string]string{"s3GatewayEndpoint": "2"},
			[]string{`internal-alb:s3GatewayEndpoint: "2" is not true or false`}},
		{"one az", map[string]string{"azCount": "1"},
			[]string{`internal-alb:azCount: 1 is fewer than 2; an ALB needs subnets in at least two AZs`}},
		{"az count not a number", map[string]string{"azCount": "two"},
			[]string{`internal-alb:azCount: "two" is not a whole number`}},
		{"subnets do not fit", map[string]string{"azCount": "3", "serviceVpc": `{"name":"foo","cidr":"10.2.0.0/22"}`},
			[]string{`internal-alb:serviceVpc.cidr: "10.2.0.0/22" cannot hold 3 private and 3 public /24 subnets (internal-alb:azCount, internal-alb:subnetPrefixLength): at most 1 private and 1 public /24 subnets fit in 10.2.0.0/22`}},
		{"subnet prefix out of range", map[string]string{"subnetPrefixLength": "30"},
			[]string{`internal-alb:subnetPrefixLength: 30 must be between 17 and 28`}},
		{"unknown nat mode", map[string]string{"natMode": "always"},
			[]string{`internal-alb:natMode: "always" is not one of none, single, onePerAz`}},
		{"unknown per-vpc nat", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","nat":"perAz"}`},
			[]string{`internal-alb:serviceVpc.nat: "perAz" is not one of none, single, onePerAz`}},
		{"unknown connectivity", map[string]string{"connectivity": "vpn"},
			[]string{`internal-alb:connectivity: "vpn" is not one of peering, transitGateway`}},
		{"bastion without admins", map[string]string{"adminCidrs": "[]"},
			[]string{`internal-alb:adminCidrs: [] is empty but internal-alb:adminAccess is bastion; list the CIDRs allowed to SSH to the bastions, or set internal-alb:adminAccess to instanceConnectEndpoint or none`}},
		{"ssh from anywhere", map[string]string{"adminCidrs": `["0.0.0.0/0"]`},
			[]string{`internal-alb:adminCidrs[0]: "0.0.0.0/0" opens SSH to more than a /16 of the internet; list your own egress ranges, or set internal-alb:allowSshFromAnywhere: true if you really mean it`}},
		{"the internet in two halves", map[string]string{"adminCidrs": `["0.0.0.0/1","128.0.0.0/1"]`},
			[]string{
				`internal-alb:adminCidrs[0]: "0.0.0.0/1" opens SSH to more than a /16 of the internet; list your own egress ranges, or set internal-alb:allowSshFromAnywhere: true if you really mean it`,
				`internal-alb:adminCidrs[1]: "128.0.0.0/1" opens SSH to more than a /16 of the internet; list your own egress ranges, or set internal-alb:allowSshFromAnywhere: true if you really mean it`,
			}},
		{"a public /15", map[string]string{"adminCidrs": `["198.18.0.0/15"]`},
			[]string{`internal-alb:adminCidrs[0]: "198.18.0.0/15" opens SSH to more than a /16 of the internet; list your own egress ranges, or set internal-alb:allowSshFromAnywhere: true if you really mean it`}},
		{"admin cidr not a cidr", map[string]string{"adminCidrs": `["198.51.100.7"]`},
			[]string{`internal-alb:adminCidrs[0]: "198.51.100.7": not a CIDR block`}},
		{"the old bastion key", map[string]string{"bastion": "false"},
			[]string{`internal-alb:bastion: "false" is no longer read; set internal-alb:adminAccess to bastion, instanceConnectEndpoint or none instead`}},
		{"unknown admin access", map[string]string{"adminAccess": "ssm"},
			[]string{`internal-alb:adminAccess: "ssm" is not one of bastion, instanceConnectEndpoint, none`}},
		{"admin cidrs without a bastion", map[string]string{"adminAccess": "instanceConnectEndpoint"},
			[]string{`internal-alb:adminCidrs: [203.0.113.0/24] is set but internal-alb:adminAccess is instanceConnectEndpoint, which has no bastion to admit them; remove the key or set internal-alb:adminAccess to bastion`}},
		{"ssh key that is not one", map[string]string{"sshPublicKey": "ssh-ed25519 AAAAnot-base64 me@laptop"},
			[]string{`internal-alb:sshPublicKey: "ssh-ed25519 AAAAnot-base64 me@laptop" is not one OpenSSH public key; paste one line of your ~/.ssh/id_ed25519.pub (or another *.pub)`}},
		{"a private key pasted", map[string]string{"sshPublicKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"},
			[]string{`internal-alb:sshPublicKey holds a private key; remove it from the stack file (and consider that key exposed), then give the public half: one line of a *.pub file`}},
		{"ssh key with no way in", map[string]string{"adminAccess": "none", "adminCidrs": "[]", "sshPublicKey": testPublicKey},
			[]string{`internal-alb:sshPublicKey is set but internal-alb:adminAccess is none, so no one could use it; remove the key or choose another internal-alb:adminAccess`}},
		{"logs not a bool", map[string]string{"logs": "on"},
			[]string{`internal-alb:logs: "on" is not true or false`}},
		{"log expiry", map[string]string{"logExpirationDays": "0"},
			[]string{`internal-alb:logExpirationDays: 0 must be at least 1`}},
		{"alb name too long", map[string]string{"albName": long},
			[]string{`internal-alb:albName: "` + long + `" must be 1-32 characters`}},
		{"alb name characters", map[string]string{"albName": "foo_internal_alb"},
			[]string{`internal-alb:albName: "foo_internal_alb" may hold only letters, digits and hyphens, and must not start or end with a hyphen`}},
		{"alb name prefix", map[string]string{"albName": "internal-foo"},
			[]string{`internal-alb:albName: "internal-foo" must not start with "internal-"`}},
		{"no web servers", map[string]string{"webCount": "0"},
			[]string{`internal-alb:webCount: 0 must be at least 1`}},
		{"empty zone", map[string]string{"zoneName": ""},
			[]string{`internal-alb:zoneName: "" must name the private hosted zone`}},
		{"bad zone", map[string]string{"zoneName": "my_zone"},
			[]string{`internal-alb:zoneName: "my_zone" is not a valid DNS name`}},
		{"bad record", map[string]string{"recordName": "alb.web"},
			[]string{`internal-alb:recordName: "alb.web" must be one lowercase DNS label`}},
		{"deprecated runtime", map[string]string{"lambdaRuntime": "nodejs14.x"},
			[]string{`internal-alb:lambdaRuntime: "nodejs14.x" is not one of [nodejs22.x]`}},
		{"retention", map[string]string{"logRetentionDays": "10"},
			[]string{`internal-alb:logRetentionDays: 10 is not a retention CloudWatch Logs accepts ([1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653])`}},
		{"every problem at once", map[string]string{"azCount": "1", "connectivity": "vpn", "adminCidrs": `["0.0.0.0/0"]`, "zoneName": ""},
			[]string{
				`internal-alb:azCount: 1 is fewer than 2; an ALB needs subnets in at least two AZs`,
				`internal-alb:connectivity: "vpn" is not one of peering, transitGateway`,
				`internal-alb:adminCidrs[0]: "0.0.0.0/0" opens SSH to more than a /16 of the internet; list your own egress ranges, or set internal-alb:allowSshFromAnywhere: true if you really mean it`,
				`internal-alb:zoneName: "" must name the private hosted zone`,
			}},
		// Cases the root's table does not have.
		{"parse errors before the checks", map[string]string{"webCount": "many", "zoneName": ""},
			[]string{`internal-alb:webCount: "many" is not a whole number`}},
		{"no instance type", map[string]string{"instanceType": ""},
			[]string{`internal-alb:instanceType: "" must name an EC2 instance type`}},
		{"bad lambda name", map[string]string{"lambdaName": "hello world"},
			[]string{`internal-alb:lambdaName: "hello world" must be 1-64 letters, digits, hyphens or underscores`}},
		{"a long key is shortened", map[string]string{"sshPublicKey": "ssh-ed25519 " + strings.Repeat("A", 60)},
			[]string{`internal-alb:sshPublicKey: "ssh-ed25519 AAAAAAAAAAAAAAAAAAAAAAAAA..." is not one OpenSSH public key; paste one line of your ~/.ssh/id_ed25519.pub (or another *.pub)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(lookup(c.overrides))
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n"))
		})
	}
}

// What passes: the dev stack, and the opt-ins that make a refused value
// acceptable.
func TestLoadAccepts(t *testing.T) {
	for name, o := range map[string]map[string]string{
		"dev":                    nil,
		"ssh from anywhere":      {"adminCidrs": `["0.0.0.0/0"]`, "allowSshFromAnywhere": "true"},
		"a private /8 of admins": {"adminCidrs": `["10.0.0.0/8"]`},
		"a /16 of admins":        {"adminCidrs": `["198.18.0.0/16"]`},
		"instance connect":       {"adminAccess": "instanceConnectEndpoint", "adminCidrs": "[]"},
		"no admin":               {"adminAccess": "none", "adminCidrs": "[]"},
		"a key pair":             {"sshPublicKey": testPublicKey},
		"trailing dot zone":      {"zoneName": "home.example."},
		"three azs":              {"azCount": "3", "natMode": "onePerAz", "connectivity": "transitGateway"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(lookup(o))
			assert.NoError(t, err)
		})
	}
}

// Load starts from Default: the dev stack sets only adminCidrs, and
// nothing set at all lacks only adminCidrs.
func TestLoadStartsFromTheDefaults(t *testing.T) {
	c, err := Load(lookup(nil))
	require.NoError(t, err)
	want := Default()
	want.AdminCidrs = []string{"203.0.113.0/24"}
	assert.Equal(t, want, c)

	c, err = Load(func(string) (string, bool) { return "", false })
	assert.EqualError(t, err, `internal-alb:adminCidrs: [] is empty but internal-alb:adminAccess is bastion; list the CIDRs allowed to SSH to the bastions, or set internal-alb:adminAccess to instanceConnectEndpoint or none`)
	assert.Equal(t, Default(), c)

	// Objects and lists replace the default whole.
	c, err = Load(lookup(map[string]string{"consumerVpcs": `[{"name":"baz","cidr":"10.4.0.0/16","nat":"single"}]`}))
	require.NoError(t, err)
	assert.Equal(t, []Vpc{{Name: "baz", Cidr: "10.4.0.0/16", Nat: network.NatSingle}}, c.ConsumerVpcs)
}

// Each key's Default is the Default() value of its field, as a stack file
// writes it, and loading every key's default gives Default() back.
func TestKeyDefaults(t *testing.T) {
	want := map[string]string{
		"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16"}`, "consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16"}]`,
		"azCount": "2", "subnetPrefixLength": "24", "natMode": "none", "s3GatewayEndpoint": "true",
		"connectivity": "peering", "transitGatewaySharing": "organization", "adminAccess": "bastion", "allowSshFromAnywhere": "false", "sshPublicKey": "",
		"instanceType": "t3.micro", "albName": "foo-internal-alb", "webCount": "2", "zoneName": "home", "recordName": "alb",
		"endpointPerAz": "false", "lambdaName": "hello-world", "lambdaRuntime": "nodejs22.x", "logRetentionDays": "14",
		"logs": "true", "logExpirationDays": "90",
	}
	got := map[string]string{}
	for _, k := range Keys {
		if def, ok := k.Default(); ok {
			got[k.Name] = def
		}
	}
	assert.Equal(t, want, got, "adminCidrs has no default")

	c, err := Load(func(k string) (string, bool) { v, ok := got[k]; return v, ok })
	require.Error(t, err, "defaults alone lack adminCidrs")
	assert.Equal(t, Default(), c)
}

// Keys is the whole Config: one key per field, each named after it, in
// the order of the fields; KeyNamed finds each.
func TestKeysAreTheConfigFields(t *testing.T) {
	typ := reflect.TypeOf(Config{})
	require.Equal(t, typ.NumField(), len(Keys))
	var c Config
	base := reflect.ValueOf(&c).Elem()
	for i, k := range Keys {
		f := typ.Field(i)
		assert.Equal(t, strings.ToLower(f.Name[:1])+f.Name[1:], k.Name, "key %d", i)
		assert.Equal(t, base.Field(i).Addr().Interface(), k.field(&c), "%s fills Config.%s", k.Name, f.Name)
		assert.NotEmpty(t, k.Description, k.Name)
		got, ok := KeyNamed(k.Name)
		assert.True(t, ok, k.Name)
		assert.Equal(t, k.Name, got.Name)
		switch f.Type.Kind() {
		case reflect.Int:
			assert.Equal(t, "integer", k.Type, k.Name)
		case reflect.Bool:
			assert.Equal(t, "boolean", k.Type, k.Name)
		case reflect.String:
			assert.Equal(t, "string", k.Type, k.Name)
		case reflect.Slice:
			if f.Type.Elem().Kind() == reflect.String {
				assert.Equal(t, "array", k.Type, k.Name)
			} else {
				assert.Equal(t, "", k.Type, k.Name)
			}
		default:
			assert.Equal(t, "", k.Type, k.Name)
		}
	}
	_, ok := KeyNamed("bastion")
	assert.False(t, ok, "a retired key is no key")
}

func TestNatForAndNames(t *testing.T) {
	c := Default()
	c.NatMode = network.NatOnePerAz
	assert.Equal(t, network.NatOnePerAz, c.NatFor(c.ServiceVpc), "the stack's mode")
	assert.Equal(t, network.NatSingle, c.NatFor(Vpc{Name: "foo", Cidr: "10.2.0.0/16", Nat: network.NatSingle}), "the VPC's own")
	assert.Equal(t, []Vpc{c.ServiceVpc, c.ConsumerVpcs[0]}, c.AllVpcs())
	assert.Equal(t, "alb.home", c.RecordFqdn())
	c.ZoneName = "home.example."
	assert.Equal(t, "alb.home.example", c.RecordFqdn())
	assert.Equal(t, "internal-alb:azCount", Key("azCount"))
}

// Every key an error message names (Key("…") anywhere in the program) is a
// declared or retired key: a typo there would send users to a key that
// does not exist, and the compiler cannot see it.
func TestMessagesNameDeclaredKeys(t *testing.T) {
	known := map[string]bool{}
	for _, k := range Keys {
		known[k.Name] = true
	}
	for k := range retired {
		known[k] = true
	}
	named := regexp.MustCompile(`\bKey\("([A-Za-z]+)"\)`)
	files, err := filepath.Glob("../../*.go")
	require.NoError(t, err)
	more, err := filepath.Glob("../../*/*.go")
	require.NoError(t, err)
	deeper, err := filepath.Glob("../../*/*/*.go")
	require.NoError(t, err)
	seen := 0
	for _, f := range append(append(files, more...), deeper...) {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/emulator/") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range named.FindAllStringSubmatch(string(b), -1) {
			seen++
			assert.True(t, known[m[1]], "%s names %s, which is not a config key", f, Key(m[1]))
		}
	}
	assert.Greater(t, seen, 20, "the scan found the messages")
}
