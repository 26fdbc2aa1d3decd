//go:build devtools

package main

import "github.com/internal-alb/internal-alb/internal/devtools"

// With -tags devtools, the binary also runs the developer commands (verify,
// local); without it, it is only the Pulumi program.
func init() { devtool = func(args []string) int { return devtools.Main(args, program) } }
