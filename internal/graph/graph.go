// Package graph is the plain-data form of a Pulumi resource graph that both the
// unit tests and the verifier read: one Resource per registered resource, with
// its inputs and its (mocked or deployed) outputs as JSON-like Go values.
//
// It has no Pulumi dependency so that code reading a graph builds fast.
package graph

// Resource is one registered resource.
type Resource struct {
	URN    string // full URN
	Type   string // type token, e.g. "aws:ec2/vpc:Vpc"
	Name   string // logical name
	ID     string // physical id ("" for components)
	Parent string // parent URN ("" for the stack itself)
	Custom bool   // false for component resources and the stack
	// Provider is the reference of the provider that manages a custom
	// resource, "<provider URN>::<provider id>" ("" when the graph does not
	// record it, or for the default provider under mocks).
	Provider string
	// Dependencies are the URNs this resource depends on explicitly or
	// through its inputs.
	Dependencies []string
	// Inputs are what the program sent; Outputs what the provider (or the
	// mocks) answered. Both use Pulumi's property names (camelCase).
	Inputs  map[string]any
	Outputs map[string]any
}

// Prop returns the named property, preferring outputs over inputs.
func (r Resource) Prop(name string) any {
	if v, ok := r.Outputs[name]; ok && v != nil {
		return v
	}
	return r.Inputs[name]
}

// String returns the named property as a string ("" when absent or not a string).
func (r Resource) String(name string) string {
	s, _ := r.Prop(name).(string)
	return s
}

// Graph is a list of resources in registration order.
type Graph []Resource

// OfType returns the resources with the given type token, in order.
func (g Graph) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range g {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// ByURN returns the resource with the given URN.
func (g Graph) ByURN(urn string) (Resource, bool) {
	for _, r := range g {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}

// ByID returns the custom resource with the given physical id.
func (g Graph) ByID(id string) (Resource, bool) {
	if id == "" {
		return Resource{}, false
	}
	for _, r := range g {
		if r.Custom && r.ID == id {
			return r, true
		}
	}
	return Resource{}, false
}
