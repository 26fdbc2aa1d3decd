package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-cty/cty"
	ctyjson "github.com/hashicorp/go-cty/cty/json"
	"github.com/hashicorp/go-cty/cty/msgpack"
	"google.golang.org/grpc"

	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

// securityGroupProvider stands in for the Terraform provider with a cut-down
// aws_security_group: inline ingress/egress rules as an optional+computed set
// attribute, and tags. Like the SDKv2 provider it keeps the nulls of
// UpgradeResourceState's RawState, answers a plan without changes with the
// prior state, and otherwise plans the rules as it writes them: every list
// and set of a rule present, [] when empty.
type securityGroupProvider struct {
	proto.ProviderClient
}

const sgType = "aws_security_group"

var (
	sgRuleTy = cty.Object(map[string]cty.Type{
		"cidr_blocks":      cty.List(cty.String),
		"description":      cty.String,
		"from_port":        cty.Number,
		"ipv6_cidr_blocks": cty.List(cty.String),
		"prefix_list_ids":  cty.List(cty.String),
		"protocol":         cty.String,
		"security_groups":  cty.Set(cty.String),
		"self":             cty.Bool,
		"to_port":          cty.Number,
	})
	sgTy = cty.Object(map[string]cty.Type{
		"id":       cty.String,
		"name":     cty.String,
		"tags":     cty.Map(cty.String),
		"tags_all": cty.Map(cty.String),
		"ingress":  cty.Set(sgRuleTy),
		"egress":   cty.Set(sgRuleTy),
	})
)

func (f *securityGroupProvider) GetSchema(context.Context, *proto.GetProviderSchema_Request,
	...grpc.CallOption,
) (*proto.GetProviderSchema_Response, error) {
	ruleSet, err := ctyjson.MarshalType(cty.Set(sgRuleTy))
	if err != nil {
		return nil, err
	}
	attr := func(name, ty string, optional, computed bool) *proto.Schema_Attribute {
		return &proto.Schema_Attribute{Name: name, Type: []byte(ty), Optional: optional, Computed: computed}
	}
	return &proto.GetProviderSchema_Response{
		Provider: &proto.Schema{Block: &proto.Schema_Block{}},
		ResourceSchemas: map[string]*proto.Schema{sgType: {Version: 1, Block: &proto.Schema_Block{
			Attributes: []*proto.Schema_Attribute{
				attr("id", `"string"`, true, true),
				attr("name", `"string"`, true, true),
				attr("tags", `["map","string"]`, true, false),
				attr("tags_all", `["map","string"]`, true, true),
				attr("ingress", string(ruleSet), true, true),
				attr("egress", string(ruleSet), true, true),
			},
		}}},
	}, nil
}

func (f *securityGroupProvider) UpgradeResourceState(_ context.Context, in *proto.UpgradeResourceState_Request,
	_ ...grpc.CallOption,
) (*proto.UpgradeResourceState_Response, error) {
	return upgradedAs(in.RawState.Json, sgTy)
}

func (f *securityGroupProvider) PlanResourceChange(_ context.Context, in *proto.PlanResourceChange_Request,
	_ ...grpc.CallOption,
) (*proto.PlanResourceChange_Response, error) {
	prior, err := msgpack.Unmarshal(in.PriorState.Msgpack, sgTy)
	if err != nil {
		return nil, err
	}
	proposed, err := msgpack.Unmarshal(in.ProposedNewState.Msgpack, sgTy)
	if err != nil {
		return nil, err
	}
	if proposed.RawEquals(prior) {
		return &proto.PlanResourceChange_Response{PlannedState: in.PriorState}, nil
	}
	vals := proposed.AsValueMap()
	vals["tags_all"] = vals["tags"]
	for _, name := range []string{"ingress", "egress"} {
		rules := vals[name]
		if rules.IsNull() || rules.LengthInt() == 0 {
			continue
		}
		var written []cty.Value
		for _, r := range rules.AsValueSlice() {
			rv := r.AsValueMap()
			for _, k := range []string{"cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"} {
				if rv[k].IsNull() {
					rv[k] = cty.ListValEmpty(cty.String)
				}
			}
			if rv["security_groups"].IsNull() {
				rv["security_groups"] = cty.SetValEmpty(cty.String)
			}
			written = append(written, cty.ObjectVal(rv))
		}
		vals[name] = cty.SetVal(written)
	}
	b, err := msgpack.Marshal(cty.ObjectVal(vals), sgTy)
	return &proto.PlanResourceChange_Response{PlannedState: &proto.DynamicValue{Msgpack: b}}, err
}

