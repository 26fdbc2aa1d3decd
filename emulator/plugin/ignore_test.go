package main

import (
	"context"
	"testing"

	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// recordingServer keeps the last Diff and Update it was sent.
type recordingServer struct {
	pulumirpc.UnimplementedResourceProviderServer
	diff   *pulumirpc.DiffRequest
	update *pulumirpc.UpdateRequest
}

func (r *recordingServer) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r.diff = req
	return &pulumirpc.DiffResponse{}, nil
}

func (r *recordingServer) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	r.update = req
	return &pulumirpc.UpdateResponse{}, nil
}

func ignoreStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The zone's case: the state lists three VPCs (two from associations), the
// program one; with vpcs ignored the shim sees the state's list and no
// option, in Diff and in Update, and the caller's request is left as it was.
func TestIgnoreChangesKeepsThePriorValue(t *testing.T) {
	rec := &recordingServer{}
	s := ignoreChangesServer{rec}
	olds := ignoreStruct(t, map[string]any{"name": "home", "vpcs": []any{"vpc-1", "vpc-2", "vpc-3"}, "comment": "old"})
	news := ignoreStruct(t, map[string]any{"name": "home", "vpcs": []any{"vpc-1"}, "comment": "new"})

	vpcs := func(s *structpb.Struct) int { return len(s.Fields["vpcs"].GetListValue().GetValues()) }

	if _, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Olds: olds, News: news, IgnoreChanges: []string{"vpcs"}}); err != nil {
		t.Fatal(err)
	}
	if len(rec.diff.IgnoreChanges) != 0 || vpcs(rec.diff.News) != 3 {
		t.Errorf("Diff reached the shim with ignoreChanges %v and %d VPCs, want none and the state's 3", rec.diff.IgnoreChanges, vpcs(rec.diff.News))
	}
	if got := rec.diff.News.Fields["comment"].GetStringValue(); got != "new" {
		t.Errorf("comment = %q: what is not ignored must still change", got)
	}
	if vpcs(news) != 1 {
		t.Error("the caller's request was modified")
	}

	if _, err := s.Update(context.Background(), &pulumirpc.UpdateRequest{Olds: olds, News: news, IgnoreChanges: []string{"vpcs"}}); err != nil {
		t.Fatal(err)
	}
	if len(rec.update.IgnoreChanges) != 0 || vpcs(rec.update.News) != 3 {
		t.Errorf("Update reached the shim with ignoreChanges %v and %d VPCs, want none and the state's 3", rec.update.IgnoreChanges, vpcs(rec.update.News))
	}

	_, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Olds: olds, News: news, IgnoreChanges: []string{"tags.Name"}})
	if err == nil || !strings.Contains(err.Error(), "top-level properties only") {
		t.Errorf("a nested path: err = %v", err)
	}
}
