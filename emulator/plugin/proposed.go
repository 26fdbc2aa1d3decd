package main

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-cty/cty"
	ctyjson "github.com/hashicorp/go-cty/cty/json"
	"github.com/hashicorp/go-cty/cty/msgpack"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

// The tfplugin5 shim sends the raw configuration as PlanResourceChange's
// ProposedNewState. Terraform itself sends the configuration merged with the
// prior state: a computed attribute that the configuration leaves null keeps
// its prior value. Without that merge the provider plans such attributes away
// (aws_security_group's egress/ingress, aws_iam_role's managed_policy_arns,
// ...), and a preview right after `up` shows changes that are not there. The
// types below rebuild Terraform's merge from the provider's own schema.

// blockSchema is one schema block, ready for merging.
type blockSchema struct {
	ty       cty.Type
	attrs    map[string]attrSchema
	children map[string]childBlock
}

type attrSchema struct {
	computed bool
	ty       cty.Type
}

type childBlock struct {
	nesting proto.Schema_NestedBlock_NestingMode
	block   *blockSchema
}

func convertBlock(b *proto.Schema_Block) (*blockSchema, error) {
	s := &blockSchema{attrs: map[string]attrSchema{}, children: map[string]childBlock{}}
	types := map[string]cty.Type{}
	if b == nil {
		s.ty = cty.EmptyObject
		return s, nil
	}
	for _, a := range b.Attributes {
		t, err := ctyjson.UnmarshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", a.Name, err)
		}
		types[a.Name] = t
		s.attrs[a.Name] = attrSchema{computed: a.Computed, ty: t}
	}
	for _, nb := range b.BlockTypes {
		inner, err := convertBlock(nb.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", nb.TypeName, err)
		}
		switch nb.Nesting {
		case proto.Schema_NestedBlock_SINGLE, proto.Schema_NestedBlock_GROUP:
			types[nb.TypeName] = inner.ty
		case proto.Schema_NestedBlock_LIST:
			types[nb.TypeName] = cty.List(inner.ty)
		case proto.Schema_NestedBlock_SET:
			types[nb.TypeName] = cty.Set(inner.ty)
		case proto.Schema_NestedBlock_MAP:
			types[nb.TypeName] = cty.Map(inner.ty)
		default:
			return nil, fmt.Errorf("block %s: unsupported nesting %v", nb.TypeName, nb.Nesting)
		}
		s.children[nb.TypeName] = childBlock{nesting: nb.Nesting, block: inner}
	}
	s.ty = cty.Object(types)
	return s, nil
}

// proposedNew merges prior into config the way Terraform builds
// ProposedNewState: computed attributes left null in the configuration take
// their prior value; nested blocks are merged element by element where they
// can be paired (single blocks, list blocks by index, map blocks by key; set
// blocks are taken from the configuration as they are).
func proposedNew(s *blockSchema, prior, config cty.Value) cty.Value {
	if config.IsNull() || !config.IsKnown() || prior.IsNull() || !prior.IsKnown() {
		return config
	}
	vals := map[string]cty.Value{}
	for name, a := range s.attrs {
		cv := config.GetAttr(name)
		if a.computed && cv.IsNull() {
			vals[name] = prior.GetAttr(name)
		} else {
			vals[name] = cv
		}
	}
	for name, c := range s.children {
		cv, pv := config.GetAttr(name), prior.GetAttr(name)
		switch c.nesting {
		case proto.Schema_NestedBlock_SINGLE, proto.Schema_NestedBlock_GROUP:
			vals[name] = proposedNew(c.block, pv, cv)
		case proto.Schema_NestedBlock_LIST:
			vals[name] = mergeList(c.block, pv, cv)
		case proto.Schema_NestedBlock_MAP:
			vals[name] = mergeMap(c.block, pv, cv)
		default:
			vals[name] = cv
		}
	}
	return cty.ObjectVal(vals)
}

func mergeList(s *blockSchema, prior, config cty.Value) cty.Value {
	if config.IsNull() || !config.IsKnown() || prior.IsNull() || !prior.IsKnown() || config.LengthInt() == 0 {
		return config
	}
	priors := prior.AsValueSlice()
	var out []cty.Value
	for i, cv := range config.AsValueSlice() {
		if i < len(priors) {
			cv = proposedNew(s, priors[i], cv)
		}
		out = append(out, cv)
	}
	return cty.ListVal(out)
}

