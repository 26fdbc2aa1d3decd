package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key of the project's namespace that the program does not read is
// refused, with the file that sets it and the nearest key it does read;
// declared keys, retired ones (Load's hint) and other namespaces pass.
func TestStackKeysCheck(t *testing.T) {
	cases := []struct {
		name string
		keys StackKeys
		want []string // every line of the error, in order; nil: no error
	}{
		{"the dev stack", StackKeys{"aws:region": "Pulumi.dev.yaml", "aws:defaultTags": "Pulumi.dev.yaml", Key("adminCidrs"): "Pulumi.dev.yaml"}, nil},
		{"every declared key", func() StackKeys {
			k := StackKeys{}
			for _, s := range Keys {
				k[Key(s.Name)] = ""
			}
			return k
		}(), nil},
		{"a retired key is Load's to explain", StackKeys{Key("bastion"): "Pulumi.dev.yaml"}, nil},
		{"another namespace", StackKeys{"aws:natMod": "Pulumi.dev.yaml", "internal-albx:natMod": ""}, nil},
		{"a typo, in a file", StackKeys{Key("natMod"): "Pulumi.dev.yaml"},
			[]string{`internal-alb:natMod (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:natMode?`}},
		{"a typo, from no file", StackKeys{Key("natMod"): ""},
			[]string{`internal-alb:natMod is not a key this program reads; did you mean internal-alb:natMode?`}},
		{"the case of a letter", StackKeys{Key("AzCount"): "Pulumi.dev.yaml"},
			[]string{`internal-alb:AzCount (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:azCount?`}},
		{"a singular", StackKeys{Key("consumerVpc"): "Pulumi.dev.yaml"},
			[]string{`internal-alb:consumerVpc (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:consumerVpcs?`}},
		{"nothing near", StackKeys{Key("region"): "Pulumi.dev.yaml"},
			[]string{`internal-alb:region (set in Pulumi.dev.yaml) is not a key this program reads; Pulumi.yaml's config block and the README's Configuration table list the keys it reads`}},
		{"several, by name", StackKeys{Key("webcount"): "Pulumi.dev.yaml", Key("albname"): "Pulumi.dev.yaml", Key("webCount"): ""},
			[]string{
				`internal-alb:albname (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:albName?`,
				`internal-alb:webcount (set in Pulumi.dev.yaml) is not a key this program reads; did you mean internal-alb:webCount?`,
			}},
		{"none", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.keys.Check()
			if c.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestNearest(t *testing.T) {
	names := keyNames()
	for name, want := range map[string]string{
		"natMod": "natMode", "natmode": "natMode", "nat_mode": "natMode", "logsExpirationDays": "logExpirationDays",
		"endpointsPerAz": "endpointPerAz", "adminCidr": "adminCidrs", "lambdaRuntme": "lambdaRuntime",
		"azs": "", "region": "", "": "", "x": "",
	} {
		assert.Equal(t, want, Nearest(name, names), "nearest key to %q", name)
	}
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
	assert.Equal(t, 0, editDistance("", ""))
	assert.Equal(t, 1, editDistance("ü", "u"), "by rune, not byte")
}

// noMocks answers nothing: the tests below register no resource.
type noMocks struct{}

func (noMocks) NewResource(pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return "", nil, errors.New("no resources here")
}
func (noMocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, errors.New("no calls here")
}

// keysOfRun returns StackKeysOf the context of a run of program.
func keysOfRun(t *testing.T, program func(pulumi.RunFunc) pulumi.RunFunc) StackKeys {
	t.Helper()
	var got StackKeys
	require.NoError(t, pulumi.RunErr(program(func(ctx *pulumi.Context) error {
		got = StackKeysOf(ctx)
		return nil
	}), pulumi.WithMocks(Namespace, "dev", noMocks{})))
	return got
}

// The keys come from the runner that attached them (mocks, inline
// programs); else from PULUMI_CONFIG, the language host's whole config of
// the program (`pulumi up`), attributed to Pulumi.<stack>.yaml in the
// project's directory where that file sets them.
func TestStackKeysOf(t *testing.T) {
	attached := StackKeys{Key("natMod"): "stack.yaml"}
	assert.Equal(t, attached, keysOfRun(t, func(p pulumi.RunFunc) pulumi.RunFunc { return WithStackKeys(p, attached) }))

	t.Setenv(pulumi.EnvConfig, "")
	assert.Nil(t, keysOfRun(t, func(p pulumi.RunFunc) pulumi.RunFunc { return p }), "no runner told")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"),
		[]byte("config:\n  aws:region: ap-northeast-1\n  internal-alb:natMod: single\n  webCount: 3\n"), 0o644))
	t.Setenv(pulumi.EnvPulumiRootDirectory, dir)
	t.Setenv(pulumi.EnvConfig, `{"aws:region":"ap-northeast-1","internal-alb:natMod":"single","internal-alb:webCount":"3","internal-alb:azCount":"2"}`)
	assert.Equal(t, StackKeys{
		"aws:region": "Pulumi.dev.yaml", Key("natMod"): "Pulumi.dev.yaml", Key("webCount"): "Pulumi.dev.yaml",
		Key("azCount"): "", // a project default, or from an environment
	}, keysOfRun(t, func(p pulumi.RunFunc) pulumi.RunFunc { return p }))
	assert.Equal(t, attached, keysOfRun(t, func(p pulumi.RunFunc) pulumi.RunFunc { return WithStackKeys(p, attached) }),
		"what the runner attached comes first")

	require.NoError(t, os.Remove(filepath.Join(dir, "Pulumi.dev.yaml")))
	assert.Equal(t, StackKeys{"aws:region": "", Key("natMod"): "", Key("webCount"): "", Key("azCount"): ""},
		keysOfRun(t, func(p pulumi.RunFunc) pulumi.RunFunc { return p }), "no stack file: no file named")
}

func TestFileKeys(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Pulumi.x.yaml")
	require.NoError(t, os.WriteFile(p, []byte("config:\n  internal-alb:natMod: single\n  zoneName: home\n  aws:region: x\n"), 0o644))
	assert.Equal(t, map[string]bool{Key("natMod"): true, Key("zoneName"): true, "aws:region": true}, FileKeys(p))
	require.NoError(t, os.WriteFile(p, []byte("config: [\n"), 0o644))
	assert.Nil(t, FileKeys(p), "not YAML")
	assert.Nil(t, FileKeys(filepath.Join(dir, "missing.yaml")))
}
