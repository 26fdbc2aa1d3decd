//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// interruptAt are the engine's resource types whose step an interruption
// waits for. The program makes no aws:route53/zoneAssociation: the zone
// takes its VPCs inline, so its own step is the zone associations.
var interruptAt = map[string][]string{
	"alb":               {awstype.LoadBalancer},
	"zone-associations": {awstype.ZoneAssociation, awstype.Zone},
}

// earlySteps is how many AWS resource steps "early" lets start.
const earlySteps = 5

// interruptRun starts op ("up" or "destroy") on d's stack, sends sig to the
// Pulumi CLI when the engine starts the step named by at ("early": the
// first few AWS resources; "alb": the load balancer; "zone-associations":
// the private zone with its VPCs), waits for the op to fail, runs the
// recovery `local recover` runs, and checks through the AWS API: nothing
// duplicated, no orphan, every id in the state exists, and a preview with no
// changes (after a destroy: nothing left). SIGINT is the Automation API's
// own (the context is cancelled); SIGTERM goes to the CLI alone; SIGKILL to
// it and every process under it, as a killed CI runner's.
// No process of the CLI outlives the call. up must leave d deployed; after
// destroy, d is empty.
func interruptRun(t *testing.T, d *deployment, op string, sig syscall.Signal, at string) {
	t.Helper()
	require.Contains(t, []string{"up", "destroy"}, op)
	label := fmt.Sprintf("%s %s at %s", op, sig, at)
	fmt.Fprintf(d.log, "\n=== interruptRun: %s ===\n", label)

	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	evs := make(chan events.EngineEvent)
	reached := make(chan string, 1)
	go watchSteps(evs, op, at, reached)

	done := make(chan error, 1)
	go func() {
		var err error
		if op == "up" {
			_, err = d.stack.Up(ctx, optup.ProgressStreams(d.log), optup.EventStreams(evs))
		} else {
			_, err = d.stack.Destroy(ctx, optdestroy.ProgressStreams(d.log), optdestroy.EventStreams(evs))
		}
		done <- err
	}()

	var step string
	select {
	case step = <-reached:
	case err := <-done:
		t.Fatalf("%s: the %s ended (%v) before reaching %s", label, op, err, at)
	}
	// Into the step: the provider has sent its create or delete.
	time.Sleep(2 * time.Second)
	cli := pulumiChild(t, d.opts.WorkDir)
	tree := descendants(cli)
	t.Logf("%s: %s reached (%s); signalling pulumi pid %d (%d processes under it)", label, at, step, cli, len(tree))
	switch sig {
	case syscall.SIGINT:
		cancel() // the Automation API sends SIGINT, and kills the CLI 10 s later if it has not ended
	case syscall.SIGTERM:
		require.NoError(t, syscall.Kill(cli, syscall.SIGTERM))
	case syscall.SIGKILL:
		// On Linux the Automation API leaves the CLI in this test's process
		// group: kill the CLI and everything under it, one by one, as a
		// killed CI runner's cgroup would be.
		tree = descendants(cli)
		for _, p := range append([]int{cli}, tree...) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	default:
		t.Fatalf("interruptRun: signal %s is not one of SIGINT, SIGTERM, SIGKILL", sig)
	}
	signalled := time.Now()
	var opErr error
	select {
	case opErr = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("%s: the %s did not end 5 minutes after %s", label, op, sig)
	}
	if opErr == nil {
		t.Logf("%s: the %s completed despite %s (%.1f s after it)", label, op, sig, time.Since(signalled).Seconds())
	} else {
		t.Logf("%s: the %s failed %.1f s after %s: %s", label, op, time.Since(signalled).Seconds(), sig, firstLine(opErr))
	}
	reapTree(t, label, append([]int{cli}, tree...))

	start := time.Now()
	rep, err := devtools.Recover(d.ctx, devtools.Recovery{
		Stack: d.stack, StateDir: d.opts.StateDir, Clients: d.clients,
		TagValue: stacktag.Value("internal-alb", d.opts.Name), Destroy: op == "destroy",
		Engine: d.log, Decide: func(s string) { fmt.Fprintln(d.log, "recover: "+s) },
	})
	took := time.Since(start)
	if rep != nil {
		t.Logf("%s: recovery in %.1f s:\n  %s", label, took.Seconds(), strings.Join(rep.Decisions, "\n  "))
	}
	require.NoError(t, err, "%s: recovery (engine output in %s)", label, d.log.Name())
	figure(d.name, "recovery after "+label, took.Seconds())
	assert.Empty(t, rep.Orphans, "%s: orphans after recovery", label)

	if op == "destroy" {
		left, err := d.clients.Leftovers(d.ctx)
		require.NoError(t, err)
		assert.Empty(t, left, "%s: the destroy completes", label)
		return
	}
	checkConverged(t, d, label)
}

