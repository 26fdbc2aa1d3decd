package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// sdkNames mirrors what ./sdknames prints: the pulumi-aws SDK's property
// names for every type the program uses, read by reflection from the SDK's
// `...Args` ElementType() structs, resource structs and invoke structs.
type sdkNames struct {
	Provider  map[string]sdkProperty `json:"provider"`
	Resources map[string]sdkType     `json:"resources"`
	Invokes   map[string]sdkType     `json:"invokes"`
}

type sdkType struct {
	Inputs  map[string]sdkProperty `json:"inputs"`
	Outputs []string               `json:"outputs"`
}

type sdkProperty struct {
	Shape    string                 `json:"shape"`
	Required bool                   `json:"required"`
	Fields   map[string]sdkProperty `json:"fields"`
}

// loadSDKNames runs ./sdknames (its own module, pinned to pulumi-aws SDK
// v6.83.4; see its doc comment for why it cannot live in this module).
func loadSDKNames(t *testing.T) sdkNames {
	t.Helper()
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = "sdknames"
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./sdknames: %v\n%s", err, stderr.String())
	}
	var names sdkNames
	if err := json.Unmarshal(stdout.Bytes(), &names); err != nil {
		t.Fatalf("decoding sdknames output: %v", err)
	}
	return names
}

// testProvider starts the Terraform AWS provider and builds the plugin's
// ProviderInfo over it, exactly as main does.
func testProvider(t *testing.T) tfbridge.ProviderInfo {
	t.Helper()
	bin, err := findProviderBinary()
	if err != nil {
		if os.Getenv("EMULATOR_REQUIRED") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tf, stop, err := startTerraformProvider(ctx, bin)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	info, err := providerInfo(tf)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestMappingMatchesSDK fails when a resource or invoke the program uses is
// not mapped in mapping.go, when mapping.go maps a type the program's list
// lacks, or when a property name, a nested block's shape (one object or a
// list) or a scalar input's required-ness (which shows whether it is
// auto-named) differs between the bridge mapping and the pulumi-aws SDK.
func TestMappingMatchesSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Terraform provider and builds ./sdknames")
	}
	sdk := loadSDKNames(t)
	info := testProvider(t)

	resByToken := map[string]string{}
	for tfType, r := range info.Resources {
		resByToken[string(r.Tok)] = tfType
	}
	dsByToken := map[string]string{}
	for tfType, d := range info.DataSources {
		dsByToken[string(d.Tok)] = tfType
	}
	// The shim is given the mapped types and no others (mappedOnly).
	if n := info.P.ResourcesMap().Len(); n != len(resourceMappings) {
		t.Errorf("the shim holds %d resource types, want the %d mapped", n, len(resourceMappings))
	}
	if n := info.P.DataSourcesMap().Len(); n != len(dataSourceMappings) {
		t.Errorf("the shim holds %d data source types, want the %d mapped", n, len(dataSourceMappings))
	}

	t.Run("provider config", func(t *testing.T) {
		var diffs []string
		compareInputs(&diffs, "aws:", info.P.Schema(), info.Config, sdk.Provider, false)
		for _, d := range diffs {
			t.Errorf("provider config: %s", d)
		}
	})

	fieldsOf := func(tfType string, dataSource bool) (shim.SchemaMap, map[string]*tfbridge.SchemaInfo) {
		if dataSource {
			return info.P.DataSourcesMap().Get(tfType).Schema(), info.DataSources[tfType].Fields
		}
		return info.P.ResourcesMap().Get(tfType).Schema(), info.Resources[tfType].Fields
	}
	compareKind := func(want map[string]sdkType, byToken map[string]string, dataSource bool) {
		for _, token := range sortedKeys(want, byToken) {
			w, inSDK := want[token]
			tfType, mapped := byToken[token]
			switch {
			case !mapped:
				t.Errorf("%s: the program uses it but mapping.go does not map it", token)
				continue
			case !inSDK:
				t.Errorf("%s: mapped in mapping.go but missing from sdknames' program list", token)
				continue
			}
			t.Run(token, func(t *testing.T) {
				sch, fields := fieldsOf(tfType, dataSource)
				var diffs []string
				compareInputs(&diffs, "", sch, fields, w.Inputs, dataSource)
				compareOutputs(&diffs, sch, fields, w.Outputs, dataSource)
				for _, d := range diffs {
					t.Errorf("%s (%s): %s", token, tfType, d)
				}
			})
		}
	}
	compareKind(sdk.Resources, resByToken, false)
	compareKind(sdk.Invokes, dsByToken, true)
}

// bridgeProp is one property as the bridge maps it.
type bridgeProp struct {
	tfName   string
	schema   shim.Schema
	info     *tfbridge.SchemaInfo
	input    bool // the program can set it
	required bool
}

