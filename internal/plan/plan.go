// Package plan runs a Pulumi program under mocks and returns what it
// registered as a graph.Graph: the unit tests and the verifier read the
// program's plan through it, with no cloud and no engine.
package plan

import (
	"fmt"
	"maps"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/config"
	"github.com/internal-alb/internal-alb/internal/graph"
)

// Options of a run.
type Options struct {
	Project string // default "internal-alb"
	Stack   string // default "dev"
	// Config is the stack config with full keys ("internal-alb:azCount"),
	// objects and lists as JSON, as the engine passes it to a program.
	Config map[string]string
	// ConfigFile is the stack file Config was read from, which an error
	// about one of its keys names ("" when none).
	ConfigFile string
	// Existing are the VPCs that exist before the stack, by id.
	Existing map[string]ExistingVpc
}

// Run runs program under mocks. It returns the graph even when the program
// fails, so a test can check that nothing was registered before the error.
func Run(program pulumi.RunFunc, opts Options) (graph.Graph, error) {
	if opts.Project == "" {
		opts.Project = "internal-alb"
	}
	if opts.Stack == "" {
		opts.Stack = "dev"
	}
	region := opts.Config["aws:region"]
	if region == "" {
		region = "ap-northeast-1"
	}
	m := &Mocks{Region: region, Zones: []string{region + "a", region + "c", region + "d"}, stack: opts.Stack, project: opts.Project, Existing: opts.Existing}
	// The program sees the whole config's keys, as it does under the
	// engine, so it can refuse the ones it does not read.
	keys := config.StackKeys{}
	for k := range opts.Config {
		keys[k] = opts.ConfigFile
	}
	err := pulumi.RunErr(config.WithStackKeys(program, keys),
		pulumi.WithMocks(opts.Project, opts.Stack, m),
		func(info *pulumi.RunInfo) { info.Config = opts.Config },
	)
	return m.Graph(), err
}

// Graph returns what was registered so far, sorted by URN.
func (m *Mocks) Graph() graph.Graph {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := make(graph.Graph, 0, len(m.resources))
	for _, r := range m.resources {
		rpc := r.args.RegisterRPC
		parent := rpc.GetParent()
		g = append(g, graph.Resource{
			URN:          m.urn(parent, r.args.TypeToken, r.args.Name),
			Type:         r.args.TypeToken,
			Name:         r.args.Name,
			ID:           r.id,
			Parent:       parent,
			Custom:       r.args.Custom,
			Provider:     r.args.Provider,
			Dependencies: rpc.GetDependencies(),
			Inputs:       plain(r.args.Inputs),
			Outputs:      plain(r.outputs),
		})
	}
	sort.Slice(g, func(i, j int) bool { return g[i].URN < g[j].URN })
	return g
}

// urn is the URN the mock monitor gives a resource.
func (m *Mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// plain turns a property map into JSON-like Go values; secrets are unwrapped
// and assets/archives become a short description.
func plain(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsOutput():
		return plainValue(v.OutputValue().Element)
	case v.IsArray():
		a := make([]any, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			a[i] = plainValue(e)
		}
		return a
	case v.IsObject():
		return plain(v.ObjectValue())
	case v.IsAsset():
		return fmt.Sprintf("asset:%s", v.AssetValue().Hash)
	case v.IsArchive():
		return archive(v)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsComputed():
		return nil
	}
	return v.Mappable()
}

func archive(v resource.PropertyValue) any {
	a := v.ArchiveValue()
	files := map[string]any{}
	for name, e := range a.Assets {
		if as, ok := e.(*resource.Asset); ok {
			files[name] = as.Text
		}
	}
	return map[string]any{"archive": files}
}

// Merge returns cfg with overrides applied, leaving both as they are: the
// one way tests and tools derive a stack's variants.
func Merge(cfg, overrides map[string]string) map[string]string {
	m := maps.Clone(cfg)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, overrides)
	return m
}
