package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden plans (verify/fixture/testdata) from the program")

// goldenDir is where the golden plans live, from the root.
var goldenDir = filepath.Join("verify", "fixture", fixture.Dir)

const regenerate = "go test -run TestGoldenPlans . -update (make golden)"

// The golden plans the verifier's and the twin's own tests read (they cannot
// import the program) are the program's current plans, each variant's; with
// -update, this test writes them.
func TestGoldenPlans(t *testing.T) {
	assert.Equal(t, devConfig(t)["aws:region"], fixture.Region, "fixture.Region is the dev stack's region")
	want := map[string]bool{}
	dev, err := fixture.Export(mustPlan(t, nil).Graph)
	require.NoError(t, err)
	for _, v := range fixture.Variants {
		file := filepath.Join(goldenDir, fixture.File(v.Name))
		want[filepath.Base(file)] = true
		t.Run(v.Name, func(t *testing.T) {
			b, err := fixture.Export(mustPlan(t, v.Config).Graph)
			require.NoError(t, err)
			if len(v.Config) > 0 {
				require.False(t, bytes.Equal(dev, b), "variant %s plans the dev stack: is its config (%v) still read?", v.Name, v.Config)
			}
			if *update {
				require.NoError(t, os.WriteFile(file, b, 0o644))
				return
			}
			old, err := os.ReadFile(file)
			require.NoError(t, err, "regenerate: %s", regenerate)
			if !bytes.Equal(old, b) {
				t.Errorf("%s is not the current plan of %s:\n%s\nregenerate it: %s", file, v.About, planDiff(t, old, b), regenerate)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "plan-*.json"))
	require.NoError(t, err)
	for _, f := range files {
		if !want[filepath.Base(f)] {
			if *update {
				require.NoError(t, os.Remove(f))
				continue
			}
			t.Errorf("%s is no variant's golden plan (fixture.Variants): remove it, or %s", f, regenerate)
		}
	}
}

// planDiff says which resources a golden file and the plan disagree on:
// added, removed or changed, by URN (the first few).
func planDiff(t *testing.T, old, cur []byte) string {
	t.Helper()
	a, err := verify.ParseStateExport(old)
	if err != nil {
		return "the file is no stack export: " + err.Error()
	}
	b, err := verify.ParseStateExport(cur)
	require.NoError(t, err)
	byURN := func(g []resourceJSON) map[string]resourceJSON {
		m := map[string]resourceJSON{}
		for _, r := range g {
			m[r.URN] = r
		}
		return m
	}
	am, bm := byURN(asJSON(a)), byURN(asJSON(b))
	var lines []string
	for u, r := range bm {
		if o, ok := am[u]; !ok {
			lines = append(lines, "  + "+u)
		} else if !reflect.DeepEqual(o, r) {
			lines = append(lines, "  ~ "+u)
		}
	}
	for u := range am {
		if _, ok := bm[u]; !ok {
			lines = append(lines, "  - "+u)
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return "  (same resources and properties: the encoding differs)"
	}
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("  … and %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

// asJSON is each resource of g with its JSON, to compare.
func asJSON(g graph.Graph) []resourceJSON {
	var out []resourceJSON
	for _, r := range g {
		b, _ := json.Marshal(r)
		out = append(out, resourceJSON{r.URN, string(b)})
	}
	return out
}

type resourceJSON struct{ URN, Body string }
