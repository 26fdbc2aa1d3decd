package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

// fixingClient wraps the generated tfplugin5 ProviderClient that talks to the
// Terraform AWS provider and closes these gaps of the bridge's tfplugin5 shim
// (v3.101.0), so that the shim's code can stay as it is:
//
//  1. PlanResourceChange may answer an empty PlannedPrivate, which the shim
//     feeds to json.Unmarshal ("unexpected end of JSON input"): it is
//     replaced by an empty JSON object.
//  2. The shim drops the error diagnostics of PlanResourceChange and
//     ReadDataSource, and loses those of ApplyResourceChange when the
//     provider returns no new state: such diagnostics become a Go error.
//  3. On create the shim sends, as the prior state, an object whose
//     attributes are all null instead of a null object. SDKv2 resources don't
//     mind; Plugin Framework resources (aws_vpc_security_group_ingress_rule,
//     ...) then plan and apply an update of a resource that does not exist.
//     Such a prior state is replaced by a null value.
//  4. The shim sends the raw configuration as the proposed new state;
//     Terraform merges the prior state into it first. The prior state comes
//     back from Pulumi's state with null where Terraform had an empty
//     collection. And absent list/set blocks are null in the shim's
//     configuration, where Terraform sends them empty (the provider can
//     panic on that). All three are put right here (see proposed.go), and
//     the plan is mapped back to the shim's own terms, so computed
//     attributes don't show as changes on a second preview.
//  5. For the same reason the shim's prior state has null collections
//     inside rules (aws_security_group ingress/egress), which the shim's
//     differ panics on when the plan has the provider's []: they are put
//     back in UpgradeResourceState (nestedempty.go).
type fixingClient struct {
	proto.ProviderClient
	schemas *schemaCache
}

func newFixingClient(c proto.ProviderClient) fixingClient {
	return fixingClient{ProviderClient: c, schemas: &schemaCache{}}
}

func (c fixingClient) GetSchema(ctx context.Context, in *proto.GetProviderSchema_Request,
	opts ...grpc.CallOption,
) (*proto.GetProviderSchema_Response, error) {
	resp, err := c.ProviderClient.GetSchema(ctx, in, opts...)
	if err == nil && resp != nil && c.schemas != nil {
		c.schemas.store(resp)
	}
	return resp, err
}

