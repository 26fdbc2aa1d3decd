package main

import (
	"context"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-cty/cty"

	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5"
)

// plainStateProvider wraps the tfplugin5 shim's provider and closes one more
// of its gaps: a state that the shim has decoded itself cannot be sent to the
// provider again.
//
// Before Diff, Apply and Refresh the shim upgrades the state: it encodes the
// state's Go object with encoding/json as UpgradeResourceState's RawState and
// then replaces that object, in place, with the decoded answer. In that
// decoded form every non-null set is kept as a cty.Value, which encoding/json
// writes as `{}`. The bridge's Update calls Diff and then Apply with the same
// state, so Apply's upgrade sent `"load_balancer_arns":{}` (aws_lb_target_group)
// or `"grant":{}` (aws_s3_bucket), and the provider refused it:
// "[load_balancer_arns] missing expected [". Every update of a resource with a
// non-null set in its state failed that way; resources without sets (aws_vpc)
// did not notice.
//
// Each of the three calls gets a copy of the state whose sets are plain
// lists, the form the bridge builds from Pulumi's state; a state that holds
// no cty.Value is passed on as it is.
type plainStateProvider struct {
	shim.Provider
}

func (p plainStateProvider) Diff(ctx context.Context, t string, s shim.InstanceState, c shim.ResourceConfig,
	opts shim.DiffOptions,
) (shim.InstanceDiff, error) {
	s, err := p.plainState(t, s)
	if err != nil {
		return nil, err
	}
	return p.Provider.Diff(ctx, t, s, c, opts)
}

func (p plainStateProvider) Apply(ctx context.Context, t string, s shim.InstanceState, d shim.InstanceDiff,
) (shim.InstanceState, error) {
	s, err := p.plainState(t, s)
	if err != nil {
		return nil, err
	}
	return p.Provider.Apply(ctx, t, s, d)
}

func (p plainStateProvider) Refresh(ctx context.Context, t string, s shim.InstanceState, c shim.ResourceConfig,
) (shim.InstanceState, error) {
	s, err := p.plainState(t, s)
	if err != nil {
		return nil, err
	}
	return p.Provider.Refresh(ctx, t, s, c)
}

// plainState returns s, or a new state of type t with the same id and meta
// whose object has every cty.Value turned into plain Go values.
func (p plainStateProvider) plainState(t string, s shim.InstanceState) (shim.InstanceState, error) {
	if isNilState(s) {
		return s, nil
	}
	obj, err := s.Object(nil)
	if err != nil || !holdsCty(obj) {
		return s, err
	}
	plain, err := ctyToPlain(obj)
	if err != nil {
		return nil, fmt.Errorf("emulator plugin: state of %s (%s): %w", t, s.ID(), err)
	}
	res := p.ResourcesMap().Get(t)
	if res == nil {
		return nil, fmt.Errorf("emulator plugin: no resource type %s in the provider schema", t)
	}
	m, _ := plain.(map[string]interface{})
	return res.InstanceState(s.ID(), m, s.Meta())
}

// isNilState reports whether s is nil, also as a typed nil pointer (the
// shim's Object method does not accept a nil receiver).
func isNilState(s shim.InstanceState) bool {
	if s == nil {
		return true
	}
	v := reflect.ValueOf(s)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// holdsCty reports whether v, a Go value from the shim, contains a cty.Value
// at any depth.
func holdsCty(v interface{}) bool {
	switch v := v.(type) {
	case cty.Value:
		return true
	case map[string]interface{}:
		for _, e := range v {
			if holdsCty(e) {
				return true
			}
		}
	case []interface{}:
		for _, e := range v {
			if holdsCty(e) {
				return true
			}
		}
	}
	return false
}

// ctyToPlain copies v with every cty.Value converted as the shim converts
// its values (null → nil, numbers → float64, lists and sets → slices, maps and
// objects → maps), except that sets become slices too.
func ctyToPlain(v interface{}) (interface{}, error) {
	switch v := v.(type) {
	case cty.Value:
		return ctyValueToPlain(v)
	case map[string]interface{}:
		out := make(map[string]interface{}, len(v))
		for k, e := range v {
			pe, err := ctyToPlain(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = pe
		}
		return out, nil
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, e := range v {
			pe, err := ctyToPlain(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = pe
		}
		return out, nil
	}
	return v, nil
}

func ctyValueToPlain(v cty.Value) (interface{}, error) {
	ty := v.Type()
	switch {
	case v.IsNull():
		return nil, nil
	case !v.IsKnown():
		return tfplugin5.UnknownVariableValue, nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, nil
	case ty == cty.String:
		return v.AsString(), nil
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		out := make([]interface{}, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			pe, err := ctyValueToPlain(e)
			if err != nil {
				return nil, err
			}
			out = append(out, pe)
		}
		return out, nil
	case ty.IsMapType(), ty.IsObjectType():
		out := map[string]interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			pe, err := ctyValueToPlain(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.AsString(), err)
			}
			out[k.AsString()] = pe
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported cty type %s", ty.FriendlyName())
}
