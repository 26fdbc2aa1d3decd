//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/localrun"
)

// TestEmulatorScale is a figure, not a check of the mission (the other
// emulator tests are): how `up` grows with the consumers over a Transit
// Gateway, 1 against 10, each stack on its own moto, one after the other.
// `make figures` runs it; `make integration` does not.
func TestEmulatorScale(t *testing.T) {
	env, err := localrun.LoadEnv(".")
	require.NoError(t, err)
	logDir := filepath.Join(env.Cache, "logs")
	type run struct {
		consumers, created int
		up, preview        time.Duration
	}
	var runs []run
	for _, n := range []int{1, 10} {
		var list []map[string]string
		for i := 1; i <= n; i++ {
			list = append(list, map[string]string{"name": fmt.Sprintf("c%d", i), "cidr": fmt.Sprintf("10.%d.0.0/16", 10+i)})
		}
		value, err := json.Marshal(list)
		require.NoError(t, err)
		d := newDeployment(t, env, logDir, fmt.Sprintf("tgw-%d", n), map[string]string{
			"internal-alb:connectivity": "transitGateway",
			"internal-alb:consumerVpcs": string(value),
		})
		start := time.Now()
		res, err := d.stack.Up(d.ctx, optup.ProgressStreams(d.log))
		r := run{consumers: n, up: time.Since(start)}
		d.must(t, "up", err)
		start = time.Now()
		_, err = d.stack.Preview(d.ctx, optpreview.ProgressStreams(d.log), optpreview.ExpectNoChanges())
		r.preview = time.Since(start)
		d.must(t, "second preview (expect no changes)", err)
		if c := res.Summary.ResourceChanges; c != nil {
			r.created = (*c)["create"]
		}
		runs = append(runs, r)
		d.moto.Stop() // the next stack runs alone
	}
	table := "| Transit Gateway consumers | resources created | up (s) | second preview (s) |\n|---|---|---|---|\n"
	for _, r := range runs {
		table += fmt.Sprintf("| %d | %d | %.1f | %.1f |\n", r.consumers, r.created, r.up.Seconds(), r.preview.Seconds())
	}
	table += fmt.Sprintf("\nup with 10 consumers / up with 1: %.2f (target at most 1.30)\n", runs[1].up.Seconds()/runs[0].up.Seconds())
	require.NoError(t, os.WriteFile(filepath.Join(env.Cache, "figures-scale.md"), []byte(table), 0o644))
	t.Logf("scale figures (also in %s):\n%s", filepath.Join(env.Cache, "figures-scale.md"), table)
}
