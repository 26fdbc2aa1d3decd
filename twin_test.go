package main

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
	"github.com/internal-alb/internal-alb/twin"
	"github.com/internal-alb/internal-alb/verify"
)

// needTwin skips a test that needs root and network namespaces on a
// laptop, and fails it in CI (CI=true), where it must run.
func needTwin(t testing.TB) {
	t.Helper()
	if err := twin.CanRun(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: not skipped)", err)
		}
		t.Skip(err)
	}
}

// twinHealthInterval replaces the target group's 30 s in tests (a
// documented override: Options.HealthInterval).
const twinHealthInterval = 300 * time.Millisecond

// runTwin builds the twin of g, waits for the ALB's health checks, runs
// every probe and tears the twin down; it returns the results and what the
// web servers logged from the ALB nodes.
func runTwin(t testing.TB, g graph.Graph) ([]twin.Result, map[string][]string) {
	t.Helper()
	needTwin(t)
	var log strings.Builder
	ctx := context.Background()
	tw, err := twin.Up(ctx, g, twin.Options{HealthInterval: twinHealthInterval, Log: &log})
	require.NoError(t, err, log.String())
	defer func() {
		require.NoError(t, tw.Close())
		entries, _ := os.ReadDir("/run/netns")
		for _, e := range entries {
			assert.False(t, strings.HasPrefix(e.Name(), tw.Run+"-"), "namespace %s left after Close", e.Name())
		}
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, tw.HealthWait())
	_ = tw.WaitHealthy(wctx) // the P2 probe reports what is not healthy
	cancel()
	return tw.RunProbes(ctx, tw.Probes()), tw.HealthLines()
}

func failures(rs []twin.Result) string {
	var b strings.Builder
	for _, r := range rs {
		if !r.OK {
			b.WriteString(r.Path + " " + r.Name + " on " + r.From + ": " + strings.Join(r.Command, " ") + "\n  → " + r.Outcome + "\n" + r.Output + "\n")
		}
	}
	return b.String()
}

// The seed's transcript, replayed on the twin of the real plan: from the
// client, curl of the ALB's DNS name and of alb.home answer the page, aws
// lambda invoke answers StatusCode 200; the ALB's health checks turn every
// target healthy and the web servers log them from the nodes' addresses;
// the client cannot reach a web server directly.
func TestTwinRunsTheSeedOnThePlan(t *testing.T) {
	for name, o := range map[string]map[string]string{
		"peering":        nil,
		"transitGateway": {"connectivity": "transitGateway"},
	} {
		t.Run(name, func(t *testing.T) {
			results, health := runTwin(t, mustPlan(t, o).Graph)
			require.Empty(t, failures(results))
			paths := map[string]int{}
			for _, r := range results {
				paths[r.Path]++
			}
			assert.Equal(t, map[string]int{"P1": 4, "P2": 1, "P3": 1, "F1": 2, "F2": 2}, paths, "probes per path: P1 by name, by alb.home and to each of the two nodes; F1 to each node")
			require.Len(t, health, 2, "both web servers logged health checks")
			for web, lines := range health {
				for _, l := range lines {
					assert.Contains(t, l, `"GET / HTTP/1.1" 200`, web)
				}
			}
		})
	}
}

// twinPaths are the verifier's paths the twin's probes mirror.
var twinPaths = []string{"P1", "P2", "P3", "F1", "F2"}

// verdicts reduces a verifier report to OK per path (every instance of the
// path as it must be).
func verdicts(r verify.Report) map[string]bool {
	out := map[string]bool{}
	for _, p := range r.Paths {
		ok, seen := out[p.ID]
		out[p.ID] = (ok || !seen) && p.OK
	}
	return out
}

// Differential: on every single-point mutation of the real plan, the twin's
// probes and the verifier's verdicts agree path by path; where they cannot
// (the verifier reasons over configuration, not processes: verify/README.md
// lists what it does not see) the difference is expected and named.
func TestTwinAgreesWithTheVerifier(t *testing.T) {
	needTwin(t)
	cases := append(planMutations(t), twinMutations(t)...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := verdicts(verify.Check(c.g, verifyOpts))
			results, _ := runTwin(t, c.g)
			got := twin.ByPath(results)
			for _, p := range twinPaths {
				expect := want[p]
				if d, ok := c.twinDiffers[p]; ok {
					expect = d.twin
					assert.NotEqual(t, want[p], expect, "%s: listed as a difference but the verifier agrees (%s)", p, d.why)
				}
				assert.Equal(t, expect, got[p], "path %s: verifier %v, twin %v\n%s", p, want[p], got[p], failures(results))
			}
		})
	}
}

