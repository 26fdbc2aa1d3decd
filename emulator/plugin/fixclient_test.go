package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/go-cty/cty"
	"github.com/hashicorp/go-cty/cty/msgpack"
	"google.golang.org/grpc"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

func TestIsAllNullObject(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{
		"id":   cty.String,
		"port": cty.Number,
		"tags": cty.Map(cty.String),
		"rule": cty.List(cty.Object(map[string]cty.Type{"x": cty.String})),
	})
	allNull := cty.ObjectVal(map[string]cty.Value{
		"id":   cty.NullVal(cty.String),
		"port": cty.NullVal(cty.Number),
		"tags": cty.NullVal(cty.Map(cty.String)),
		"rule": cty.NullVal(cty.List(cty.Object(map[string]cty.Type{"x": cty.String}))),
	})
	withID := cty.ObjectVal(map[string]cty.Value{
		"id":   cty.StringVal("sgr-1"),
		"port": cty.NullVal(cty.Number),
		"tags": cty.NullVal(cty.Map(cty.String)),
		"rule": cty.NullVal(cty.List(cty.Object(map[string]cty.Type{"x": cty.String}))),
	})
	enc := func(v cty.Value) []byte {
		b, err := msgpack.Marshal(v, ty)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !isAllNullObject(enc(allNull)) {
		t.Error("an all-null object was not recognised")
	}
	if isAllNullObject(enc(withID)) {
		t.Error("an object with an id was taken for all-null")
	}
	if isAllNullObject(enc(cty.NullVal(ty))) {
		t.Error("a null value was taken for an all-null object")
	}
	// A wide object (map16 header) with long keys (str8).
	attrs, vals := map[string]cty.Type{}, map[string]cty.Value{}
	for i := 0; i < 40; i++ {
		k := strings.Repeat("k", 33) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		attrs[k], vals[k] = cty.String, cty.NullVal(cty.String)
	}
	wide, err := msgpack.Marshal(cty.ObjectVal(vals), cty.Object(attrs))
	if err != nil {
		t.Fatal(err)
	}
	if !isAllNullObject(wide) {
		t.Error("a wide all-null object was not recognised")
	}
}

// fakeClient records what fixingClient forwards and answers canned responses.
type fakeClient struct {
	proto.ProviderClient
	planReq  *proto.PlanResourceChange_Request
	planResp *proto.PlanResourceChange_Response
	applyReq *proto.ApplyResourceChange_Request
	apply    *proto.ApplyResourceChange_Response
}

func (f *fakeClient) PlanResourceChange(_ context.Context, in *proto.PlanResourceChange_Request,
	_ ...grpc.CallOption,
) (*proto.PlanResourceChange_Response, error) {
	f.planReq = in
	return f.planResp, nil
}

func (f *fakeClient) ApplyResourceChange(_ context.Context, in *proto.ApplyResourceChange_Request,
	_ ...grpc.CallOption,
) (*proto.ApplyResourceChange_Response, error) {
	f.applyReq = in
	return f.apply, nil
}

