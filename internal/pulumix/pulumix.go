// Package pulumix holds the small conversions between Pulumi's input and
// output types that every component needs.
package pulumix

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// StringArray turns a slice of string inputs or outputs into one array input.
func StringArray[T pulumi.StringInput](xs []T) pulumi.StringArray {
	a := make(pulumi.StringArray, len(xs))
	for i, x := range xs {
		a[i] = x
	}
	return a
}

// Inputs turns a slice of string outputs into a slice of string inputs.
func Inputs(outs []pulumi.StringOutput) []pulumi.StringInput {
	in := make([]pulumi.StringInput, len(outs))
	for i, o := range outs {
		in[i] = o
	}
	return in
}
