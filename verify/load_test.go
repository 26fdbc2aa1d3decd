package verify_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// goldenDev is the dev plan's golden export, as `pulumi stack export`
// writes a deployed stack (the fuzz seeds start from it too).
func goldenDev(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("fixture", fixture.Dir, fixture.File(fixture.Dev)))
	require.NoError(t, err)
	return b
}

// A state file that is not this project's stack export gets one line that
// names the file, says what is wrong with it and how to write a good one.
func TestLoadStateExportRefusesBadFiles(t *testing.T) {
	dev := goldenDev(t)
	other := strings.ReplaceAll(string(dev), "::internal-alb::", "::other-app::")
	cases := []struct {
		name    string
		content *string // nil: no file
		want    string  // the error after "state export <file> "
	}{
		{"no file", nil, "does not exist"},
		{"empty", ptr(""), "is empty"},
		{"blank", ptr(" \n\t"), "is empty"},
		{"not JSON", ptr("hello: world\n"), "is not JSON (invalid character 'h' looking for beginning of value, at byte 1)"},
		{"truncated", ptr(string(dev[:len(dev)/2])), "ends before its JSON does (truncated, at byte " + strconv.Itoa(len(dev)/2) + ")"},
		{"an empty object", ptr("{}"), `is JSON but not a stack export (it has no "deployment" object)`},
		{"a list", ptr(`[{"urn":"x"}]`), "is JSON but not a stack export (a JSON array, not an object)"},
		{"a string", ptr(`"export"`), "is JSON but not a stack export (a JSON string, not an object)"},
		{"deployment of the wrong kind", ptr(`{"version":3,"deployment":[]}`), "is JSON but not a stack export (deployment is a JSON array)"},
		{"another project", &other, `is a stack export of project "other-app" (resource "urn:pulumi:dev::other-app::internal-alb:alb:InternalAlb$aws:ec2/instance:Instance::web-web1"), not of internal-alb`},
		{"a later version", ptr(`{"version":4,"deployment":{"resources":[]}}`), "is a stack export of version 4; only version 3 (Pulumi CLI v3) is read"},
		{"a resource with no urn", ptr(`{"version":3,"deployment":{"resources":[{"type":"aws:ec2/vpc:Vpc"}]}}`), "is not a stack export: resource 0: no urn"},
		{"a urn of another shape", ptr(`{"version":3,"deployment":{"resources":[{"urn":"vpc-1","type":"aws:ec2/vpc:Vpc"}]}}`),
			`is not a stack export: resource 0: urn "vpc-1" is not urn:pulumi:<stack>::<project>::<type>::<name>`},
		{"a resource with no type", ptr(`{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::foo"}]}}`),
			`is not a stack export: resource "urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::foo" has no type`},
		{"a stack with no resources", ptr(`{"version":3,"deployment":{"manifest":{}}}`),
			"holds no resources: the stack is not deployed, or was destroyed; run 'pulumi up', then"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if c.content != nil {
				require.NoError(t, os.WriteFile(path, []byte(*c.content), 0o644))
			}
			g, err := verify.LoadStateExport(path)
			require.Error(t, err)
			assert.Nil(t, g)
			msg := err.Error()
			assert.NotContains(t, msg, "\n", "one line")
			assert.True(t, strings.HasPrefix(msg, "state export "+path+" "+c.want), "got: %s", msg)
			assert.True(t, strings.HasSuffix(msg, "write it with 'pulumi stack export --file "+path+"' in this project's directory"), "says what to do: %s", msg)
		})
	}

	t.Run("a directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := verify.LoadStateExport(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "state export "+dir+" cannot be read (")
	})
}

// What a stack export may hold that the verifier reads past: resources
// pending deletion, secrets (plaintext or not), a stack with none.
func TestParseStateExportAccepts(t *testing.T) {
	g, err := verify.ParseStateExport(goldenDev(t))
	require.NoError(t, err)
	assert.Equal(t, fixture.Default(), g)

	const secret = `{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270",`
	doc := `{"version":3,"deployment":{"resources":[
		{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::foo","type":"aws:ec2/vpc:Vpc","custom":true,
		 "inputs":{"cidrBlock":` + secret + `"plaintext":"\"10.2.0.0/16\""},"tags":` + secret + `"ciphertext":"x"}}},
		{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::old","type":"aws:ec2/vpc:Vpc","delete":true},
		{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::whole","type":"aws:ec2/vpc:Vpc","outputs":` + secret + `"plaintext":"\"s\""}}]}}`
	g, err = verify.ParseStateExport([]byte(doc))
	require.NoError(t, err)
	require.Len(t, g, 2, "the one pending deletion is left out")
	assert.Equal(t, map[string]any{"cidrBlock": "10.2.0.0/16", "tags": "[secret]"}, g[0].Inputs)
	assert.Equal(t, "foo", g[0].Name)
	assert.Empty(t, g[1].Outputs, "outputs that are one secret string are no property map")

	g, err = verify.ParseStateExport([]byte(`{"version":3,"deployment":{}}`))
	require.NoError(t, err)
	assert.Empty(t, g)
}

func ptr(s string) *string { return &s }