// bridgeProps returns every property the bridge exposes for a schema map,
// keyed by Pulumi name. Terraform's `timeouts` block is left out: Pulumi
// takes timeouts as the customTimeouts resource option, and pulumi-aws has
// no such property, except on Plugin Framework resources (see
// sdkOnlyTimeouts). Fields that mapping.go marks computed-only (tags_all, as
// in pulumi-aws) are outputs. (The shim makes every `id` output-only, where
// pulumi-aws keeps some data sources' optional `id` input: the input check
// below accepts an SDK input whose name the bridge has at all.)
func bridgeProps(sch shim.SchemaMap, fields map[string]*tfbridge.SchemaInfo, dataSource bool) map[string]bridgeProp {
	props := map[string]bridgeProp{}
	sch.Range(func(key string, s shim.Schema) bool {
		info := fields[key]
		if key == "timeouts" || (info != nil && info.Omit) {
			return true
		}
		input := s.Required() || s.Optional()
		if info != nil && info.MarkAsComputedOnly != nil && *info.MarkAsComputedOnly {
			input = false
		}
		props[tfbridge.TerraformToPulumiNameV2(key, sch, fields)] = bridgeProp{
			tfName:   key,
			schema:   s,
			info:     info,
			input:    input,
			required: s.Required() && (info == nil || info.Default == nil),
		}
		return true
	})
	return props
}

// compareInputs checks one level of inputs: every SDK input must be a
// property the bridge produces under the same name, every input the bridge
// takes must be in the SDK's args, required-ness of scalars must agree, and
// nested blocks must have the same shape and, recursively, the same names.
//
// The tfplugin5 shim marks some inputs as computed-only (blocks whose
// attributes are all optional+computed, fields of object-typed attributes),
// while the bridge still passes them through at run time; so an SDK input is
// accepted when the bridge has a property of that name at all.
func compareInputs(diffs *[]string, path string, sch shim.SchemaMap,
	fields map[string]*tfbridge.SchemaInfo, sdk map[string]sdkProperty, dataSource bool,
) {
	bridge := bridgeProps(sch, fields, dataSource)
	for _, name := range sortedKeys(bridge, sdk) {
		p, inBridge := bridge[name]
		want, inSDK := sdk[name]
		where := path + name
		switch {
		case !inBridge && sdkOnlyTimeouts(name, path, sch):
			continue
		case !inBridge:
			*diffs = append(*diffs, fmt.Sprintf("SDK input %s is not produced by the bridge mapping", where))
			continue
		case !inSDK && p.input:
			*diffs = append(*diffs, fmt.Sprintf("input %s (TF %s) is not in the SDK's args", where, p.tfName))
			continue
		case !inSDK:
			continue // an output only, on both sides
		}
		if want.Shape == "scalar" && p.input && want.Required != p.required {
			*diffs = append(*diffs, fmt.Sprintf("input %s: required=%v in the SDK, %v in the mapping "+
				"(auto-naming or a default disagrees)", where, want.Required, p.required))
		}
		res, isBlock := p.schema.Elem().(shim.Resource)
		if !isBlock || (p.schema.Type() != shim.TypeList && p.schema.Type() != shim.TypeSet) {
			continue
		}
		maxOne := tfbridge.IsMaxItemsOne(p.schema, p.info)
		switch {
		case maxOne && want.Shape != "object":
			*diffs = append(*diffs, fmt.Sprintf("input %s: the mapping makes one object, the SDK a %s", where, want.Shape))
			continue
		case !maxOne && want.Shape != "list":
			*diffs = append(*diffs, fmt.Sprintf("input %s: the mapping makes a list, the SDK a %s", where, want.Shape))
			continue
		}
		var elemFields map[string]*tfbridge.SchemaInfo
		if p.info != nil && p.info.Elem != nil {
			elemFields = p.info.Elem.Fields
		}
		compareInputs(diffs, where+".", res.Schema(), elemFields, want.Fields, false)
	}
}

// compareOutputs checks that the SDK's outputs and the bridge's properties
// are the same set of names.
func compareOutputs(diffs *[]string, sch shim.SchemaMap, fields map[string]*tfbridge.SchemaInfo,
	sdk []string, dataSource bool,
) {
	bridge := bridgeProps(sch, fields, dataSource)
	if !dataSource {
		delete(bridge, "id") // a resource's id is its ID(), not a property
	}
	inSDK := map[string]bool{}
	for _, n := range sdk {
		inSDK[n] = true
	}
	for _, name := range sortedKeys(bridge, inSDK) {
		_, inBridge := bridge[name]
		switch {
		case !inSDK[name]:
			*diffs = append(*diffs, fmt.Sprintf("output %s (TF %s) is not in the SDK", name, bridge[name].tfName))
		case !inBridge && sdkOnlyTimeouts(name, "", sch):
		case !inBridge:
			*diffs = append(*diffs, fmt.Sprintf("SDK output %s is not produced by the bridge mapping", name))
		}
	}
}

