package main

import (
	"context"
	"fmt"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// ignoreChangesServer wraps a provider server so that a resource's
// ignoreChanges works over the tfplugin5 shim, which refuses any Diff that
// carries one ("IgnoreChanges option is not yet supported"). The engine has
// already kept the old inputs for the ignored properties; what is left to
// the provider is to keep their prior state out of the plan, as Terraform's
// ignore_changes does: each ignored top-level property of the new inputs
// takes its value from the prior state, in Diff and in Update, and the
// request reaches the shim without the option. The private zone needs it:
// it keeps only the service VPC inline while associations add the others.
type ignoreChangesServer struct {
	pulumirpc.ResourceProviderServer
}

// Diff is the wrapped Diff with the ignored properties taken from the state.
func (s ignoreChangesServer) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if len(req.GetIgnoreChanges()) == 0 {
		return s.ResourceProviderServer.Diff(ctx, req)
	}
	r := proto.Clone(req).(*pulumirpc.DiffRequest)
	if err := keepPrior(r.GetOlds().GetFields(), r.GetNews().GetFields(), r.IgnoreChanges); err != nil {
		return nil, err
	}
	r.IgnoreChanges = nil
	return s.ResourceProviderServer.Diff(ctx, r)
}

// Update is the wrapped Update with the ignored properties taken from the state.
func (s ignoreChangesServer) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if len(req.GetIgnoreChanges()) == 0 {
		return s.ResourceProviderServer.Update(ctx, req)
	}
	r := proto.Clone(req).(*pulumirpc.UpdateRequest)
	if err := keepPrior(r.GetOlds().GetFields(), r.GetNews().GetFields(), r.IgnoreChanges); err != nil {
		return nil, err
	}
	r.IgnoreChanges = nil
	return s.ResourceProviderServer.Update(ctx, r)
}

// keepPrior sets each ignored property of news to its value in olds (or
// removes it when olds has none). Only top-level properties are supported:
// nothing in the program ignores a nested one.
func keepPrior(olds, news map[string]*structpb.Value, ignored []string) error {
	if news == nil {
		return fmt.Errorf("ignoreChanges %v: the request has no new inputs", ignored)
	}
	for _, p := range ignored {
		if strings.ContainsAny(p, ".[]\"") {
			return fmt.Errorf("ignoreChanges %q: the emulator's plugin supports top-level properties only", p)
		}
		if v, ok := olds[p]; ok {
			news[p] = v
		} else {
			delete(news, p)
		}
	}
	return nil
}
