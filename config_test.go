package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/plan"
)

// Bad input fails before a single resource of the whole program is
// registered, with an error naming the key and the value: a parse error, a
// validation error, one only the region's look-up can find, a retired key,
// and several at once. internal/config's own tests hold every other case.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]string
		want      []string // every line of the error, in order
	}{
		{"unknown vpc field", map[string]string{"serviceVpc": `{"name":"foo","cidrBlock":"10.2.0.0/16"}`},
			[]string{`internal-alb:serviceVpc: "{\"name\":\"foo\",\"cidrBlock\":\"10.2.0.0/16\"}" is not an object {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: unknown field "cidrBlock"`}},
		{"a typo of a key", map[string]string{"natMod": "single"},
			[]string{`internal-alb:natMod is not a key this program reads; did you mean internal-alb:natMode?`}},
		{"a typo of a key beside a bad value", map[string]string{"NatMode": "single", "azCount": "1"},
			[]string{
				`internal-alb:NatMode is not a key this program reads; did you mean internal-alb:natMode?`,
				`internal-alb:azCount: 1 is fewer than 2; an ALB needs subnets in at least two AZs`,
			}},
		{"az count not a number", map[string]string{"azCount": "two"},
			[]string{`internal-alb:azCount: "two" is not a whole number`}},
		{"more azs than the region has", map[string]string{"azCount": "4"},
			[]string{`internal-alb:azCount: 4 is more than the 3 available zones of ap-northeast-1 ([ap-northeast-1a ap-northeast-1c ap-northeast-1d])`}},
		{"the old bastion key", map[string]string{"bastion": "false"},
			[]string{`internal-alb:bastion: "false" is no longer read; set internal-alb:adminAccess to bastion, instanceConnectEndpoint or none instead`}},
		{"ssh key with no way in", map[string]string{"adminAccess": "none", "adminCidrs": "[]", "sshPublicKey": testPublicKey},
			[]string{`internal-alb:sshPublicKey is set but internal-alb:adminAccess is none, so no one could use it; remove the key or choose another internal-alb:adminAccess`}},
		// Consumers as they exist: an existing VPC, another account.
		{"an existing service vpc", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","vpcId":"vpc-0a1b2c3d4e5f60718"}`},
			[]string{`internal-alb:serviceVpc.vpcId: "vpc-0a1b2c3d4e5f60718" is refused: the stack creates the service VPC, with its ALB and web servers; remove vpcId and give cidr (an existing VPC can be one of internal-alb:consumerVpcs)`}},
		{"a service vpc in another account", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","account":{"roleArn":"arn:aws:iam::210987654321:role/deployer"}}`},
			[]string{`internal-alb:serviceVpc.account: {"roleArn":"arn:aws:iam::210987654321:role/deployer"} is refused: the stack creates the service VPC in the account it runs with (the aws provider's credentials); remove account, or run the stack with that account's credentials`}},
		{"a consumer with cidr and vpc id", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","vpcId":"vpc-0a1b2c3d4e5f60718"}]`},
			[]string{`internal-alb:consumerVpcs[0]: cidr "10.3.0.0/16" and vpcId "vpc-0a1b2c3d4e5f60718" are both set; set cidr for a VPC the stack creates, or vpcId for an existing one, not both`}},
		{"a consumer with neither", map[string]string{"consumerVpcs": `[{"name":"bar","client":true}]`},
			[]string{`internal-alb:consumerVpcs[0]: one of cidr and vpcId is required; set cidr for a VPC the stack creates, or vpcId for an existing one`}},
		{"a vpc id that is not one", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-XYZ"}]`},
			[]string{`internal-alb:consumerVpcs[0].vpcId: "vpc-XYZ" is not a VPC id; give it as aws ec2 describe-vpcs shows it: vpc- and 8 or 17 lowercase hex digits, like vpc-0a1b2c3d4e5f60718`}},
		{"one existing vpc twice", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-1234abcd"},{"name":"baz","vpcId":"vpc-1234abcd"}]`},
			[]string{`internal-alb:consumerVpcs[1].vpcId: "vpc-1234abcd" is already the VPC of internal-alb:consumerVpcs[0]; list each existing VPC once`}},
		{"subnets of a created vpc", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","subnetIds":["subnet-1234abcd"]}]`},
			[]string{`internal-alb:consumerVpcs[0].subnetIds: ["subnet-1234abcd"] is set without vpcId; the stack lays out the subnets of a VPC it creates, and subnetIds chooses among an existing VPC's; remove subnetIds, or give vpcId`}},
		{"an empty subnet list and a repeated subnet", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-1234abcd","subnetIds":[]},{"name":"baz","vpcId":"vpc-abcd1234","subnetIds":["subnet-1234abcd","subnet-1234abcd"]}]`},
			[]string{
				`internal-alb:consumerVpcs[0].subnetIds: [] lists no subnet; list the subnets whose route tables get the routes to the service VPC, or remove subnetIds for the VPC's private subnets`,
				`internal-alb:consumerVpcs[1].subnetIds[1]: "subnet-1234abcd" is already internal-alb:consumerVpcs[1].subnetIds[0]; list each subnet once`,
			}},
		{"nat on an existing vpc", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-1234abcd","nat":"single"}]`},
			[]string{`internal-alb:consumerVpcs[0].nat: "single" is set on an existing VPC, whose NAT is its own: the stack adds no NAT gateway there; remove nat`}},
		{"a role arn that is not one", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::210987654321:user/deployer"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "arn:aws:iam::210987654321:user/deployer" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"a region that is not one", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::210987654321:role/deployer","region":"Tokyo"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.region: "Tokyo" is not an AWS Region code like us-east-1; give the consumer's Region, which must be the stack's aws:region, or remove region`}},
		{"an account field in another case", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"rolearn":"arn:aws:iam::210987654321:role/deployer"}}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\",\"account\":{\"rolearn\":\"arn:aws:iam::210987654321:role/deployer\"}}]" is not a list of objects {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: unknown field "rolearn" in internal-alb:consumerVpcs[0].account (did you mean "roleArn"?)`}},
		{"a vpc field in another case", map[string]string{"consumerVpcs": `[{"name":"bar","vpcid":"vpc-1234abcd"}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"vpcid\":\"vpc-1234abcd\"}]" is not a list of objects {name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}: unknown field "vpcid" in internal-alb:consumerVpcs[0] (did you mean "vpcId"?)`}},
		{"51 peered consumers", map[string]string{"consumerVpcs": fiftyOne()},
			[]string{`internal-alb:consumerVpcs: 51 consumers in peering mode need 51 peering connections on the service VPC, over AWS's default quota of 50 active VPC peering connections per VPC; set internal-alb:connectivity to transitGateway (one attachment per VPC), list fewer consumers, or raise the quota (up to 125) in Service Quotas and config.PeeringQuota with it`}},
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