// sdkOnlyTimeouts accepts a top-level SDK property `timeouts` where the
// Terraform schema has a `timeouts` block: pulumi-aws exposes it (an object
// of duration strings) for Plugin Framework resources such as
// aws_ec2_instance_connect_endpoint and aws_s3_bucket_lifecycle_configuration,
// while bridgeProps leaves it out for all.
func sdkOnlyTimeouts(name, path string, sch shim.SchemaMap) bool {
	if name != "timeouts" || path != "" {
		return false
	}
	_, ok := sch.GetOk("timeouts")
	return ok
}

func sortedKeys[A, B any](a map[string]A, b map[string]B) []string {
	seen := map[string]bool{}
	var keys []string
	for k := range a {
		if !seen[k] {
			seen[k], keys = true, append(keys, k)
		}
	}
	for k := range b {
		if !seen[k] {
			seen[k], keys = true, append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// startMoto runs the emulator's patched moto (../moto/launch.py) on a free
// loopback port for one test and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3:", err)
	}
	portFile := filepath.Join(t.TempDir(), "port")
	cmd := exec.Command(python, filepath.Join("..", "moto", "launch.py"), "--port", "0", "--port-file", portFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		b, err := os.ReadFile(portFile)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		url := "http://127.0.0.1:" + string(bytes.TrimSpace(b))
		if resp, err := http.Get(url + "/moto-api/config"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Fatalf("moto did not come up:\n%s", logs.String())
	return ""
}

// TestAssumeRoleProviderConfig configures the double as the program
// configures an explicit provider for another account, `assumeRole` (one
// object in pulumi-aws v6) with the emulator's keys and skip flags, against a
// running moto, and checks that the provider then acts in the role's
// account: the STS AssumeRole goes to the emulator through AWS_ENDPOINT_URL
// like every other call, with no `endpoints` block. Without assumeRole the
// same configuration acts in moto's default account.
func TestAssumeRoleProviderConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto and the Terraform provider")
	}
	t.Setenv("AWS_ENDPOINT_URL", startMoto(t)) // before the Terraform provider starts
	ctx := context.Background()

	// whoAmI configures a provider of its own (the engine starts one plugin
	// per explicit provider; the Terraform provider refuses a second
	// configuration of the same process) and asks whose credentials it has.
	whoAmI := func(t *testing.T, config map[string]any) (account, arn string) {
		t.Helper()
		info := testProvider(t)
		p := tfbridge.NewProvider(ctx, nil, "aws", pulumiAWSVersion, info.P, info, nil)
		args, err := structpb.NewStruct(config)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Configure(ctx, &pulumirpc.ConfigureRequest{Args: args, AcceptSecrets: true}); err != nil {
			t.Fatalf("configure: %v", err)
		}
		empty, _ := structpb.NewStruct(nil)
		resp, err := p.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:index/getCallerIdentity:getCallerIdentity", Args: empty})
		if err != nil {
			t.Fatalf("getCallerIdentity: %v", err)
		}
		if len(resp.GetFailures()) > 0 {
			t.Fatalf("getCallerIdentity: %v", resp.GetFailures())
		}
		out := resp.GetReturn().AsMap()
		account, _ = out["accountId"].(string)
		arn, _ = out["arn"].(string)
		return account, arn
	}
	emulator := func() map[string]any {
		return map[string]any{
			"region":                    "us-east-1",
			"accessKey":                 "test",
			"secretKey":                 "test",
			"skipCredentialsValidation": true,
			"skipMetadataApiCheck":      true,
			"skipRequestingAccountId":   false,
			"maxRetries":                3,
		}
	}

	t.Run("assumeRole", func(t *testing.T) {
		config := emulator()
		config["assumeRole"] = map[string]any{"roleArn": "arn:aws:iam::111111111111:role/internal-alb-consumer"}
		account, arn := whoAmI(t, config)
		if account != "111111111111" || !strings.Contains(arn, ":assumed-role/internal-alb-consumer/") {
			t.Errorf("with assumeRole the provider is %s (%s), want account 111111111111 in the assumed role", account, arn)
		}
	})
	t.Run("default account", func(t *testing.T) {
		if account, arn := whoAmI(t, emulator()); account != "123456789012" {
			t.Errorf("without assumeRole the provider is %s (%s), want moto's default account", account, arn)
		}
	})
}
