package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzLoad: whatever a stack file sets a key to, and whatever key it sets,
// the loader returns a config that validates, or an error whose every line
// names a key of the project; it never panics. Seeds: the dev stack's
// values, each key's default, and the bad inputs the unit tests refuse.
// `make fuzz` runs it for $(FUZZTIME); crashers it finds stay in
// testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for k, v := range devStack {
		f.Add(k, v, "", "")
	}
	for _, k := range Keys {
		if v, ok := k.Default(); ok {
			f.Add(k.Name, v, "", "")
		}
	}
	f.Add("adminAccess", "none", "adminCidrs", `["10.0.0.0/8"]`)
	f.Add("adminAccess", "instanceConnectEndpoint", "sshPublicKey", testPublicKey)
	f.Add("azCount", "3", "serviceVpc", `{"name":"foo","cidr":"10.2.0.0/22"}`)
	for _, c := range [][2]string{
		{"natMod", "single"}, {"bastion", "false"}, {"NatMode", "none"},
		{"azCount", "two"}, {"azCount", "1"}, {"azCount", "99999999999999999999"}, {"subnetPrefixLength", "-1"},
		{"serviceVpc", `{"name":"foo","cidr":"10.2.0.0/33"}`}, {"serviceVpc", `[{"name":"foo"}]`}, {"serviceVpc", `{"name":5}`},
		{"serviceVpc", `{"name":"foo","cidr":"10.2.0.0/16"`}, {"serviceVpc", `null`},
		{"consumerVpcs", `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","cidr":"10.2.128.0/17","nat":"single"}]`},
		{"consumerVpcs", `[]`}, {"consumerVpcs", `[null]`}, {"consumerVpcs", `{"name":"bar"}`},
		{"consumerVpcs", `[{"name":"bar","vpcId":"vpc-0a1b2c3d4e5f60718","subnetIds":["subnet-1234abcd"],"client":true}]`},
		{"consumerVpcs", `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::210987654321:role/deployer","region":"ap-northeast-1"}}]`},
		{"consumerVpcs", `[{"name":"bar","vpcid":"vpc-1234abcd","account":{"rolearn":"x","Region":null}}]`},
		{"consumerVpcs", `[{"name":"bar","vpcId":"vpc-1234abcd","subnetIds":[],"account":null,"client":null}]`},
		{"serviceVpc", `{"name":"foo","cidr":"10.2.0.0/16","vpcId":"vpc-1234abcd","account":{}}`},
		{"adminCidrs", `["0.0.0.0/0"]`}, {"adminCidrs", `203.0.113.0/24`}, {"adminCidrs", `["fd00::/8"]`},
		{"sshPublicKey", "ssh-ed25519 AAAAnot-base64 me@laptop"}, {"sshPublicKey", "-----BEGIN OPENSSH PRIVATE KEY-----"},
		{"zoneName", "."}, {"zoneName", ""}, {"zoneName", "a..b"}, {"albName", "internal-foo"}, {"recordName", "alb.web"},
		{"instanceType", `["t3.micro"]`}, {"logs", "on"}, {"logRetentionDays", "10"},
	} {
		f.Add(c[0], c[1], "", "")
	}
	f.Fuzz(func(t *testing.T, key, value, key2, value2 string) {
		set := map[string]string{key: value}
		if key2 != "" {
			set[key2] = value2
		}
		keys := StackKeys{}
		for k := range set {
			keys[Key(k)] = "Pulumi.fuzz.yaml"
		}
		cfg, err := Load(lookup(set))
		err = errors.Join(keys.Check(), err)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("%v loaded, but the config does not validate: %v", set, verr)
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(strings.TrimPrefix(line, `"`), Namespace+":") {
				t.Errorf("%v: an error line that names no key: %q", set, line)
			}
		}
	})
}