// twinMutations are the mutations the twin adds to the verifier's: runtime
// failures the verifier cannot see (listed as expected differences), and
// more configuration mistakes both must catch.
func twinMutations(t *testing.T) []planMutation {
	def := mustPlan(t, nil).Graph
	id := func(typ, name string) string { return idOf(t, def, typ, name) }
	healthPath := func(p map[string]any) {
		hc := map[string]any{}
		if old, ok := p["healthCheck"].(map[string]any); ok {
			for k, v := range old {
				hc[k] = v
			}
		}
		hc["path"] = "/health"
		p["healthCheck"] = hc
	}
	noStart := func(p map[string]any) {
		ud, _ := p["userData"].(string)
		p["userData"] = strings.Replace(ud, "systemctl enable --now web.service", "systemctl enable web.service", 1)
	}
	policy := func(action, resource string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
	}
	returnDeny := with(def, awstype.NetworkAcl, "bar-deny-replies", map[string]any{
		"vpcId": id(awstype.Vpc, "bar"), "subnetIds": []any{id(awstype.Subnet, "bar-private-1"), id(awstype.Subnet, "bar-private-2")},
		"ingress": []any{
			map[string]any{"ruleNo": 100, "action": "deny", "protocol": "tcp", "fromPort": 32768, "toPort": 65535, "cidrBlock": "0.0.0.0/0"},
			map[string]any{"ruleNo": 200, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}},
		"egress": []any{map[string]any{"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlock": "0.0.0.0/0"}},
	})
	fn := mustPlan(t, nil).one(t, awstype.Function).String("arn")
	return []planMutation{
		{name: "health check path answers 404", g: mutate(t, def, awstype.TargetGroup, "web-web", healthPath),
			twinDiffers: map[string]twinDiff{"P2": {false, "the verifier does not run the web server: GET /health answers 404, the targets turn unhealthy (the ALB fails open, so P1 still gets the page)"}}},
		{name: "user data does not start the server", g: mutate(t, mutate(t, def, awstype.Instance, "web-web1", noStart), awstype.Instance, "web-web2", noStart),
			twinDiffers: map[string]twinDiff{
				"P1": {false, "the verifier does not run user data: nothing listens on 8080, the ALB answers 502"},
				"P2": {false, "the verifier does not run user data: the health checks are refused"}}},
		{name: "NACL denies the return range", g: returnDeny},
		{name: "VPC DNS support off", g: mutate(t, def, awstype.Vpc, "bar", set("enableDnsSupport", false))},
		{name: "peering not accepted", g: mutate(t, def, awstype.VpcPeeringConnection, "peering-foo-bar", func(p map[string]any) {
			p["autoAccept"] = false
			p["acceptStatus"] = "pending-acceptance"
		})},
		{name: "route to the wrong peering", g: mutate(t, def, awstype.Route, "peering-foo-bar-to-foo-1", set("vpcPeeringConnectionId", "pcx-0123456789abcdef0"))},
		{name: "invoke action wrong", g: mutate(t, def, awstype.RolePolicy, "hello-world-invoke", set("policy", policy("lambda:GetFunction", fn)))},
		{name: "endpoint group admits another group", g: mutate(t, def, awstype.SecurityGroupIngressRule, "bar-client-lambda-in", set("referencedSecurityGroupId", id(awstype.SecurityGroup, "bar-bastion")))},
	}
}

// The twin's figures (make figures): from the start of Up to the first
// page a client gets through alb.home, with the state's own health-check
// interval (the ALB fails open, so the page does not wait for the checks),
// and the teardown. It asserts nothing about time.
func BenchmarkTwin(b *testing.B) {
	for _, sc := range []struct {
		name string
		o    map[string]string
	}{{"dev", nil}, {"3-consumers", map[string]string{"consumerVpcs": threeConsumers}}} {
		b.Run(sc.name, func(b *testing.B) {
			needTwin(b)
			g := mustPlan(b, sc.o).Graph
			ctx := context.Background()
			for b.Loop() {
				start := time.Now()
				tw, err := twin.Up(ctx, g, twin.Options{})
				require.NoError(b, err)
				up := time.Since(start)
				var first twin.Probe
				for _, p := range tw.Probes() {
					if p.Path == "P1" && strings.Contains(p.Name, "private name") {
						first = p
						break
					}
				}
				require.NotEmpty(b, first.From, "a private-name probe")
				for r := tw.RunProbe(ctx, first); !r.OK; r = tw.RunProbe(ctx, first) {
					require.Less(b, time.Since(start), 2*time.Minute, "no 200: %s", r.Outcome)
				}
				firstOK := time.Since(start)
				t0 := time.Now()
				require.NoError(b, tw.Close())
				b.ReportMetric(up.Seconds(), "s-up")
				b.ReportMetric(firstOK.Seconds(), "s-to-first-200")
				b.ReportMetric(time.Since(t0).Seconds(), "s-teardown")
			}
		})
	}
}
