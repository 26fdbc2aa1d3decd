package devtools

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inProject runs the test in a copy of the project's Pulumi.yaml and dev
// stack file, with the stack files given beside them.
func inProject(t *testing.T, stacks map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	for name, content := range stacks {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+name+".yaml"), []byte(content), 0o644))
	}
	t.Chdir(dir)
	return dir
}

// noProgram fails the test if the verifier runs the program: a bad state
// file or stack file is refused before.
func noProgram(t *testing.T) pulumi.RunFunc {
	return func(*pulumi.Context) error { t.Error("the program ran"); return nil }
}

// `verify --state F` with a state file it cannot use: exit 1 and one line
// on stderr that names the file and what to do; nothing on stdout.
func TestVerifyRefusesBadStateFiles(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("..", "..", "verify", "fixture", "testdata", "plan-dev.json"))
	require.NoError(t, err)
	dir := inProject(t, nil)
	files := map[string]string{
		"not-json.json":  "<html>502 Bad Gateway</html>",
		"truncated.json": string(golden[:len(golden)-200]),
		"other.json":     strings.ReplaceAll(string(golden), "::internal-alb::", "::my-app::"),
		"empty.json":     "",
		"object.json":    "{}",
		"list.json":      "[]",
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	for _, c := range []struct{ file, want string }{
		{"not-json.json", "is not JSON (invalid character '<' looking for beginning of value, at byte 1)"},
		{"truncated.json", "ends before its JSON does (truncated"},
		{"other.json", `is a stack export of project "my-app"`},
		{"empty.json", "is empty"},
		{"object.json", `is JSON but not a stack export (it has no "deployment" object)`},
		{"list.json", "is JSON but not a stack export (a JSON array, not an object)"},
		{"missing.json", "does not exist"},
	} {
		t.Run(c.file, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := verifyCmd([]string{"--state", c.file}, noProgram(t), &stdout, &stderr)
			assert.Equal(t, 1, code)
			assert.Empty(t, stdout.String())
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			require.Len(t, lines, 1, stderr.String())
			assert.True(t, strings.HasPrefix(lines[0], "verify: state export "+c.file+" "+c.want), lines[0])
			assert.True(t, strings.HasSuffix(lines[0], "; write it with 'pulumi stack export --file "+c.file+"' in this project's directory"), lines[0])
		})
	}
}

// A stack file with a key the program does not read is refused before the
// plan is made, naming the key, the file and the nearest key.
func TestVerifyRefusesUnknownStackKeys(t *testing.T) {
	inProject(t, map[string]string{"typo": "config:\n  internal-alb:adminCidrs: [203.0.113.0/24]\n  internal-alb:natMod: single\n"})
	var stdout, stderr bytes.Buffer
	code := verifyCmd([]string{"--stack", "typo"}, noProgram(t), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Equal(t, "verify: invalid stack config:\n"+
		"internal-alb:natMod (set in Pulumi.typo.yaml) is not a key this program reads; did you mean internal-alb:natMode?\n", stderr.String())
}