func mergeMap(s *blockSchema, prior, config cty.Value) cty.Value {
	if config.IsNull() || !config.IsKnown() || prior.IsNull() || !prior.IsKnown() || config.LengthInt() == 0 {
		return config
	}
	priors := prior.AsValueMap()
	out := map[string]cty.Value{}
	for k, cv := range config.AsValueMap() {
		if pv, ok := priors[k]; ok {
			cv = proposedNew(s, pv, cv)
		}
		out[k] = cv
	}
	return cty.MapVal(out)
}

// schemaCache holds the provider's resource and data source schemas, from
// GetSchema. Data sources are keyed with a "data." prefix (a resource and a
// data source may share a type name, e.g. aws_ami).
type schemaCache struct {
	mu        sync.Mutex
	raw       map[string]*proto.Schema_Block
	converted map[string]*blockSchema
}

const dataSourcePrefix = "data."

func (c *schemaCache) store(resp *proto.GetProviderSchema_Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw = map[string]*proto.Schema_Block{}
	c.converted = map[string]*blockSchema{}
	for name, s := range resp.ResourceSchemas {
		if s != nil {
			c.raw[name] = s.Block
		}
	}
	for name, s := range resp.DataSourceSchemas {
		if s != nil {
			c.raw[dataSourcePrefix+name] = s.Block
		}
	}
}

func (c *schemaCache) get(typeName string) (*blockSchema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.converted[typeName]; ok {
		return s, nil
	}
	raw, ok := c.raw[typeName]
	if !ok {
		return nil, fmt.Errorf("no schema for %s", typeName)
	}
	s, err := convertBlock(raw)
	if err != nil {
		return nil, err
	}
	c.converted[typeName] = s
	return s, nil
}

// fillEmptyCollections gives computed list, set and map attributes that are
// null in a prior state an empty value. Pulumi's state does not keep the
// difference between an empty and a missing collection, so the shim hands
// back null where Terraform's state held an empty one; an SDKv2 resource then
// plans such an attribute (aws_security_group's egress/ingress after their
// rules moved to separate resources, aws_iam_role's managed_policy_arns) as
// unknown, that is, as a change. Only top-level attributes are filled.
func fillEmptyCollections(s *blockSchema, v cty.Value) cty.Value {
	if v.IsNull() || !v.IsKnown() {
		return v
	}
	vals := v.AsValueMap()
	if vals == nil {
		return v
	}
	for name, a := range s.attrs {
		if av := vals[name]; a.computed && av.IsNull() {
			if empty, ok := emptyCollection(a.ty); ok {
				vals[name] = empty
			}
		}
	}
	return cty.ObjectVal(vals)
}

func emptyCollection(ty cty.Type) (cty.Value, bool) {
	switch {
	case ty.IsListType():
		return cty.ListValEmpty(ty.ElementType()), true
	case ty.IsSetType():
		return cty.SetValEmpty(ty.ElementType()), true
	case ty.IsMapType():
		return cty.MapValEmpty(ty.ElementType()), true
	}
	return cty.NilVal, false
}

// normalizeBlocks gives list, set and map blocks that are null an empty
// value, at every depth. Terraform never sends an absent block as null (only
// single blocks are null); the shim does, and the provider can crash on it:
// aws_lb_listener reads default_action[0].forward from the raw configuration
// with LengthInt, which panics on null ("value is null").
func normalizeBlocks(s *blockSchema, v cty.Value) cty.Value {
	if v.IsNull() || !v.IsKnown() || len(s.children) == 0 {
		return v
	}
	vals := v.AsValueMap()
	if vals == nil {
		return v
	}
	for name, c := range s.children {
		bv := vals[name]
		if !bv.IsKnown() {
			continue
		}
		switch c.nesting {
		case proto.Schema_NestedBlock_SINGLE, proto.Schema_NestedBlock_GROUP:
			vals[name] = normalizeBlocks(c.block, bv)
		case proto.Schema_NestedBlock_LIST:
			if bv.IsNull() {
				vals[name] = cty.ListValEmpty(c.block.ty)
			} else if bv.LengthInt() > 0 {
				var elems []cty.Value
				for _, e := range bv.AsValueSlice() {
					elems = append(elems, normalizeBlocks(c.block, e))
				}
				vals[name] = cty.ListVal(elems)
			}
		case proto.Schema_NestedBlock_SET:
			if bv.IsNull() {
				vals[name] = cty.SetValEmpty(c.block.ty)
			} else if bv.LengthInt() > 0 && bv.IsWhollyKnown() {
				var elems []cty.Value
				for _, e := range bv.AsValueSlice() {
					elems = append(elems, normalizeBlocks(c.block, e))
				}
				vals[name] = cty.SetVal(elems)
			}
		case proto.Schema_NestedBlock_MAP:
			if bv.IsNull() {
				vals[name] = cty.MapValEmpty(c.block.ty)
			} else if bv.LengthInt() > 0 {
				elems := map[string]cty.Value{}
				for k, e := range bv.AsValueMap() {
					elems[k] = normalizeBlocks(c.block, e)
				}
				vals[name] = cty.MapVal(elems)
			}
		}
	}
	return cty.ObjectVal(vals)
}

