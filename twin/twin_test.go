package twin

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// needRoot skips a test that needs root and network namespaces, except in
// CI (CI=true), where it fails instead: there they must run.
func needRoot(t *testing.T) {
	t.Helper()
	err := CanRun()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true: not skipped)", err)
	}
	t.Skip(err)
}

func up(t *testing.T, g graph.Graph) *Twin {
	t.Helper()
	needRoot(t)
	var log strings.Builder
	tw, err := Up(context.Background(), g, Options{HealthInterval: 300 * time.Millisecond, Log: &log})
	require.NoError(t, err, log.String())
	t.Cleanup(func() {
		require.NoError(t, tw.Close())
		assert.Empty(t, namespacesOf(tw.Run), "namespaces left after Close")
		if t.Failed() {
			t.Log(log.String())
		}
	})
	return tw
}

func namespacesOf(run string) []string {
	entries, _ := os.ReadDir(netnsDir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), run+"-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func probe(t *testing.T, tw *Twin, from, cmd string, e Expect) Result {
	t.Helper()
	return tw.RunProbe(context.Background(), Probe{Path: "test", From: from, Command: []string{cmd}, Expect: e})
}

// The dev plan's twin: the client reaches the ALB by name and by alb.home,
// not the web servers directly; the ALB's health checks turn the targets
// healthy, logged from the nodes' own addresses.
func TestTwinOnThePlan(t *testing.T) {
	g := fixture.Default()
	albDNS := fixture.Get(g, awstype.LoadBalancer, "web").String("dnsName")
	tw := up(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, tw.WaitHealthy(ctx))

	r := probe(t, tw, "bar-client", "curl -sS "+curlTimeouts+" http://alb.home/ -o /dev/null -w '%{http_code}'", Blocked)
	assert.Equal(t, "200", strings.TrimSpace(r.Output), r.Outcome)
	r = probe(t, tw, "bar-client", "curl -sS "+curlTimeouts+" -o /dev/null -w '%{http_code}' http://"+albDNS+"/", Blocked)
	assert.Equal(t, "200", strings.TrimSpace(r.Output), r.Outcome)
	r = probe(t, tw, "bar-client", "curl -sS --connect-timeout 2 http://10.2.1.10:8080/", Blocked)
	assert.True(t, r.OK, "client straight to web1 must time out: %s %s", r.Outcome, r.Output)
	r = probe(t, tw, "web-web1", "curl -sS "+curlTimeouts+" -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/", Blocked)
	assert.Equal(t, "200", strings.TrimSpace(r.Output), r.Outcome)

}