// watchSteps reports on reached the first resource step of the op that at
// names, and drains the rest.
func watchSteps(evs <-chan events.EngineEvent, op, at string, reached chan<- string) {
	n := 0
	sent := false
	for e := range evs {
		pre := e.ResourcePreEvent
		if sent || pre == nil || !strings.HasPrefix(pre.Metadata.Type, "aws:") {
			continue
		}
		if string(pre.Metadata.Op) == "same" || string(pre.Metadata.Op) == "read" {
			continue
		}
		n++
		hit := at == "early" && n == earlySteps
		for _, typ := range interruptAt[at] {
			hit = hit || pre.Metadata.Type == typ
		}
		if hit {
			reached <- fmt.Sprintf("%s %s", pre.Metadata.Op, pre.Metadata.URN[strings.LastIndex(pre.Metadata.URN, "::")+2:])
			sent = true
		}
	}
}

// checkConverged: no duplicate, every taggable id of the state exists, and
// the next preview has no changes.
func checkConverged(t *testing.T, d *deployment, label string) {
	t.Helper()
	tagged, err := d.clients.Tagged(d.ctx, stacktag.Value("internal-alb", d.opts.Name))
	require.NoError(t, err)
	byName := map[string][]string{}
	inAWS := map[string]bool{}
	for _, r := range tagged {
		byName[r.Kind+" "+r.Resource] = append(byName[r.Kind+" "+r.Resource], r.ID)
		inAWS[r.ID] = true
	}
	for k, ids := range byName {
		assert.Len(t, ids, 1, "%s: %s is in AWS %d times: %v", label, k, len(ids), ids)
	}
	// Two VPCs with one Name tag, whoever tagged them.
	vpcs, err := d.clients.EC2.DescribeVpcs(d.ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"false"}}}})
	require.NoError(t, err)
	names := map[string]int{}
	for _, v := range vpcs.Vpcs {
		for _, tag := range v.Tags {
			if aws.ToString(tag.Key) == "Name" {
				names[aws.ToString(tag.Value)]++
			}
		}
	}
	for n, c := range names {
		assert.Equal(t, 1, c, "%s: %d VPCs named %s", label, c, n)
	}
	dep, err := d.stack.Export(d.ctx)
	require.NoError(t, err)
	var state struct {
		Resources []struct {
			URN, ID, Type string
			Custom        bool
		} `json:"resources"`
		Pending []json.RawMessage `json:"pending_operations"`
	}
	require.NoError(t, json.Unmarshal(dep.Deployment, &state))
	assert.Empty(t, state.Pending, "%s: pending operations left in the state", label)
	for _, r := range state.Resources {
		if r.Custom && awscheck.KindOf(r.Type) != "" {
			assert.True(t, inAWS[r.ID], "%s: the state's %s %s is not in AWS (with the stack's tags)", label, r.Type, r.ID)
		}
	}
	_, err = d.stack.Preview(d.ctx, optpreview.ProgressStreams(d.log), optpreview.ExpectNoChanges())
	d.must(t, label+": preview after recovery (expect no changes)", err)
}