func (f *securityGroupProvider) ApplyResourceChange(_ context.Context, in *proto.ApplyResourceChange_Request,
	_ ...grpc.CallOption,
) (*proto.ApplyResourceChange_Response, error) {
	return &proto.ApplyResourceChange_Response{NewState: in.PlannedState}, nil
}

// sgRule is a rule as the bridge builds it from Pulumi's state: the empty
// lists the provider wrote ([]) come back as nil.
func sgRule(desc string, port int, cidrs, groups []interface{}) map[string]interface{} {
	return map[string]interface{}{
		"cidr_blocks": cidrs, "description": desc, "from_port": port, "to_port": port,
		"ipv6_cidr_blocks": nil, "prefix_list_ids": nil, "protocol": "tcp",
		"security_groups": groups, "self": false,
	}
}

var (
	sshRule   = sgRule("SSH from admin CIDR", 22, []interface{}{"203.0.113.0/24"}, nil)
	httpsRule = sgRule("HTTPS from the client", 443, nil, []interface{}{"sg-client"})
	egress    = sgRule("SSH to the private instances", 22, []interface{}{"10.2.0.0/16"}, nil)
)

// sgState is the shim state the bridge's Update hands to Diff and then to
// Apply.
func sgState(t *testing.T, prov shim.Provider) shim.InstanceState {
	t.Helper()
	s, err := prov.ResourcesMap().Get(sgType).InstanceState("sg-1", map[string]interface{}{
		"name":     "foo-bastion",
		"tags":     map[string]interface{}{"Name": "foo-bastion"},
		"tags_all": map[string]interface{}{"Name": "foo-bastion"},
		"ingress":  []interface{}{sshRule, httpsRule},
		"egress":   []interface{}{egress},
	}, map[string]interface{}{"schema_version": "1"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var newTags = map[string]interface{}{"Name": "foo-bastion", "internal-alb:stack": "internal-alb/dev"}

// updateSG runs Diff and then Apply of config on one state, as the bridge's
// Update does, and returns the diff's attributes and the new state's object.
func updateSG(t *testing.T, prov shim.Provider, config map[string]interface{},
) (map[string]shim.ResourceAttrDiff, map[string]interface{}) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("update panicked (the plugin would die): %v", r)
		}
	}()
	ctx := context.Background()
	state := sgState(t, prov)
	diff, err := prov.Diff(ctx, sgType, state, prov.NewResourceConfig(ctx, config), shim.DiffOptions{})
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	if diff == nil || diff.HasNoChanges() {
		t.Fatal("diff shows no change")
	}
	newState, err := prov.Apply(ctx, sgType, state, diff)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	obj, err := newState.Object(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The shim's diff lists its attributes; the interface has no method for it.
	withAttrs, ok := diff.(interface {
		Attributes() map[string]shim.ResourceAttrDiff
	})
	if !ok {
		t.Fatalf("the shim's diff %T does not list its attributes", diff)
	}
	return withAttrs.Attributes(), obj
}

// ruleDescriptions returns the descriptions of the rules in the new state's
// set v.
func ruleDescriptions(t *testing.T, prov shim.Provider, v interface{}) []string {
	t.Helper()
	rules, ok := prov.IsSet(context.Background(), v)
	if !ok {
		t.Fatalf("rules %#v are not a set", v)
	}
	var out []string
	for _, r := range rules {
		out = append(out, fmt.Sprint(r.(map[string]interface{})["description"]))
	}
	return out
}

// TestUpdateSecurityGroupWithRules is the in-place update of an
// aws_security_group with inline rules that killed the plugin ("panic: value
// is null" in the shim's differ): a tags-only update, and the removal of a
// rule.
func TestUpdateSecurityGroupWithRules(t *testing.T) {
	ctx := context.Background()
	newProv := func(t *testing.T) shim.Provider {
		prov, err := newShimProvider(ctx, newFixingClient(&securityGroupProvider{}))
		if err != nil {
			t.Fatal(err)
		}
		return prov
	}

	t.Run("tags only", func(t *testing.T) {
		prov := newProv(t)
		attrs, obj := updateSG(t, prov, map[string]interface{}{"name": "foo-bastion", "tags": newTags})
		if _, ok := attrs["tags.internal-alb:stack"]; !ok {
			t.Errorf("diff %v lacks the new tag", attrs)
		}
		for k := range attrs {
			if strings.HasPrefix(k, "ingress") || strings.HasPrefix(k, "egress") {
				t.Errorf("tags-only diff changes %s: %+v", k, attrs[k])
			}
		}
		if tags, _ := obj["tags"].(map[string]interface{}); tags["internal-alb:stack"] != "internal-alb/dev" {
			t.Errorf("new state tags = %#v, want the new tag", obj["tags"])
		}
		if got := ruleDescriptions(t, prov, obj["ingress"]); len(got) != 2 {
			t.Errorf("new state ingress = %v, want the two rules", got)
		}
		if got := ruleDescriptions(t, prov, obj["egress"]); len(got) != 1 || got[0] != egress["description"] {
			t.Errorf("new state egress = %v, want [%s]", got, egress["description"])
		}
	})

	t.Run("a rule removed", func(t *testing.T) {
		prov := newProv(t)
		_, obj := updateSG(t, prov, map[string]interface{}{
			"name": "foo-bastion", "tags": newTags,
			"ingress": []interface{}{sshRule}, "egress": []interface{}{egress},
		})
		if got := ruleDescriptions(t, prov, obj["ingress"]); len(got) != 1 || got[0] != sshRule["description"] {
			t.Errorf("new state ingress = %v, want [%s]", got, sshRule["description"])
		}
	})

	// The gap itself, with every other fix of fixingClient in place: if
	// this stops panicking, a newer shim's differ takes null collections and
	// UpgradeResourceState's filling can go.
	t.Run("the shim's differ panics without the filling", func(t *testing.T) {
		fake := &securityGroupProvider{}
		prov, err := newShimProvider(ctx, noUpgradeFill{newFixingClient(fake), fake})
		if err != nil {
			t.Fatal(err)
		}
		var recovered interface{}
		func() {
			defer func() { recovered = recover() }()
			_, _ = prov.Diff(ctx, sgType, sgState(t, prov),
				prov.NewResourceConfig(ctx, map[string]interface{}{"name": "foo-bastion", "tags": newTags}),
				shim.DiffOptions{})
		}()
		if recovered == nil || !strings.Contains(fmt.Sprint(recovered), "value is null") {
			t.Errorf("Diff without the filling: recovered %v, want the differ's \"value is null\" panic", recovered)
		}
	})
}

// noUpgradeFill is fixingClient with the provider's own UpgradeResourceState.
type noUpgradeFill struct {
	fixingClient
	provider proto.ProviderClient
}

func (c noUpgradeFill) UpgradeResourceState(ctx context.Context, in *proto.UpgradeResourceState_Request,
	opts ...grpc.CallOption,
) (*proto.UpgradeResourceState_Response, error) {
	return c.provider.UpgradeResourceState(ctx, in, opts...)
}

func TestFillNestedEmptyCollections(t *testing.T) {
	inner := cty.Object(map[string]cty.Type{"ids": cty.List(cty.String), "opt": cty.Object(map[string]cty.Type{"x": cty.String})})
	s := &blockSchema{
		attrs: map[string]attrSchema{
			"top":   {ty: cty.List(cty.String)},
			"rules": {ty: cty.Set(inner)},
		},
		children: map[string]childBlock{"block": {nesting: proto.Schema_NestedBlock_LIST, block: &blockSchema{
			attrs: map[string]attrSchema{"rules": {ty: cty.List(inner)}, "plain": {ty: cty.List(cty.String)}},
		}}},
	}
	rule := cty.ObjectVal(map[string]cty.Value{"ids": cty.NullVal(cty.List(cty.String)), "opt": cty.NullVal(inner.AttributeType("opt"))})
	filledRule := cty.ObjectVal(map[string]cty.Value{"ids": cty.ListValEmpty(cty.String), "opt": cty.NullVal(inner.AttributeType("opt"))})
	in := cty.ObjectVal(map[string]cty.Value{
		"top":   cty.NullVal(cty.List(cty.String)),
		"rules": cty.SetVal([]cty.Value{rule}),
		"block": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"rules": cty.ListVal([]cty.Value{rule}),
			"plain": cty.NullVal(cty.List(cty.String)),
		})}),
	})
	want := cty.ObjectVal(map[string]cty.Value{
		"top":   cty.NullVal(cty.List(cty.String)),
		"rules": cty.SetVal([]cty.Value{filledRule}),
		"block": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"rules": cty.ListVal([]cty.Value{filledRule}),
			"plain": cty.NullVal(cty.List(cty.String)),
		})}),
	})
	if got := fillNestedEmptyCollections(s, in); !got.RawEquals(want) {
		t.Errorf("fillNestedEmptyCollections =\n%#v\nwant\n%#v", got, want)
	}
}
