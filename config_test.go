package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/internal-alb/internal-alb/internal/config"
)

// Every bad input fails before a single resource is registered, with an
// error naming the key and the value.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
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
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidrBlock\":\"10.2.0.0/16\"}" cannot be read: json: unknown field "cidrBlock"`}},
		{"one az", map[string]string{"azCount": "1"},
			[]string{`internal-alb:azCount: 1 is fewer than 2; an ALB needs subnets in at least two AZs`}},
		{"az count not a number", map[string]string{"azCount": "two"},
			[]string{`internal-alb:azCount: "two" is not a whole number`}},
		{"more azs than the region has", map[string]string{"azCount": "4"},
			[]string{`internal-alb:azCount: 4 is more than the 3 available zones of ap-northeast-1 ([ap-northeast-1a ap-northeast-1c ap-northeast-1d])`}},
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := planWith(t, c.overrides)
			require.Error(t, err)
			assert.Empty(t, g.Graph, "no resource is registered")
			msg := err.Error()
			i := strings.Index(msg, "invalid stack config:\n")
			if i >= 0 {
				msg = msg[i+len("invalid stack config:\n"):]
			} else if i = strings.Index(msg, "internal-alb:"); i >= 0 {
				msg = msg[i:]
			}
			assert.Equal(t, c.want, strings.Split(strings.TrimSpace(msg), "\n"))
		})
	}
}

// Pulumi.yaml's config block is config.Keys, both ways: every key declared
// with the same type, description and default, and no key the program does
// not read (a typo there would otherwise pass silently). So a stack file
// that sets nothing gets the same stack from the CLI and from the tests.
func TestProjectConfigIsTheKeyTable(t *testing.T) {
	b, err := os.ReadFile("Pulumi.yaml")
	require.NoError(t, err)
	var project struct {
		Name   string
		Config map[string]struct {
			Type        string
			Description string
			Default     any
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &project))
	assert.Equal(t, config.Namespace, project.Name)

	declared := map[string]bool{}
	for _, k := range config.Keys {
		declared[k.Name] = true
		y, ok := project.Config[k.Name]
		if !assert.True(t, ok, "Pulumi.yaml declares %s", k.Name) {
			continue
		}
		assert.Equal(t, k.Type, y.Type, "%s: type", k.Name)
		assert.Equal(t, k.Description, y.Description, "%s: description", k.Name)
		want, has := k.Default()
		if !has {
			assert.Nil(t, y.Default, "%s has no default", k.Name)
			continue
		}
		if !assert.NotNil(t, y.Default, "%s: default %s", k.Name, want) {
			continue
		}
		if got := mustConfigString(t, y.Default); k.Type == "" || k.Type == "array" {
			assert.JSONEq(t, want, got, "%s: default", k.Name)
		} else {
			assert.Equal(t, want, got, "%s: default", k.Name)
		}
	}
	for name := range project.Config {
		assert.True(t, declared[name], "Pulumi.yaml declares %s, which the program does not read", name)
	}

	// Loading the declared defaults gives the code's defaults.
	got := map[string]string{}
	for k, v := range project.Config {
		if v.Default != nil {
			got[k] = mustConfigString(t, v.Default)
		}
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := got[k]; return v, ok })
	require.Error(t, err, "defaults alone lack adminCidrs")
	assert.Contains(t, err.Error(), "internal-alb:adminCidrs: []")
	assert.Equal(t, config.Default(), cfg)
}

// The README's configuration table lists exactly config.Keys, in order,
// each with its default.
func TestReadmeConfigTableIsTheKeyTable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	section := string(b)[strings.Index(string(b), "## Configuration"):]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	var keys, defaults []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		keys = append(keys, strings.Trim(strings.TrimPrefix(cells[0], "| "), "`"))
		defaults = append(defaults, cells[1])
	}
	var want []string
	for i, k := range config.Keys {
		want = append(want, k.Name)
		if i >= len(defaults) || k.Name != keys[i] {
			continue
		}
		def, has := k.Default()
		switch {
		case !has || def == "":
			assert.Equal(t, "(none)", defaults[i], "README default of %s", k.Name)
		case strings.HasPrefix(def, "{") || strings.HasPrefix(def, "["):
			// Objects are shown in YAML's flow form: {name: foo, cidr: …}.
			plain := strings.NewReplacer(`"`, "", " ", "", "`", "")
			assert.Equal(t, plain.Replace(def), plain.Replace(defaults[i]), "README default of %s", k.Name)
		default:
			assert.Equal(t, "`"+def+"`", defaults[i], "README default of %s", k.Name)
		}
	}
	assert.Equal(t, want, keys, "the README's configuration table lists the keys of config.Keys, in order")
}

func mustConfigString(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	require.NoError(t, err)
	var plainV any
	require.NoError(t, yaml.Unmarshal(b, &plainV))
	switch x := plainV.(type) {
	case string:
		return x
	case map[string]any, []any:
		j, err := jsonMarshal(x)
		require.NoError(t, err)
		return j
	}
	return strings.TrimSpace(string(b))
}

// testPublicKey is an ed25519 public key made for the tests; its private half
// was thrown away.
const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1TMpj18d6PWUerVOp4V9LZISxA8YEgkR/j3Pkcuohg test@internal-alb"
