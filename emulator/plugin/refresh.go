package main

import (
	"context"
	"sort"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// defaultsKey is the bridge's input key listing the properties that Check
// filled in from defaults.
const defaultsKey = "__defaults"

// sigKey marks Pulumi's special objects in a property struct (secrets,
// assets, archives, resource references): they are compared whole, never
// merged key by key.
const sigKey = "4dabf18193072939515e22adb298388d"

// refreshServer wraps the bridge's resource provider server and corrects the
// inputs that Read returns on a refresh.
//
// Bridge v3.101.0 extracts a refresh's inputs from the read outputs: every
// input that is also in the new state takes the state's value, except where
// the Terraform schema has a StateFunc. Over the tfplugin5 shim the schema
// comes from gRPC and no StateFunc survives, so an input that the provider
// stores transformed (aws_instance user_data, kept as its SHA1 hash) was
// rewritten from the program's value to the state's: the refresh reported
// "~ userData" although nothing had changed, and the next plan diffed the
// program's script against the hash. pulumi-aws (a newer bridge) keeps the
// old inputs when the outputs did not change; keepUnchangedInputs does the
// same here, for every property.
type refreshServer struct {
	pulumirpc.ResourceProviderServer
}

// Read is the bridge's Read with keepUnchangedInputs applied to its answer.
func (s refreshServer) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	resp, err := s.ResourceProviderServer.Read(ctx, req)
	if err != nil || resp == nil {
		return resp, err
	}
	keepUnchangedInputs(req, resp)
	return resp, nil
}

// keepUnchangedInputs rewrites resp.Inputs of a refresh (a Read with a prior
// state): each old input whose property has the same value in the new state
// as in the old one is kept as it was; elsewhere the bridge's extracted value
// stands. Objects (maps and single nested blocks) are compared key by key;
// lists, sets, secrets, assets and archives as a whole. Imports and gets (no prior state), and resources
// that are gone (no id), are left alone.
func keepUnchangedInputs(req *pulumirpc.ReadRequest, resp *pulumirpc.ReadResponse) {
	if len(req.GetProperties().GetFields()) == 0 || req.GetInputs() == nil || resp.GetId() == "" {
		return
	}
	if resp.Inputs == nil {
		resp.Inputs = &structpb.Struct{}
	}
	if resp.Inputs.Fields == nil {
		resp.Inputs.Fields = map[string]*structpb.Value{}
	}
	mergeFields(req.GetInputs().GetFields(), req.GetProperties().GetFields(),
		resp.GetProperties().GetFields(), resp.Inputs.Fields)
}

// mergeFields updates newIn (the bridge's extracted inputs) in place from
// oldIn, where the state (oldSt → newSt) did not change.
func mergeFields(oldIn, oldSt, newSt, newIn map[string]*structpb.Value) {
	kept := map[string]bool{}
	for k, in := range oldIn {
		if k == defaultsKey {
			continue
		}
		if v, ok := mergeValue(in, oldSt[k], newSt[k], newIn[k]); ok {
			newIn[k] = v
			kept[k] = true
		} else {
			delete(newIn, k)
		}
	}
	// A kept input that Check had filled in from a default stays listed as one.
	oldDefaults, newDefaults := oldIn[defaultsKey].GetListValue(), newIn[defaultsKey].GetListValue()
	if oldDefaults == nil || newDefaults == nil {
		return
	}
	have := map[string]bool{}
	for _, v := range newDefaults.GetValues() {
		have[v.GetStringValue()] = true
	}
	var names []string
	for name := range have {
		names = append(names, name)
	}
	added := false
	for _, v := range oldDefaults.GetValues() {
		if name := v.GetStringValue(); kept[name] && !have[name] {
			names, have[name], added = append(names, name), true, true
		}
	}
	if !added {
		return
	}
	sort.Strings(names)
	list := &structpb.ListValue{}
	for _, name := range names {
		list.Values = append(list.Values, structpb.NewStringValue(name))
	}
	newIn[defaultsKey] = structpb.NewListValue(list)
}

// mergeValue returns the input for one property: oldIn when its state did not
// change, a key-by-key merge when all four are objects, else newIn; ok is
// false when the property has no input (the bridge dropped it and it is not
// kept).
func mergeValue(oldIn, oldSt, newSt, newIn *structpb.Value) (*structpb.Value, bool) {
	if sameValue(oldSt, newSt) {
		return oldIn, true
	}
	oi, os, ns, ni := oldIn.GetStructValue(), oldSt.GetStructValue(), newSt.GetStructValue(), newIn.GetStructValue()
	if oi != nil && os != nil && ns != nil && ni != nil && !special(oi, os, ns, ni) {
		merged := proto.Clone(ni).(*structpb.Struct)
		if merged.Fields == nil {
			merged.Fields = map[string]*structpb.Value{}
		}
		mergeFields(oi.GetFields(), os.GetFields(), ns.GetFields(), merged.Fields)
		return structpb.NewStructValue(merged), true
	}
	return newIn, newIn != nil
}

// special reports whether any of the objects is a secret, asset, archive or
// resource reference.
func special(objs ...*structpb.Struct) bool {
	for _, o := range objs {
		if _, ok := o.GetFields()[sigKey]; ok {
			return true
		}
	}
	return false
}

// sameValue reports whether two state values are equal, absent ones included.
func sameValue(a, b *structpb.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return proto.Equal(a, b)
}