func TestFixingClient(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{"id": cty.String, "port": cty.Number})
	allNull, _ := msgpack.Marshal(cty.ObjectVal(map[string]cty.Value{
		"id": cty.NullVal(cty.String), "port": cty.NullVal(cty.Number),
	}), ty)
	planned, _ := msgpack.Marshal(cty.ObjectVal(map[string]cty.Value{
		"id": cty.UnknownVal(cty.String), "port": cty.NumberIntVal(80),
	}), ty)
	ctx := context.Background()

	t.Run("create sends a null prior state and gets a JSON private", func(t *testing.T) {
		f := &fakeClient{planResp: &proto.PlanResourceChange_Response{PlannedState: &proto.DynamicValue{Msgpack: planned}}}
		resp, err := fixingClient{ProviderClient: f}.PlanResourceChange(ctx, &proto.PlanResourceChange_Request{
			TypeName: "aws_vpc_security_group_ingress_rule", PriorState: &proto.DynamicValue{Msgpack: allNull},
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(f.planReq.PriorState.Msgpack) != string(msgpackNil) {
			t.Errorf("prior state forwarded as %x, want null", f.planReq.PriorState.Msgpack)
		}
		if string(resp.PlannedPrivate) != "{}" {
			t.Errorf("PlannedPrivate = %q, want {}", resp.PlannedPrivate)
		}
	})

	t.Run("plan error diagnostics become an error", func(t *testing.T) {
		f := &fakeClient{planResp: &proto.PlanResourceChange_Response{Diagnostics: []*proto.Diagnostic{
			{Severity: proto.Diagnostic_WARNING, Summary: "just a warning"},
			{Severity: proto.Diagnostic_ERROR, Summary: "Invalid combination", Detail: "one of `alias,records` must be specified"},
		}}}
		_, err := fixingClient{ProviderClient: f}.PlanResourceChange(ctx, &proto.PlanResourceChange_Request{TypeName: "aws_route53_record"})
		if err == nil || !strings.Contains(err.Error(), "alias,records") || strings.Contains(err.Error(), "warning") {
			t.Errorf("err = %v, want the error diagnostic only", err)
		}
	})

	t.Run("apply without new state reports its diagnostics", func(t *testing.T) {
		f := &fakeClient{apply: &proto.ApplyResourceChange_Response{Diagnostics: []*proto.Diagnostic{
			{Severity: proto.Diagnostic_ERROR, Summary: "creating ELBv2 Load Balancer", Detail: "boom"},
		}}}
		_, err := fixingClient{ProviderClient: f}.ApplyResourceChange(ctx, &proto.ApplyResourceChange_Request{
			TypeName: "aws_lb", PriorState: &proto.DynamicValue{Msgpack: allNull},
		})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Errorf("err = %v, want the diagnostic", err)
		}
		if string(f.applyReq.PriorState.Msgpack) != string(msgpackNil) {
			t.Errorf("apply prior state forwarded as %x, want null", f.applyReq.PriorState.Msgpack)
		}
	})

	t.Run("apply with new state passes through", func(t *testing.T) {
		f := &fakeClient{apply: &proto.ApplyResourceChange_Response{
			NewState:    &proto.DynamicValue{Msgpack: planned},
			Diagnostics: []*proto.Diagnostic{{Severity: proto.Diagnostic_ERROR, Summary: "partial"}},
		}}
		resp, err := fixingClient{ProviderClient: f}.ApplyResourceChange(ctx, &proto.ApplyResourceChange_Request{TypeName: "aws_lb"})
		if err != nil || resp == nil || len(resp.Diagnostics) != 1 {
			t.Errorf("resp = %v, err = %v; want the response untouched", resp, err)
		}
	})
}

func TestProposedNewKeepsComputed(t *testing.T) {
	s, err := convertBlock(&proto.Schema_Block{
		Attributes: []*proto.Schema_Attribute{
			{Name: "id", Type: []byte(`"string"`), Computed: true},
			{Name: "name", Type: []byte(`"string"`), Optional: true},
			{Name: "egress", Type: []byte(`["set",["object",{"cidr":"string"}]]`), Optional: true, Computed: true},
		},
		BlockTypes: []*proto.Schema_NestedBlock{{
			TypeName: "rule",
			Nesting:  proto.Schema_NestedBlock_LIST,
			Block: &proto.Schema_Block{Attributes: []*proto.Schema_Attribute{
				{Name: "cidr", Type: []byte(`"string"`), Optional: true},
				{Name: "id", Type: []byte(`"string"`), Computed: true},
			}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	egressTy := cty.Set(cty.Object(map[string]cty.Type{"cidr": cty.String}))
	egress := cty.SetVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"cidr": cty.StringVal("0.0.0.0/0")})})
	prior := cty.ObjectVal(map[string]cty.Value{
		"id": cty.StringVal("sg-1"), "name": cty.StringVal("a"), "egress": egress,
		"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"cidr": cty.StringVal("10.0.0.0/8"), "id": cty.StringVal("r-1"),
		})}),
	})
	config := cty.ObjectVal(map[string]cty.Value{
		"id": cty.NullVal(cty.String), "name": cty.StringVal("b"), "egress": cty.NullVal(egressTy),
		"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"cidr": cty.StringVal("10.0.0.0/8"), "id": cty.NullVal(cty.String),
		})}),
	})
	got := proposedNew(s, prior, config)
	want := cty.ObjectVal(map[string]cty.Value{
		"id": cty.StringVal("sg-1"), "name": cty.StringVal("b"), "egress": egress,
		"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"cidr": cty.StringVal("10.0.0.0/8"), "id": cty.StringVal("r-1"),
		})}),
	})
	if !got.RawEquals(want) {
		t.Errorf("proposedNew = %#v\nwant %#v", got, want)
	}
	if !proposedNew(s, cty.NullVal(s.ty), config).RawEquals(config) {
		t.Error("with no prior state the configuration must pass unchanged")
	}
}

