package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-cty/cty"
	"google.golang.org/grpc"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

// UpgradeResourceState gives back the provider's upgraded state with the
// empty collections inside collection elements that Pulumi's state lost.
//
// The bridge builds the shim's state from Pulumi's, which writes an empty
// list as null: an inline rule of aws_security_group that the provider wrote
// as {cidr_blocks = ["10.0.0.0/16"], ipv6_cidr_blocks = [], ...} comes back
// with ipv6_cidr_blocks = null, and the upgrade keeps that null. When the
// plan has a change (a tags-only update is enough) the provider plans the
// rules as it writes them, with [], so the shim's differ sees every rule as
// removed and added, and its removeValue takes the Length of the null list:
// "panic: value is null", which kills the plugin. The shim's state is this
// upgraded value, so the empty collections are put back here, in the
// elements of list, set and map attributes (and of blocks' such attributes)
// at any depth. Top-level attributes are left to fillEmptyCollections and
// restoreNulls (proposed.go); null nested objects are left alone (null is
// what the provider means there).
func (c fixingClient) UpgradeResourceState(ctx context.Context, in *proto.UpgradeResourceState_Request,
	opts ...grpc.CallOption,
) (*proto.UpgradeResourceState_Response, error) {
	resp, err := c.ProviderClient.UpgradeResourceState(ctx, in, opts...)
	if err != nil || resp == nil || c.schemas == nil || resp.UpgradedState == nil || isNull(resp.UpgradedState) {
		return resp, err
	}
	if diagnosticsError("upgrade "+in.TypeName, resp.Diagnostics) != nil {
		return resp, nil // the shim reports them
	}
	s, v, err := c.schemas.decode(in.TypeName, resp.UpgradedState.Msgpack)
	if err != nil {
		return nil, fmt.Errorf("emulator plugin: upgraded state of %s: %w", in.TypeName, err)
	}
	filled := fillNestedEmptyCollections(s, v)
	if filled.RawEquals(v) {
		return resp, nil
	}
	b, err := encode(s, filled)
	if err != nil {
		return nil, fmt.Errorf("emulator plugin: upgraded state of %s: %w", in.TypeName, err)
	}
	resp.UpgradedState = &proto.DynamicValue{Msgpack: b}
	return resp, nil
}

// fillNestedEmptyCollections returns v, an object of block s, with every null
// list, set or map attribute of an object inside a collection attribute
// replaced by an empty one. Blocks are followed to reach their attributes.
func fillNestedEmptyCollections(s *blockSchema, v cty.Value) cty.Value {
	if v.IsNull() || !v.IsWhollyKnown() {
		return v
	}
	vals := v.AsValueMap()
	if vals == nil {
		return v
	}
	for name, a := range s.attrs {
		if a.ty.IsListType() || a.ty.IsSetType() || a.ty.IsMapType() {
			vals[name] = fillElements(vals[name], fillEmptyAttributes)
		}
	}
	for name, c := range s.children {
		follow := func(e cty.Value) cty.Value { return fillNestedEmptyCollections(c.block, e) }
		switch c.nesting {
		case proto.Schema_NestedBlock_SINGLE, proto.Schema_NestedBlock_GROUP:
			vals[name] = follow(vals[name])
		default:
			vals[name] = fillElements(vals[name], follow)
		}
	}
	return cty.ObjectVal(vals)
}

// fillEmptyAttributes fills v's null collection attributes if v is an object,
// and goes on into every collection and object it holds.
func fillEmptyAttributes(v cty.Value) cty.Value {
	ty := v.Type()
	switch {
	case v.IsNull():
		return v
	case ty.IsObjectType():
		vals := v.AsValueMap()
		if vals == nil {
			return v
		}
		for name, av := range vals {
			if empty, ok := emptyCollection(av.Type()); ok && av.IsNull() {
				vals[name] = empty
			} else {
				vals[name] = fillEmptyAttributes(av)
			}
		}
		return cty.ObjectVal(vals)
	case ty.IsListType(), ty.IsSetType(), ty.IsMapType():
		return fillElements(v, fillEmptyAttributes)
	}
	return v
}

// fillElements applies f to each element of the collection v (a list, set or
// map). Null, unknown and empty collections are returned as they are.
func fillElements(v cty.Value, f func(cty.Value) cty.Value) cty.Value {
	if v.IsNull() || !v.IsWhollyKnown() || v.LengthInt() == 0 {
		return v
	}
	ty := v.Type()
	switch {
	case ty.IsMapType():
		out := map[string]cty.Value{}
		for k, e := range v.AsValueMap() {
			out[k] = f(e)
		}
		return cty.MapVal(out)
	case ty.IsListType(), ty.IsSetType():
		var out []cty.Value
		for _, e := range v.AsValueSlice() {
			out = append(out, f(e))
		}
		if ty.IsSetType() {
			return cty.SetVal(out)
		}
		return cty.ListVal(out)
	}
	return v
}
