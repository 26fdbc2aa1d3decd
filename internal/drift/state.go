package drift

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/internal-alb/internal-alb/verify"
)

// state is a stack export whose resources can be swapped for their
// refreshed versions before the verifier reads it.
type state struct {
	export    map[string]any   // the whole export, as read
	resources []map[string]any // export.deployment.resources
	byURN     map[string]int
}

func parseExport(b []byte) (*state, error) {
	var export map[string]any
	if err := json.Unmarshal(b, &export); err != nil {
		return nil, fmt.Errorf("the stack export: %w", err)
	}
	dep, _ := export["deployment"].(map[string]any)
	if dep == nil {
		return nil, fmt.Errorf("the stack export has no deployment")
	}
	st := &state{export: export, byURN: map[string]int{}}
	list, _ := dep["resources"].([]any)
	for _, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the stack export has a resource that is not an object")
		}
		urn, _ := m["urn"].(string)
		st.byURN[urn] = len(st.resources)
		st.resources = append(st.resources, m)
	}
	return st, nil
}

// refersTo are the resources whose ids the inputs of urn name (a route's
// table, a rule's group, a state's instance).
func (s *state) refersTo(urn string) []string {
	i, ok := s.byURN[urn]
	if !ok {
		return nil
	}
	// Ids are not unique: an instance's state resource has the instance's.
	byID := map[string][]string{}
	for _, r := range s.resources {
		if id, _ := r["id"].(string); id != "" {
			u, _ := r["urn"].(string)
			byID[id] = append(byID[id], u)
		}
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, u := range byID[v] {
				if u != urn && !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(s.resources[i]["inputs"])
	sort.Strings(out)
	return out
}

func (s *state) has(urn string) bool { _, ok := s.byURN[urn]; return ok }

func (s *state) typeOf(urn string) string {
	if i, ok := s.byURN[urn]; ok {
		t, _ := s.resources[i]["type"].(string)
		return t
	}
	return ""
}

func (s *state) outputs(urn string) map[string]any {
	if i, ok := s.byURN[urn]; ok {
		o, _ := s.resources[i]["outputs"].(map[string]any)
		return o
	}
	return nil
}

// differs reports whether the refreshed state of urn is not what the stack
// recorded (gone, or other outputs).
func (s *state) differs(urn string, now *apitype.StepEventStateMetadata) bool {
	if now == nil {
		return true
	}
	was := s.outputs(urn)
	for k, v := range now.Outputs {
		if k == "__meta" {
			continue
		}
		if !reflect.DeepEqual(normalise(was[k]), normalise(v)) {
			return true
		}
	}
	return false
}

// normalise makes a value read from JSON and one from the event stream
// comparable (numbers as float64, lists and maps as []any, map[string]any).
func normalise(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// check runs the verifier on the export with the refreshed states in swap
// in place of the recorded ones (a nil state: the resource is gone).
func (s *state) check(swap map[string]*apitype.StepEventStateMetadata, opts verify.Options) (verify.Report, error) {
	resources := make([]any, 0, len(s.resources))
	for _, r := range s.resources {
		urn, _ := r["urn"].(string)
		now, swapped := swap[urn]
		switch {
		case !swapped:
			resources = append(resources, r)
		case now == nil:
			// gone
		default:
			c := map[string]any{}
			for k, v := range r {
				c[k] = v
			}
			c["outputs"] = normalise(now.Outputs)
			resources = append(resources, c)
		}
	}
	dep := map[string]any{}
	for k, v := range s.export["deployment"].(map[string]any) {
		dep[k] = v
	}
	dep["resources"] = resources
	export := map[string]any{}
	for k, v := range s.export {
		export[k] = v
	}
	export["deployment"] = dep
	b, err := json.Marshal(export)
	if err != nil {
		return verify.Report{}, err
	}
	g, err := verify.ParseStateExport(b)
	if err != nil {
		return verify.Report{}, fmt.Errorf("the refreshed state: %w", err)
	}
	return verify.Check(g, opts), nil
}