func TestFillEmptyCollections(t *testing.T) {
	s, err := convertBlock(&proto.Schema_Block{Attributes: []*proto.Schema_Attribute{
		{Name: "id", Type: []byte(`"string"`), Computed: true},
		{Name: "egress", Type: []byte(`["set",["object",{"cidr":"string"}]]`), Optional: true, Computed: true},
		{Name: "policies", Type: []byte(`["set","string"]`), Optional: true, Computed: true},
		{Name: "tags", Type: []byte(`["map","string"]`), Optional: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	egressTy := cty.Set(cty.Object(map[string]cty.Type{"cidr": cty.String}))
	prior := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("sg-1"),
		"egress":   cty.NullVal(egressTy),
		"policies": cty.SetVal([]cty.Value{cty.StringVal("arn:p")}),
		"tags":     cty.NullVal(cty.Map(cty.String)),
	})
	got := fillEmptyCollections(s, prior)
	want := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("sg-1"),
		"egress":   cty.SetValEmpty(egressTy.ElementType()),
		"policies": cty.SetVal([]cty.Value{cty.StringVal("arn:p")}),
		"tags":     cty.NullVal(cty.Map(cty.String)), // not computed: stays null
	})
	if !got.RawEquals(want) {
		t.Errorf("fillEmptyCollections = %#v\nwant %#v", got, want)
	}
}

func TestRestoreNulls(t *testing.T) {
	s, err := convertBlock(&proto.Schema_Block{Attributes: []*proto.Schema_Attribute{
		{Name: "id", Type: []byte(`"string"`), Computed: true},
		{Name: "egress", Type: []byte(`["set","string"]`), Optional: true, Computed: true},
		{Name: "policies", Type: []byte(`["set","string"]`), Optional: true, Computed: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	shimPrior := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("sg-1"),
		"egress":   cty.NullVal(cty.Set(cty.String)),
		"policies": cty.NullVal(cty.Set(cty.String)),
	})
	planned := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("sg-1"),
		"egress":   cty.SetValEmpty(cty.String),                     // kept empty: back to null
		"policies": cty.SetVal([]cty.Value{cty.StringVal("arn:p")}), // a real change: kept
	})
	got := restoreNulls(s, shimPrior, planned)
	want := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("sg-1"),
		"egress":   cty.NullVal(cty.Set(cty.String)),
		"policies": cty.SetVal([]cty.Value{cty.StringVal("arn:p")}),
	})
	if !got.RawEquals(want) {
		t.Errorf("restoreNulls = %#v\nwant %#v", got, want)
	}
}

func TestNormalizeBlocks(t *testing.T) {
	s, err := convertBlock(&proto.Schema_Block{
		Attributes: []*proto.Schema_Attribute{{Name: "type", Type: []byte(`"string"`), Required: true}},
		BlockTypes: []*proto.Schema_NestedBlock{{
			TypeName: "default_action",
			Nesting:  proto.Schema_NestedBlock_LIST,
			Block: &proto.Schema_Block{
				Attributes: []*proto.Schema_Attribute{{Name: "type", Type: []byte(`"string"`), Required: true}},
				BlockTypes: []*proto.Schema_NestedBlock{
					{TypeName: "forward", Nesting: proto.Schema_NestedBlock_LIST, Block: &proto.Schema_Block{
						Attributes: []*proto.Schema_Attribute{{Name: "x", Type: []byte(`"string"`), Optional: true}},
					}},
					{TypeName: "tags", Nesting: proto.Schema_NestedBlock_SET, Block: &proto.Schema_Block{
						Attributes: []*proto.Schema_Attribute{{Name: "k", Type: []byte(`"string"`), Optional: true}},
					}},
				},
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	forwardTy := cty.Object(map[string]cty.Type{"x": cty.String})
	tagsTy := cty.Object(map[string]cty.Type{"k": cty.String})
	in := cty.ObjectVal(map[string]cty.Value{
		"type": cty.StringVal("listener"),
		"default_action": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"type":    cty.StringVal("forward"),
			"forward": cty.NullVal(cty.List(forwardTy)),
			"tags":    cty.NullVal(cty.Set(tagsTy)),
		})}),
	})
	want := cty.ObjectVal(map[string]cty.Value{
		"type": cty.StringVal("listener"),
		"default_action": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"type":    cty.StringVal("forward"),
			"forward": cty.ListValEmpty(forwardTy),
			"tags":    cty.SetValEmpty(tagsTy),
		})}),
	})
	got := normalizeBlocks(s, in)
	if !got.RawEquals(want) {
		t.Errorf("normalizeBlocks = %#v\nwant %#v", got, want)
	}
	// And the plan maps back to the shim's nulls.
	if back := restoreNulls(s, in, got); !back.RawEquals(in) {
		t.Errorf("restoreNulls = %#v\nwant %#v", back, in)
	}
	// A missing top-level list block becomes empty too.
	top := cty.ObjectVal(map[string]cty.Value{
		"type":           cty.StringVal("listener"),
		"default_action": cty.NullVal(s.ty.AttributeType("default_action")),
	})
	if got := normalizeBlocks(s, top).GetAttr("default_action"); got.IsNull() || got.LengthInt() != 0 {
		t.Errorf("top-level default_action = %#v, want an empty list", got)
	}
}