// fiftyOne is a consumer list one over the default quota of peering
// connections per VPC: c1…c51, with distinct /16s.
func fiftyOne() string {
	var vs []string
	for i := range 51 {
		vs = append(vs, fmt.Sprintf(`{"name":"c%d","cidr":"10.%d.0.0/16"}`, i+1, 10+i))
	}
	return "[" + strings.Join(vs, ",") + "]"
}

// Under `pulumi up` the language host hands the program its whole config in
// PULUMI_CONFIG (the Pulumi CLI lets any key of the project's namespace
// through): a key there that the program does not read fails the run
// before a single resource, naming the stack file that sets it and the
// nearest key. Mocks and inline programs attach the keys themselves (the
// table above; the emulator run).
func TestUnknownKeyUnderTheLanguageHost(t *testing.T) {
	cfg := devConfig(t)
	cfg["internal-alb:natMod"] = "single"
	all, err := json.Marshal(cfg)
	require.NoError(t, err)
	dev, err := os.ReadFile("Pulumi.dev.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), append(dev, "  internal-alb:natMod: single\n"...), 0o644))
	t.Setenv(pulumi.EnvConfig, string(all))
	t.Setenv(pulumi.EnvPulumiRootDirectory, dir)

	m := &plan.Mocks{Region: "ap-northeast-1", Zones: []string{"ap-northeast-1a", "ap-northeast-1c"}}
	err = pulumi.RunErr(program, pulumi.WithMocks(config.Namespace, "dev", m))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid stack config:\n"+
		"internal-alb:natMod (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:natMode?")
	assert.Empty(t, m.Graph(), "no resource is registered")

	// Without the typo, the same run deploys the stack.
	delete(cfg, "internal-alb:natMod")
	all, err = json.Marshal(cfg)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(all))
	m = &plan.Mocks{Region: "ap-northeast-1", Zones: []string{"ap-northeast-1a", "ap-northeast-1c"}}
	require.NoError(t, pulumi.RunErr(program, pulumi.WithMocks(config.Namespace, "dev", m)))
	assert.NotEmpty(t, m.Graph())
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