// pulumiChild is the pid of the Pulumi CLI this test process runs in dir.
func pulumiChild(t *testing.T, dir string) int {
	t.Helper()
	self := os.Getpid()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for pid, ppid := range processes() {
			if ppid != self {
				continue
			}
			exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
			cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
			if filepath.Base(exe) == "pulumi" && cwd == dir {
				return pid
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no pulumi process of this test runs in %s", dir)
	return 0
}

// processes maps every pid to its parent's.
func processes() map[int]int {
	out := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			out[pid] = ppid
		}
	}
	return out
}

// descendants are every process under pid.
func descendants(pid int) []int {
	children := map[int][]int{}
	for p, pp := range processes() {
		children[pp] = append(children[pp], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// reapTree waits for the CLI's processes to end, and kills (and reports)
// any that outlives it by 15 s: a plugin the interruption left behind.
func reapTree(t *testing.T, label string, pids []int) {
	t.Helper()
	alive := func(p int) bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return false
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		return len(f) > 0 && f[0] != "Z"
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", p))
				t.Logf("%s: pid %d (%s) outlived the interrupted CLI: killed", label, p, filepath.Base(exe))
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkOrphans creates, out of band, a VPC with the stack's tags and one
// without (another owner's), and checks that the orphan listing finds the
// tagged one alone, that deleting it leaves none, and that the other
// stays. d must be deployed, and its export is read from its stack.
func checkOrphans(t *testing.T, d *deployment) {
	t.Helper()
	ctx := d.ctx
	tagValue := stacktag.Value("internal-alb", d.opts.Name)
	mk := func(cidr string, tags map[string]string) string {
		var ts []ec2types.Tag
		for k, v := range tags {
			ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out, err := d.clients.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: ts}}})
		require.NoError(t, err)
		return aws.ToString(out.Vpc.VpcId)
	}
	ours := mk("10.250.0.0/16", map[string]string{"Name": "foo", stacktag.Stack: tagValue, stacktag.Resource: "foo"})
	theirs := mk("10.251.0.0/16", map[string]string{"Name": "someone-elses"})
	deleteTheirs := func() {
		_, _ = d.clients.EC2.DeleteVpc(context.Background(), &ec2.DeleteVpcInput{VpcId: aws.String(theirs)})
	}
	t.Cleanup(deleteTheirs)
	defer deleteTheirs() // the stack's destroy must leave the emulator empty

	dep, err := d.stack.Export(ctx)
	require.NoError(t, err)
	export := filepath.Join(t.TempDir(), "export.json")
	b, err := json.Marshal(dep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(export, b, 0o600))
	ids, err := devtools.StateIDs(export)
	require.NoError(t, err)

	orphans, err := devtools.FindOrphans(ctx, d.clients, tagValue, ids)
	require.NoError(t, err)
	require.Len(t, orphans, 1, "the orphan listing: %v", orphans)
	assert.Equal(t, "vpc", orphans[0].Kind)
	assert.Equal(t, ours, orphans[0].ID)

	// The command itself: exit 1 with it listed; --delete without --yes
	// and without a terminal refuses; --delete --yes deletes; then exit 0.
	run := func(args ...string) (int, string) {
		var out, errOut strings.Builder
		code := devtools.OrphansMain(append([]string{"--stack", d.opts.Name, "--state", export, "--endpoint", d.moto.URL}, args...),
			strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, out := run()
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, ours)
	assert.NotContains(t, out, theirs)
	code, out = run("--delete")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "no terminal")
	code, out = run("--delete", "--yes")
	assert.Equal(t, 0, code, out)
	code, out = run()
	assert.Equal(t, 0, code, out)

	vpcs, err := d.clients.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{theirs}})
	require.NoError(t, err, "the untagged VPC is left alone")
	assert.Len(t, vpcs.Vpcs, 1)
	_, err = d.clients.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{ours}})
	assert.Error(t, err, "the orphan VPC is deleted")
}