func (c fixingClient) PlanResourceChange(ctx context.Context, in *proto.PlanResourceChange_Request,
	opts ...grpc.CallOption,
) (*proto.PlanResourceChange_Response, error) {
	if in.PriorState != nil && isAllNullObject(in.PriorState.Msgpack) {
		in.PriorState = &proto.DynamicValue{Msgpack: msgpackNil}
	}
	var shimPrior []byte
	if c.schemas != nil {
		var err error
		if shimPrior, err = c.normalizePlanRequest(in); err != nil {
			return nil, fmt.Errorf("emulator plugin: preparing the plan of %s: %w", in.TypeName, err)
		}
	}
	if in.PriorState != nil && in.ProposedNewState != nil {
		c.trace(in.TypeName, "prior", in.PriorState.Msgpack)
		c.trace(in.TypeName, "proposed", in.ProposedNewState.Msgpack)
	}
	resp, err := c.ProviderClient.PlanResourceChange(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if resp.PlannedState != nil {
		c.trace(in.TypeName, "planned", resp.PlannedState.Msgpack)
	}
	if err := diagnosticsError("plan "+in.TypeName, resp.Diagnostics); err != nil {
		return nil, err
	}
	if len(resp.PlannedPrivate) == 0 {
		resp.PlannedPrivate = []byte("{}")
	}
	if shimPrior != nil && resp.PlannedState != nil && len(resp.PlannedState.Msgpack) > 0 {
		planned, err := c.schemas.restorePlanned(in.TypeName, shimPrior, resp.PlannedState.Msgpack)
		if err != nil {
			return nil, fmt.Errorf("emulator plugin: restoring the plan of %s: %w", in.TypeName, err)
		}
		resp.PlannedState = &proto.DynamicValue{Msgpack: planned}
	}
	return resp, nil
}

// isNull reports whether a DynamicValue is absent or MessagePack nil.
func isNull(v *proto.DynamicValue) bool {
	return v == nil || len(v.Msgpack) == 0 || v.Msgpack[0] == msgpackNil[0]
}

// normalizePlanRequest rewrites a plan request into what Terraform would
// send: configuration with empty (not null) blocks, the prior state as
// Terraform keeps it, and the proposed new state merged from both. It
// returns the shim's own prior state (nil on create), to map the plan back.
func (c fixingClient) normalizePlanRequest(in *proto.PlanResourceChange_Request) ([]byte, error) {
	if isNull(in.Config) {
		return nil, nil
	}
	config, err := c.schemas.normalizeConfig(in.TypeName, in.Config.Msgpack)
	if err != nil {
		return nil, err
	}
	in.Config = &proto.DynamicValue{Msgpack: config}
	if isNull(in.PriorState) {
		in.ProposedNewState = &proto.DynamicValue{Msgpack: config}
		return nil, nil
	}
	shimPrior := in.PriorState.Msgpack
	prior, err := c.schemas.normalizeState(in.TypeName, shimPrior)
	if err != nil {
		return nil, err
	}
	proposed, err := c.schemas.proposed(in.TypeName, prior, config)
	if err != nil {
		return nil, err
	}
	in.PriorState = &proto.DynamicValue{Msgpack: prior}
	in.ProposedNewState = &proto.DynamicValue{Msgpack: proposed}
	return shimPrior, nil
}

func (c fixingClient) ApplyResourceChange(ctx context.Context, in *proto.ApplyResourceChange_Request,
	opts ...grpc.CallOption,
) (*proto.ApplyResourceChange_Response, error) {
	if in.PriorState != nil && isAllNullObject(in.PriorState.Msgpack) {
		in.PriorState = &proto.DynamicValue{Msgpack: msgpackNil}
	}
	if c.schemas != nil {
		// The same normalization as for the plan, so that the provider
		// applies the plan it made.
		for _, v := range []**proto.DynamicValue{&in.PriorState, &in.PlannedState} {
			if isNull(*v) {
				continue
			}
			norm, err := c.schemas.normalizeState(in.TypeName, (*v).Msgpack)
			if err != nil {
				return nil, fmt.Errorf("emulator plugin: preparing the apply of %s: %w", in.TypeName, err)
			}
			*v = &proto.DynamicValue{Msgpack: norm}
		}
		if !isNull(in.Config) {
			norm, err := c.schemas.normalizeConfig(in.TypeName, in.Config.Msgpack)
			if err != nil {
				return nil, fmt.Errorf("emulator plugin: preparing the apply of %s: %w", in.TypeName, err)
			}
			in.Config = &proto.DynamicValue{Msgpack: norm}
		}
	}
	resp, err := c.ProviderClient.ApplyResourceChange(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	// With a new state the shim reports the diagnostics itself (and keeps
	// the partial state); without one it would fail on decoding and lose them.
	if resp.NewState == nil || len(resp.NewState.Msgpack) == 0 {
		if err := diagnosticsError("apply "+in.TypeName, resp.Diagnostics); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func (c fixingClient) ReadDataSource(ctx context.Context, in *proto.ReadDataSource_Request,
	opts ...grpc.CallOption,
) (*proto.ReadDataSource_Response, error) {
	if c.schemas != nil && !isNull(in.Config) {
		norm, err := c.schemas.normalizeConfig(dataSourcePrefix+in.TypeName, in.Config.Msgpack)
		if err != nil {
			return nil, fmt.Errorf("emulator plugin: preparing data source %s: %w", in.TypeName, err)
		}
		in.Config = &proto.DynamicValue{Msgpack: norm}
	}
	resp, err := c.ProviderClient.ReadDataSource(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if err := diagnosticsError("read data source "+in.TypeName, resp.Diagnostics); err != nil {
		return nil, err
	}
	return resp, nil
}

func (c fixingClient) ReadResource(ctx context.Context, in *proto.ReadResource_Request,
	opts ...grpc.CallOption,
) (*proto.ReadResource_Response, error) {
	resp, err := c.ProviderClient.ReadResource(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if resp.NewState == nil || len(resp.NewState.Msgpack) == 0 {
		if err := diagnosticsError("read "+in.TypeName, resp.Diagnostics); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// msgpackNil is the MessagePack encoding of nil, i.e. a null cty value.
var msgpackNil = []byte{0xc0}

// diagnosticsError joins the error diagnostics into one error, or returns nil.
func diagnosticsError(op string, diags []*proto.Diagnostic) error {
	var msgs []string
	for _, d := range diags {
		if d == nil || d.Severity != proto.Diagnostic_ERROR {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if p := attributePath(d.Attribute); p != "" {
			msg += " (at " + p + ")"
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("terraform-provider-aws %s: %s", op, strings.Join(msgs, "; "))
}

func attributePath(p *proto.AttributePath) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	for _, s := range p.Steps {
		switch sel := s.Selector.(type) {
		case *proto.AttributePath_Step_AttributeName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(sel.AttributeName)
		case *proto.AttributePath_Step_ElementKeyString:
			fmt.Fprintf(&b, "[%q]", sel.ElementKeyString)
		case *proto.AttributePath_Step_ElementKeyInt:
			fmt.Fprintf(&b, "[%d]", sel.ElementKeyInt)
		}
	}
	return b.String()
}

var errShort = errors.New("short msgpack")

// isAllNullObject reports whether b is the MessagePack encoding of a
// non-empty object (a map with string keys) whose every value is nil. That is
// what the shim sends as "no prior state"; a real state always has at least
// its id set.
func isAllNullObject(b []byte) bool {
	n, rest, err := readMapHeader(b)
	if err != nil || n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		rest, err = skipString(rest)
		if err != nil || len(rest) == 0 || rest[0] != 0xc0 {
			return false
		}
		rest = rest[1:]
	}
	return len(rest) == 0
}

func readMapHeader(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errShort
	}
	switch t := b[0]; {
	case t >= 0x80 && t <= 0x8f:
		return int(t & 0x0f), b[1:], nil
	case t == 0xde:
		if len(b) < 3 {
			return 0, nil, errShort
		}
		return int(binary.BigEndian.Uint16(b[1:3])), b[3:], nil
	case t == 0xdf:
		if len(b) < 5 {
			return 0, nil, errShort
		}
		return int(binary.BigEndian.Uint32(b[1:5])), b[5:], nil
	}
	return 0, nil, errors.New("not a msgpack map")
}

func skipString(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errShort
	}
	var n, hdr int
	switch t := b[0]; {
	case t >= 0xa0 && t <= 0xbf:
		n, hdr = int(t&0x1f), 1
	case t == 0xd9 && len(b) >= 2:
		n, hdr = int(b[1]), 2
	case t == 0xda && len(b) >= 3:
		n, hdr = int(binary.BigEndian.Uint16(b[1:3])), 3
	case t == 0xdb && len(b) >= 5:
		n, hdr = int(binary.BigEndian.Uint32(b[1:5])), 5
	default:
		return nil, errors.New("not a msgpack string")
	}
	if len(b) < hdr+n {
		return nil, errShort
	}
	return b[hdr+n:], nil
}