// restoreNulls undoes fillEmptyCollections and normalizeBlocks in a planned
// state: where the shim's prior state had null and the plan has an empty
// collection or block list, the planned value goes back to null, so the shim
// (which compares the plan with its own prior state) sees no change. It
// follows single blocks, and list blocks element by element.
func restoreNulls(s *blockSchema, shimPrior, planned cty.Value) cty.Value {
	if shimPrior.IsNull() || !shimPrior.IsKnown() || planned.IsNull() || !planned.IsKnown() {
		return planned
	}
	vals := planned.AsValueMap()
	if vals == nil {
		return planned
	}
	emptyAndKnown := func(v cty.Value) bool { return !v.IsNull() && v.IsKnown() && v.LengthInt() == 0 }
	for name, a := range s.attrs {
		if _, ok := emptyCollection(a.ty); ok && a.computed && shimPrior.GetAttr(name).IsNull() && emptyAndKnown(vals[name]) {
			vals[name] = cty.NullVal(a.ty)
		}
	}
	for name, c := range s.children {
		pv, nv := shimPrior.GetAttr(name), vals[name]
		switch c.nesting {
		case proto.Schema_NestedBlock_SINGLE, proto.Schema_NestedBlock_GROUP:
			vals[name] = restoreNulls(c.block, pv, nv)
		case proto.Schema_NestedBlock_LIST, proto.Schema_NestedBlock_SET, proto.Schema_NestedBlock_MAP:
			if pv.IsNull() && emptyAndKnown(nv) {
				vals[name] = cty.NullVal(nv.Type())
				continue
			}
			if c.nesting != proto.Schema_NestedBlock_LIST || pv.IsNull() || !pv.IsKnown() ||
				nv.IsNull() || !nv.IsKnown() || pv.LengthInt() != nv.LengthInt() || nv.LengthInt() == 0 {
				continue
			}
			priors, elems := pv.AsValueSlice(), nv.AsValueSlice()
			for i := range elems {
				elems[i] = restoreNulls(c.block, priors[i], elems[i])
			}
			vals[name] = cty.ListVal(elems)
		}
	}
	return cty.ObjectVal(vals)
}

// decode and encode convert between MessagePack and cty with the schema of
// typeName.
func (c *schemaCache) decode(typeName string, raw []byte) (*blockSchema, cty.Value, error) {
	s, err := c.get(typeName)
	if err != nil {
		return nil, cty.NilVal, err
	}
	v, err := msgpack.Unmarshal(raw, s.ty)
	if err != nil {
		return nil, cty.NilVal, fmt.Errorf("decoding a %s value: %w", typeName, err)
	}
	return s, v, nil
}

func encode(s *blockSchema, v cty.Value) ([]byte, error) { return msgpack.Marshal(v, s.ty) }

// normalizeConfig is normalizeBlocks on MessagePack.
func (c *schemaCache) normalizeConfig(typeName string, raw []byte) ([]byte, error) {
	s, v, err := c.decode(typeName, raw)
	if err != nil {
		return nil, err
	}
	return encode(s, normalizeBlocks(s, v))
}

// normalizeState is normalizeBlocks and fillEmptyCollections on MessagePack:
// a state as Terraform would have kept it.
func (c *schemaCache) normalizeState(typeName string, raw []byte) ([]byte, error) {
	s, v, err := c.decode(typeName, raw)
	if err != nil {
		return nil, err
	}
	return encode(s, fillEmptyCollections(s, normalizeBlocks(s, v)))
}

// proposed is Terraform's ProposedNewState for a (normalized) prior state and
// configuration, on MessagePack.
func (c *schemaCache) proposed(typeName string, prior, config []byte) ([]byte, error) {
	s, pv, err := c.decode(typeName, prior)
	if err != nil {
		return nil, err
	}
	_, cv, err := c.decode(typeName, config)
	if err != nil {
		return nil, err
	}
	return encode(s, proposedNew(s, pv, cv))
}

// restorePlanned applies restoreNulls to MessagePack values.
func (c *schemaCache) restorePlanned(typeName string, shimPrior, planned []byte) ([]byte, error) {
	s, pv, err := c.decode(typeName, shimPrior)
	if err != nil {
		return nil, err
	}
	_, nv, err := c.decode(typeName, planned)
	if err != nil {
		return nil, err
	}
	return encode(s, restoreNulls(s, pv, nv))
}
