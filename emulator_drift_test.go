//go:build integration

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/drift"
)

// checkDrift makes, through the AWS API as a person in the console would,
// the out-of-band changes that break the mission, and expects `make drift`'s
// report to name each with the path it breaks; then `up --refresh` (what
// `make local` runs) repairs all of it and the next preview is empty. The
// deployment is as it was when it returns.
func checkDrift(t *testing.T, d *deployment) {
	ctx, c := d.ctx, d.clients
	service, consumer := d.cfg.ServiceVpc, d.cfg.ConsumerVpcs[0]
	client := consumer.Name + "-client"
	web1, web2 := "web-web1", "web-web2"

	require.NoError(t, c.RevokeAlbIngress(ctx, consumer.Cidr), "revoke the ALB's ingress rule for %s", consumer.Name)
	require.NoError(t, c.DeleteRouteFrom(ctx, client, service.Cidr), "delete %s's route to %s", consumer.Name, service.Name)
	require.NoError(t, c.DisassociateZone(ctx, d.cfg.ZoneName, consumer.Cidr), "disassociate the zone from %s", consumer.Name)
	require.NoError(t, c.DeregisterTarget(ctx, web1), "deregister %s", web1)
	require.NoError(t, c.SetHealthCheckPath(ctx, "/moved"), "change the health-check path")
	require.NoError(t, c.StopInstance(ctx, web2), "stop %s", web2)

	start := time.Now()
	report, err := devtools.Drift(ctx, d.stack, devtools.VerifyOptions(d.cfg), d.log)
	detectTook := time.Since(start)
	require.NoError(t, err)
	t.Logf("drift detected in %.1f s:\n%s", detectTook.Seconds(), report.Text())
	require.True(t, report.Drifted())

	// Each change: its resource, what `up` does, the path it breaks alone.
	p1 := "P1 " + client + " "
	p2 := func(web string) string { return "P2 " + d.cfg.AlbName + " → " + web + ":" }
	expect := []struct {
		what, typ, repair string
		breaks            string // a substring of one of its breaks; "" for none
	}{
		{"the ALB's ingress rule for " + consumer.Name, awstype.SecurityGroupIngressRule, "create", p1},
		{consumer.Name + "'s route to " + service.Name, awstype.Route, "create", p1},
		{"the zone's association with " + consumer.Name, awstype.Zone, "update", p1},
		{web1 + "'s registration", awstype.TargetGroupAttachment, "create", p2(web1)},
		{"the health-check path", awstype.TargetGroup, "update", ""},
		{web2 + " stopped", awstype.InstanceState, "update", p2(web2)},
	}
	for _, e := range expect {
		c, ok := changeOf(report, e.typ, e.breaks)
		if !assert.True(t, ok, "the report names %s (a %s breaking %q)", e.what, e.typ, e.breaks) {
			continue
		}
		assert.Equal(t, e.repair, c.Repair, e.what)
	}
	kinds := map[string]bool{}
	for _, e := range expect {
		kinds[e.typ] = true
	}
	for _, c := range report.Changes {
		assert.True(t, kinds[c.Type], "nothing else differs: %s %s", c.Type, c.Name)
	}
	if hc, ok := changeOf(report, awstype.TargetGroup, ""); ok {
		assert.Contains(t, hc.Props, drift.Prop{Path: "healthCheck.path", Stack: `"/"`, Now: `"/moved"`})
	}

	// What `make local` runs repairs it, and the next preview is empty.
	_, err = d.stack.Up(ctx, optup.Refresh(), optup.ProgressStreams(d.log))
	d.must(t, "up --refresh after drift", err)
	_, err = d.stack.Preview(ctx, optpreview.Refresh(), optpreview.ExpectNoChanges(), optpreview.ProgressStreams(d.log))
	d.must(t, "preview --refresh after the repair (expect no changes)", err)

	// …as AWS itself says.
	_, ingress, err := c.AlbIngressFor(ctx, consumer.Cidr)
	require.NoError(t, err)
	assert.NotEmpty(t, ingress, "the ALB admits %s again", consumer.Name)
	paths, err := c.HealthCheckPaths(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"/"}, paths)
	state, err := c.InstanceState(ctx, web2)
	require.NoError(t, err)
	assert.Equal(t, "running", state)
	for _, e := range c.Mission(ctx, expectFrom(d.cfg)) {
		t.Errorf("after the repair: %v", e)
	}
	figure(d.name, "drift detected (make drift)", detectTook.Seconds())
}

// changeOf finds the report's change of type typ that breaks a path
// containing breaks (or, with breaks "", that breaks none).
func changeOf(r drift.Report, typ, breaks string) (drift.Change, bool) {
	for _, c := range r.Changes {
		if c.Type != typ {
			continue
		}
		if breaks == "" && len(c.Breaks) == 0 {
			return c, true
		}
		for _, b := range c.Breaks {
			if breaks != "" && strings.Contains(b, breaks) {
				return c, true
			}
		}
	}
	return drift.Change{}, false
}
