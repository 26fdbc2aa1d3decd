package main

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// tagEveryResource adds the stack's tags (stacktag.Keys) to every resource
// whose pulumi-aws arguments take `tags`, on top of the resource's own tags:
// what the orphan listing and the recovery of an interrupted run find a
// resource by when its id never reached the state. It runs in the program
// (a stack transformation sees the SDK's typed arguments), so a resource
// that sets no tags of its own is tagged too, and the plan under mocks
// shows the tags as the engine gets them.
func tagEveryResource(ctx *pulumi.Context) error {
	stack := stacktag.Value(ctx.Project(), ctx.Stack())
	return ctx.RegisterStackTransformation(func(a *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		props, ok := withStackTags(a.Props, stacktag.Tags(stack, a.Name))
		if !ok {
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: props.(pulumi.Input), Opts: a.Opts}
	})
}

// stringMapInput is the type of a pulumi-aws argument struct's `Tags`.
var stringMapInput = reflect.TypeFor[pulumi.StringMapInput]()

// acceptsTags reports whether props is a pulumi-aws argument struct (a
// pointer to it) with a `Tags pulumi.StringMapInput` field, that is whether
// the resource type takes `tags`.
func acceptsTags(props any) (reflect.Value, bool) {
	v := reflect.ValueOf(props)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName("Tags")
	if !f.IsValid() || f.Type() != stringMapInput {
		return reflect.Value{}, false
	}
	return f, true
}

// withStackTags returns a copy of props with add merged into its tags (the
// resource's own tags win nothing: add's keys are the stack's own), and
// false when the type takes no tags.
func withStackTags(props any, add map[string]string) (any, bool) {
	if _, ok := acceptsTags(props); !ok {
		return nil, false
	}
	v := reflect.ValueOf(props)
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	f := cp.Elem().FieldByName("Tags")
	merged := pulumi.StringMap{}
	own, _ := f.Interface().(pulumi.StringMapInput)
	switch own := own.(type) {
	case nil:
	case pulumi.StringMap:
		for k, val := range own {
			merged[k] = val
		}
	default:
		// Tags computed from other resources: merge once known.
		f.Set(reflect.ValueOf(pulumi.StringMapInput(own.ToStringMapOutput().ApplyT(func(m map[string]string) map[string]string {
			out := make(map[string]string, len(m)+len(add))
			for k, val := range m {
				out[k] = val
			}
			for k, val := range add {
				out[k] = val
			}
			return out
		}).(pulumi.StringMapOutput))))
		return cp.Interface(), true
	}
	for k, val := range add {
		merged[k] = pulumi.String(val)
	}
	f.Set(reflect.ValueOf(pulumi.StringMapInput(merged)))
	return cp.Interface(), true
}
