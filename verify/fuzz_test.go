package verify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/internal-alb/internal-alb/verify"
)

// goldenHead is the dev plan's golden export with its first n resources
// only.
func goldenHead(f *testing.F, n int) []byte {
	var doc map[string]any
	if err := json.Unmarshal(goldenDev(f), &doc); err != nil {
		f.Fatal(err)
	}
	dep := doc["deployment"].(map[string]any)
	dep["resources"] = dep["resources"].([]any)[:n]
	b, err := json.Marshal(doc)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzParseStateExport: whatever the bytes, the state loader returns an
// error of one line, or a graph whose every resource has a type, a name
// and a URN of this project; it never panics. Seeds: the dev plan's golden
// export, cut at several points, and the shapes the unit tests refuse.
// `make fuzz` runs it for $(FUZZTIME); crashers it finds stay in
// testdata/fuzz/FuzzParseStateExport.
func FuzzParseStateExport(f *testing.F) {
	// The golden export's shape, with its first resources (the whole file,
	// 120 kB, slows the fuzzer's mutations down to a few a second), whole
	// and cut at several points.
	dev := goldenHead(f, 4)
	f.Add(dev)
	for _, at := range []int{1, 2, 3, 8, 64} {
		f.Add(dev[:len(dev)-len(dev)/at])
	}
	small := `{"version":3,"deployment":{"resources":[` +
		`{"urn":"urn:pulumi:dev::internal-alb::pulumi:pulumi:Stack::internal-alb-dev","type":"pulumi:pulumi:Stack"},` +
		`{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::foo","type":"aws:ec2/vpc:Vpc","id":"vpc-1","custom":true,` +
		`"parent":"urn:pulumi:dev::internal-alb::pulumi:pulumi:Stack::internal-alb-dev","dependencies":[],` +
		`"inputs":{"cidrBlock":"10.2.0.0/16","tags":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"{\"Name\":\"foo\"}"}},` +
		`"outputs":{"arn":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:abc"}}}]}}`
	for _, s := range []string{
		small, small[:len(small)/2], strings.ReplaceAll(small, "::internal-alb::", "::other::"),
		"", "{}", "[]", "null", `"x"`, `{"deployment":null}`, `{"version":4,"deployment":{}}`, `{"deployment":{"resources":[null]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := verify.ParseStateExport(b)
		if err != nil {
			if g != nil {
				t.Errorf("an error (%v) and a graph of %d resources", err, len(g))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("an error of more than one line: %q", err)
			}
			return
		}
		for i, r := range g {
			if r.Type == "" || r.Name == "" || !strings.HasPrefix(r.URN, "urn:pulumi:") || !strings.Contains(r.URN, "::"+verify.Project+"::") {
				t.Errorf("resource %d of a parsed export: type %q, name %q, urn %q", i, r.Type, r.Name, r.URN)
			}
		}
	})
}
