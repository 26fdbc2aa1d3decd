// Package devtools holds the developer commands that need the program itself:
// `verify` (prove the plan or a deployed state) and `local` (deploy to the
// local AWS emulator). main.go runs them when built with -tags devtools:
//
//	go run -tags devtools . verify [--stack dev] [--state export.json] [--json] [--out dir]
//	go run -tags devtools . local up|preview|refresh|destroy [--stack dev]
//	go run -tags devtools . twin [exec|shell …] [--state export.json]
//	go run -tags devtools . orphans [--stack dev] [--state export.json] [--aws] [--delete] [--yes]
//	go run -tags devtools . drift [--stack dev] [--account] [--json]
package devtools

import (
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Main runs the command in args and returns the process exit code.
func Main(args []string, program pulumi.RunFunc) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return 2
	}
	switch args[0] {
	case "verify":
		return verifyCmd(args[1:], program, os.Stdout, os.Stderr)
	case "local":
		if len(args) > 1 && args[1] == "recover" {
			return recoverCmd(args[2:], program, os.Stdout, os.Stderr)
		}
		return localCmd(args[1:], program, os.Stdout, os.Stderr)
	case "twin":
		return twinCmd(args[1:], program, os.Stdout, os.Stderr)
	case "orphans":
		return orphansCmd(args[1:], os.Stdin, os.Stdout, os.Stderr)
	case "drift":
		return driftCmd(args[1:], program, os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		usage(os.Stdout)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown command %q\n", args[0])
	usage(os.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  verify [--stack dev] [--state export.json] [--json] [--out dir]
      prove the mission's paths, check the security rules, estimate the cost
      and draw the topology, for the stack's plan (the program under mocks) or
      for a deployed state (a 'pulumi stack export' file)
  local up|preview|refresh|destroy [--stack dev]
      run the stack against the local AWS emulator (see emulator/README.md)
  local recover [--stack dev]
      after an interrupted up or destroy: clear a stale lock, import or
      forget each pending create, refresh, up, then list the orphans
  orphans [--stack dev] [--state export.json] [--aws] [--delete] [--yes]
      list what carries the stack's tags but is not in its state (the local
      emulator's, or with --aws the account's); --delete deletes it after
      confirmation; exit 1 when orphans are left
  drift [--stack dev] [--account] [--json]
      'pulumi preview --refresh' of the deployed stack (the local emulator's,
      or with --account the one the Pulumi CLI is logged in to): each
      resource that differs, what changed, the required paths it breaks;
      exit 1 on drift
  twin [--state export.json] [--stack dev] [--health-interval 2s]
      build the data-plane twin of the deployed state ('make local' leaves
      one; else the plan) in network namespaces, run the seed's commands
      and the forbidden probes on its instances, tear it down (root)
  twin exec <instance> -- <command…>    run one command on an instance of the twin
  twin shell <instance>                 an interactive shell there
      <instance>: its Name tag, id, private address, or an output key such
      as clientPrivateIps (clientPrivateIps.bar, webPrivateIps[1])
`)
}
