// Package inputs holds the small conversions between Pulumi's input and
// output types that every component needs.
package inputs

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// StringArray turns a slice of string inputs or outputs into one array input.
func StringArray[T pulumi.StringInput](xs []T) pulumi.StringArray {
	a := make(pulumi.StringArray, len(xs))
	for i, x := range xs {
		a[i] = x
	}
	return a
}

// FromOutputs turns a slice of string outputs into a slice of string inputs.
func FromOutputs(outs []pulumi.StringOutput) []pulumi.StringInput {
	in := make([]pulumi.StringInput, len(outs))
	for i, o := range outs {
		in[i] = o
	}
	return in
}

// After is v, known only once every one of deps is: a resource that takes
// it waits for the resources behind deps, without depending on all of a
// component.
func After(v pulumi.StringOutput, deps ...pulumi.StringOutput) pulumi.StringOutput {
	all := []any{v}
	for _, d := range deps {
		all = append(all, d)
	}
	return pulumi.All(all...).ApplyT(func(xs []any) string { return xs[0].(string) }).(pulumi.StringOutput)
}
