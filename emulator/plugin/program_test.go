package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

const pulumiAWSImport = "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"

// programRoot is the repository root: this file is emulator/plugin/.
func programRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skipf("no program module at %s: %v", root, err)
	}
	return root
}

// usedTokens parses the program's Go files (the repository outside
// emulator/) and returns the pulumi-aws resource and invoke tokens they use,
// each with one place that uses it.
func usedTokens(t *testing.T, root string) map[string]string {
	t.Helper()
	used := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch name := d.Name(); {
			case path == filepath.Join(root, "emulator"), name == "vendor", name == "testdata",
				path != root && strings.HasPrefix(name, "."):
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		modules := map[string]string{} // local import name -> pulumi-aws module
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			var mod string
			switch {
			case p == pulumiAWSImport:
				mod = "index"
			case strings.HasPrefix(p, pulumiAWSImport+"/"):
				mod = strings.TrimPrefix(p, pulumiAWSImport+"/")
			default:
				continue
			}
			name := filepath.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			modules[name] = mod
		}
		if len(modules) == 0 {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			mod, ok := modules[pkg.Name]
			if !ok {
				return true
			}
			if tok := tokenFor(mod, sel.Sel.Name, len(call.Args)); tok != "" {
				if _, seen := used[tok]; !seen {
					used[tok] = fset.Position(call.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// tokenFor maps a pulumi-aws Go SDK function to the token it registers or
// invokes: NewX is resource X; LookupX and GetX (with fewer than four
// arguments) are the invoke getX; GetX with four or more arguments
// (ctx, name, id, state, ...) reads an existing resource X.
func tokenFor(mod, fn string, nargs int) string {
	lower := func(s string) string {
		r := []rune(s)
		r[0] = unicode.ToLower(r[0])
		return string(r)
	}
	switch {
	case strings.HasPrefix(fn, "New") && len(fn) > 3:
		typ := fn[3:]
		if mod == "index" && typ == "Provider" {
			return ""
		}
		return "aws:" + mod + "/" + lower(typ) + ":" + typ
	case strings.HasPrefix(fn, "Lookup") && len(fn) > 6:
		name := "get" + strings.TrimSuffix(fn[6:], "Output")
		return "aws:" + mod + "/" + name + ":" + name
	case strings.HasPrefix(fn, "Get") && len(fn) > 3:
		if nargs >= 4 {
			typ := fn[3:]
			return "aws:" + mod + "/" + lower(typ) + ":" + typ
		}
		name := "get" + strings.TrimSuffix(fn[3:], "Output")
		return "aws:" + mod + "/" + name + ":" + name
	}
	return ""
}

// TestProgramTypesAreMapped fails when the program calls a pulumi-aws
// resource or invoke that mapping.go does not map, so a new type in the
// program shows up here before it fails a deployment on the emulator.
func TestProgramTypesAreMapped(t *testing.T) {
	used := usedTokens(t, programRoot(t))
	if len(used) == 0 {
		t.Skip("the program uses no pulumi-aws types yet")
	}
	mapped := map[string]bool{}
	for _, r := range resourceMappings {
		mapped[r.Token] = true
	}
	for _, d := range dataSourceMappings {
		mapped[d.Token] = true
	}
	var tokens []string
	for tok := range used {
		tokens = append(tokens, tok)
	}
	sort.Strings(tokens)
	for _, tok := range tokens {
		if !mapped[tok] {
			t.Errorf("%s (used at %s) is not mapped in mapping.go", tok, used[tok])
		}
	}
	t.Logf("the program uses %d pulumi-aws types, all mapped", len(tokens))
}

func TestTokenFor(t *testing.T) {
	for _, c := range []struct {
		mod, fn string
		nargs   int
		want    string
	}{
		{"ec2", "NewVpc", 3, "aws:ec2/vpc:Vpc"},
		{"ec2transitgateway", "NewVpcAttachment", 3, "aws:ec2transitgateway/vpcAttachment:VpcAttachment"},
		{"ec2", "LookupAmi", 2, "aws:ec2/getAmi:getAmi"},
		{"ec2", "LookupAmiOutput", 2, "aws:ec2/getAmi:getAmi"},
		{"index", "GetRegion", 2, "aws:index/getRegion:getRegion"},
		{"index", "GetAvailabilityZonesOutput", 3, "aws:index/getAvailabilityZones:getAvailabilityZones"},
		{"ec2", "GetVpc", 4, "aws:ec2/vpc:Vpc"},
		{"index", "NewProvider", 3, ""},
		{"ec2transitgateway", "NewInstanceConnectEndpoint", 3, "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint"},
		{"s3", "NewBucketV2", 3, "aws:s3/bucketV2:BucketV2"},
		{"elb", "GetServiceAccount", 3, "aws:elb/getServiceAccount:getServiceAccount"},
		{"index", "GetCallerIdentityOutput", 3, "aws:index/getCallerIdentity:getCallerIdentity"},
	} {
		if got := tokenFor(c.mod, c.fn, c.nargs); got != c.want {
			t.Errorf("tokenFor(%s, %s, %d) = %q, want %q", c.mod, c.fn, c.nargs, got, c.want)
		}
	}
}
