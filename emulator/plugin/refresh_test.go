package main

import (
	"context"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeServer answers Read with a canned response, as the bridge would.
type fakeServer struct {
	pulumirpc.ResourceProviderServer
	read *pulumirpc.ReadResponse
}

func (f fakeServer) Read(context.Context, *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return f.read, nil
}

func TestKeepUnchangedInputs(t *testing.T) {
	const script = "#!/bin/bash\necho hello\n"
	const hash = "481dd511aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	oldInputs := map[string]any{
		"__defaults":               []any{"sourceDestCheck"},
		"ami":                      "ami-1",
		"instanceType":             "t3.micro",
		"userData":                 script,
		"userDataReplaceOnChange":  true,
		"sourceDestCheck":          true,
		"tags":                     map[string]any{"Name": "web1", "Team": "a"},
		"rootBlockDevice":          map[string]any{"volumeSize": 8.0, "volumeType": "gp3"},
		"vpcSecurityGroupIds":      []any{"sg-1"},
		"associatePublicIpAddress": false,
	}
	oldState := map[string]any{
		"id":                       "i-1",
		"ami":                      "ami-1",
		"instanceType":             "t3.micro",
		"userData":                 hash,
		"userDataReplaceOnChange":  true,
		"sourceDestCheck":          true,
		"tags":                     map[string]any{"Name": "web1", "Team": "a"},
		"rootBlockDevice":          map[string]any{"volumeSize": 8.0, "volumeType": "gp3", "volumeId": "vol-1"},
		"vpcSecurityGroupIds":      []any{"sg-1"},
		"associatePublicIpAddress": false,
	}
	// Out of band: the instance type, a tag and the root volume's size changed;
	// a security group was added.
	newState := map[string]any{
		"id":                       "i-1",
		"ami":                      "ami-1",
		"instanceType":             "t3.small",
		"userData":                 hash,
		"userDataReplaceOnChange":  true,
		"sourceDestCheck":          true,
		"tags":                     map[string]any{"Name": "web1", "Team": "b"},
		"rootBlockDevice":          map[string]any{"volumeSize": 16.0, "volumeType": "gp3", "volumeId": "vol-1"},
		"vpcSecurityGroupIds":      []any{"sg-1", "sg-2"},
		"associatePublicIpAddress": false,
	}
	// What bridge v3.101.0 extracts: the state's values for the old inputs,
	// userData included (no StateFunc over the shim). Its __defaults is made
	// empty here to check that a kept input is listed there again.
	bridgeInputs := map[string]any{
		"__defaults":               []any{},
		"ami":                      "ami-1",
		"instanceType":             "t3.small",
		"userData":                 hash,
		"userDataReplaceOnChange":  true,
		"sourceDestCheck":          true,
		"tags":                     map[string]any{"Name": "web1", "Team": "b"},
		"rootBlockDevice":          map[string]any{"volumeSize": 16.0, "volumeType": "gp3"},
		"vpcSecurityGroupIds":      []any{"sg-1", "sg-2"},
		"associatePublicIpAddress": false,
	}
	want := map[string]any{
		"__defaults":               []any{"sourceDestCheck"},
		"ami":                      "ami-1",
		"instanceType":             "t3.small",
		"userData":                 script, // state unchanged: the program's script stays
		"userDataReplaceOnChange":  true,
		"sourceDestCheck":          true,
		"tags":                     map[string]any{"Name": "web1", "Team": "b"},
		"rootBlockDevice":          map[string]any{"volumeSize": 16.0, "volumeType": "gp3"},
		"vpcSecurityGroupIds":      []any{"sg-1", "sg-2"},
		"associatePublicIpAddress": false,
	}

	req := &pulumirpc.ReadRequest{
		Id: "i-1", Urn: "urn:pulumi:dev::p::aws:ec2/instance:Instance::web-web1",
		Inputs: mustStruct(t, oldInputs), Properties: mustStruct(t, oldState),
	}
	srv := refreshServer{fakeServer{read: &pulumirpc.ReadResponse{
		Id: "i-1", Properties: mustStruct(t, newState), Inputs: mustStruct(t, bridgeInputs),
	}}}
	resp, err := srv.Read(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Inputs.AsMap(); !proto.Equal(resp.Inputs, mustStruct(t, want)) {
		t.Errorf("inputs after refresh:\n got %v\nwant %v", got, want)
	}

	t.Run("nothing changed: the old inputs come back as they were", func(t *testing.T) {
		bridge := mustStruct(t, oldInputs)
		bridge.Fields["userData"] = structpb.NewStringValue(hash)
		resp := &pulumirpc.ReadResponse{Id: "i-1", Properties: mustStruct(t, oldState), Inputs: bridge}
		keepUnchangedInputs(req, resp)
		if !proto.Equal(resp.Inputs, req.Inputs) {
			t.Errorf("inputs = %v, want the old ones %v", resp.Inputs.AsMap(), oldInputs)
		}
	})

	t.Run("a changed hashed property takes the new value", func(t *testing.T) {
		st := mustStruct(t, oldState)
		st.Fields["userData"] = structpb.NewStringValue("ffff")
		bridge := mustStruct(t, oldInputs)
		bridge.Fields["userData"] = structpb.NewStringValue("ffff")
		resp := &pulumirpc.ReadResponse{Id: "i-1", Properties: st, Inputs: bridge}
		keepUnchangedInputs(req, resp)
		if got := resp.Inputs.Fields["userData"].GetStringValue(); got != "ffff" {
			t.Errorf("userData = %q, want the new state's", got)
		}
	})

	t.Run("an input gone from the new state stays gone", func(t *testing.T) {
		st := mustStruct(t, oldState)
		delete(st.Fields, "tags")
		bridge := mustStruct(t, oldInputs)
		delete(bridge.Fields, "tags")
		resp := &pulumirpc.ReadResponse{Id: "i-1", Properties: st, Inputs: bridge}
		keepUnchangedInputs(req, resp)
		if _, ok := resp.Inputs.Fields["tags"]; ok {
			t.Errorf("tags = %v, want none", resp.Inputs.Fields["tags"])
		}
	})

	t.Run("secrets and archives are taken whole", func(t *testing.T) {
		secret := func(v map[string]any) map[string]any {
			return map[string]any{sigKey: "1b47061264138c4ac30d75fd1eb44270", "value": v}
		}
		in := map[string]any{"password": secret(map[string]any{"a": "raw", "b": "2"})}
		st := map[string]any{"password": secret(map[string]any{"a": "hashed", "b": "2"})}
		req := &pulumirpc.ReadRequest{Id: "x", Inputs: mustStruct(t, in), Properties: mustStruct(t, st)}
		changed := map[string]any{"password": secret(map[string]any{"a": "hashed", "b": "3"})}
		resp := &pulumirpc.ReadResponse{Id: "x", Properties: mustStruct(t, changed), Inputs: mustStruct(t, changed)}
		keepUnchangedInputs(req, resp)
		if !proto.Equal(resp.Inputs, mustStruct(t, changed)) {
			t.Errorf("inputs = %v, want the bridge's %v", resp.Inputs.AsMap(), changed)
		}
	})

	t.Run("import, get and a vanished resource are left alone", func(t *testing.T) {
		for name, r := range map[string]*pulumirpc.ReadRequest{
			"import": {Id: "i-1", Inputs: mustStruct(t, oldInputs)},
			"gone":   req,
		} {
			resp := &pulumirpc.ReadResponse{Id: "i-1", Properties: mustStruct(t, newState), Inputs: mustStruct(t, bridgeInputs)}
			if name == "gone" {
				resp = &pulumirpc.ReadResponse{}
			}
			before := proto.Clone(resp)
			keepUnchangedInputs(r, resp)
			if !proto.Equal(before, resp) {
				t.Errorf("%s: response changed to %v", name, resp)
			}
		}
	})
}
