//go:build integration

// Day two on the emulator: instances stopped and started, and the emulator
// going away in the middle of `up`. The checks go through the AWS SDK for Go
// v2 and the engine alone, not the program's code.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/devtools"
	"github.com/internal-alb/internal-alb/internal/localrun"
)

// fleet is what the AWS API says about the stack's instances, their target
// registrations and the private name's record at one moment.
type fleet struct {
	instances map[string]instanceView // by instance id
	targets   []string                // "<target group> <instance id>:<port>", sorted
	record    string                  // the alias record's target, as Route 53 lists it
	zoneID    string                  // the private zone's id, without /hostedzone/
	lbDNS     string                  // the load balancer's DNS name
	eips      map[string]string       // public address → the instance it is associated with
}

type instanceView struct {
	role, vpc, state    string
	privateIP, publicIP string
}

func (i instanceView) String() string {
	return fmt.Sprintf("%s in %s, %s, private %s, public %q", i.role, i.vpc, i.state, i.privateIP, i.publicIP)
}

// observe reads the fleet: the instances with a Role tag (bastion, web,
// client) that are not terminated, every target group's registered targets,
// the record of recordFqdn in the private zone, the load balancer's DNS name
// and the Elastic IPs.
func observe(ctx context.Context, t *testing.T, c *awscheck.Clients, zoneName, recordFqdn string) fleet {
	t.Helper()
	f := fleet{instances: map[string]instanceView{}, eips: map[string]string{}}
	insts, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Role"), Values: []string{"bastion", "web", "client"}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	require.NoError(t, err)
	for _, r := range insts.Reservations {
		for _, i := range r.Instances {
			v := instanceView{vpc: aws.ToString(i.VpcId), state: string(i.State.Name),
				privateIP: aws.ToString(i.PrivateIpAddress), publicIP: aws.ToString(i.PublicIpAddress)}
			for _, tag := range i.Tags {
				if aws.ToString(tag.Key) == "Role" {
					v.role = aws.ToString(tag.Value)
				}
			}
			f.instances[aws.ToString(i.InstanceId)] = v
		}
	}

	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	require.NoError(t, err)
	for _, tg := range tgs.TargetGroups {
		h, err := c.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		require.NoError(t, err)
		for _, d := range h.TargetHealthDescriptions {
			f.targets = append(f.targets, fmt.Sprintf("%s %s:%d", aws.ToString(tg.TargetGroupName), aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)))
		}
	}
	sort.Strings(f.targets)

	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	require.NoError(t, err)
	require.Len(t, lbs.LoadBalancers, 1, "one load balancer")
	f.lbDNS = aws.ToString(lbs.LoadBalancers[0].DNSName)

	zones, err := c.R53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(zoneName + ".")})
	require.NoError(t, err)
	for _, z := range zones.HostedZones {
		if aws.ToString(z.Name) != zoneName+"." {
			continue
		}
		f.zoneID = strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/")
		rrs, err := c.R53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: z.Id})
		require.NoError(t, err)
		for _, rr := range rrs.ResourceRecordSets {
			if strings.TrimSuffix(aws.ToString(rr.Name), ".") == recordFqdn && rr.Type == "A" && rr.AliasTarget != nil {
				f.record = strings.TrimSuffix(aws.ToString(rr.AliasTarget.DNSName), ".")
			}
		}
	}

	addrs, err := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	require.NoError(t, err)
	for _, a := range addrs.Addresses {
		f.eips[aws.ToString(a.PublicIp)] = aws.ToString(a.InstanceId)
	}
	return f
}

// ids are the fleet's instance ids, sorted.
func (f fleet) ids() []string {
	var ids []string
	for id := range f.instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// in is the one instance of role in the VPC vpcID.
func (f fleet) in(t *testing.T, role, vpcID string) (string, instanceView) {
	t.Helper()
	var found []string
	for _, id := range f.ids() {
		if v := f.instances[id]; v.role == role && v.vpc == vpcID {
			found = append(found, id)
		}
	}
	require.Len(t, found, 1, "one %s in VPC %s", role, vpcID)
	return found[0], f.instances[found[0]]
}

// checkStopStart stops every web server, client and bastion, starts them
// again, and checks what must survive a stop and a start, as in AWS: the
// private addresses (they stay with an instance until it is terminated),
// the target registrations, the private name's record and the bastions'
// Elastic IPs; then that `refresh` finds nothing to change and that every
// stack output is still true of the account.
func checkStopStart(t *testing.T, d *deployment) {
	ctx, c, cfg := d.ctx, d.clients, d.cfg
	before := observe(ctx, t, c, cfg.ZoneName, cfg.RecordFqdn())
	ids := before.ids()
	roles := map[string]int{}
	for _, id := range ids {
		v := before.instances[id]
		require.Equal(t, "running", v.state, "%s %s before the stop", id, v)
		roles[v.role]++
		if v.role == "bastion" {
			require.NotEmpty(t, v.publicIP, "bastion %s has a public address", id)
			require.Equal(t, id, before.eips[v.publicIP], "bastion %s's public address %s is an Elastic IP associated with it", id, v.publicIP)
		}
	}
	require.Equal(t, cfg.WebCount, roles["web"], "web servers")
	require.Equal(t, len(cfg.ConsumerVpcs), roles["client"], "clients")
	require.NotEmpty(t, before.targets, "registered targets")
	require.NotEmpty(t, before.record, "the alias record of %s", cfg.RecordFqdn())

	// Stop them all; while stopped, the addresses and registrations stay.
	_, err := c.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids})
	require.NoError(t, err)
	require.NoError(t, ec2.NewInstanceStoppedWaiter(c.EC2).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 5*time.Minute))
	stopped := observe(ctx, t, c, cfg.ZoneName, cfg.RecordFqdn())
	for _, id := range ids {
		b, s := before.instances[id], stopped.instances[id]
		assert.Equal(t, "stopped", s.state, id)
		assert.Equal(t, b.privateIP, s.privateIP, "%s (%s) keeps its private address while stopped", id, b.role)
		if b.role == "bastion" {
			assert.Equal(t, id, stopped.eips[b.publicIP], "bastion %s keeps its Elastic IP %s while stopped", id, b.publicIP)
		}
	}
	assert.Equal(t, before.targets, stopped.targets, "the targets stay registered while stopped")
	assert.Equal(t, before.record, stopped.record, "the record of %s", cfg.RecordFqdn())

	// Start them; everything is as it was.
	_, err = c.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
	require.NoError(t, err)
	require.NoError(t, ec2.NewInstanceRunningWaiter(c.EC2).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 5*time.Minute))
	after := observe(ctx, t, c, cfg.ZoneName, cfg.RecordFqdn())
	assert.Equal(t, ids, after.ids(), "the same instances")
	for _, id := range ids {
		b, a := before.instances[id], after.instances[id]
		b.state = "running"
		assert.Equal(t, b, a, "%s after stop and start", id)
	}
	assert.Equal(t, before.targets, after.targets, "the same targets after stop and start")
	assert.Equal(t, before.record, after.record, "the same record of %s", cfg.RecordFqdn())
	assert.Equal(t, before.eips, after.eips, "the same Elastic IPs, on the same instances")

	// The state still describes the account, and so do the outputs.
	_, err = d.stack.Refresh(ctx, optrefresh.ProgressStreams(d.log), optrefresh.ExpectNoChanges())
	d.must(t, "refresh after stop and start (expect no changes)", err)
	outs, err := d.stack.Outputs(ctx)
	require.NoError(t, err)
	for _, e := range outputsTrue(t, outs, after) {
		t.Error(e)
	}
}

// goneBound is how long `up` may take to fail once the emulator is gone.
// Measured: 9.0 to 10.4 s with the emulator's maxRetries of 3
// (localrun.EmulatorMaxRetries: each call fails after 3 attempts and under
// a second of backoff, and no resource starts after one it waits on
// failed); more than 15 minutes with the provider's default 25. Three
// minutes leaves room for a machine loaded by the other scenarios and still
// tells the two apart.
const goneBound = 3 * time.Minute

var ipv4 = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

// outputsTrue checks the stack outputs that name instances, addresses, the
// load balancer or the zone against the account as f saw it, and returns
// what is no longer true.
func outputsTrue(t *testing.T, outs auto.OutputMap, f fleet) []error {
	t.Helper()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	str := func(k string) string { s, _ := outs[k].Value.(string); return s }
	strMap := func(k string) map[string]string {
		m := map[string]string{}
		raw, _ := outs[k].Value.(map[string]any)
		for name, v := range raw {
			m[name], _ = v.(string)
		}
		return m
	}

	if got := str("albDnsName"); !strings.EqualFold(got, f.lbDNS) {
		bad("albDnsName %q, the load balancer's name is %q", got, f.lbDNS)
	}
	if !strings.EqualFold(strings.TrimPrefix(f.record, "dualstack."), f.lbDNS) {
		bad("the private record aliases %q, not the load balancer %q", f.record, f.lbDNS)
	}
	if got, want := str("albUrl"), "http://"+f.lbDNS; !strings.EqualFold(got, want) {
		bad("albUrl %q, want %q", got, want)
	}
	if got := strings.TrimPrefix(str("zoneId"), "/hostedzone/"); got != f.zoneID {
		bad("zoneId %q, the private zone's id is %q", got, f.zoneID)
	}
	vpcIDs := strMap("vpcIds")
	if len(vpcIDs) == 0 {
		bad("no vpcIds output")
	}

	// Bastions: the output is the Elastic IP of the bastion of that VPC,
	// which is also its current public address.
	bastions := strMap("bastionPublicIps")
	for name, vpcID := range vpcIDs {
		var id string
		var v instanceView
		for _, i := range f.ids() {
			if f.instances[i].role == "bastion" && f.instances[i].vpc == vpcID {
				id, v = i, f.instances[i]
			}
		}
		got, has := bastions[name]
		switch {
		case id == "" && has:
			bad("bastionPublicIps[%s] = %q, but VPC %s has no bastion", name, got, vpcID)
		case id == "":
		case got != v.publicIP:
			bad("bastionPublicIps[%s] = %q, the bastion %s's public address is %q", name, got, id, v.publicIP)
		case f.eips[got] != id:
			bad("bastionPublicIps[%s] = %q is not an Elastic IP of the bastion %s (associated with %q)", name, got, id, f.eips[got])
		}
	}

	// Web servers: the private addresses of the running ones, in any order.
	var webs []string
	for _, id := range f.ids() {
		if v := f.instances[id]; v.role == "web" {
			webs = append(webs, v.privateIP)
		}
	}
	var gotWebs []string
	raw, _ := outs["webPrivateIps"].Value.([]any)
	for _, v := range raw {
		s, _ := v.(string)
		gotWebs = append(gotWebs, s)
	}
	sort.Strings(webs)
	sort.Strings(gotWebs)
	if !slices.Equal(webs, gotWebs) {
		bad("webPrivateIps %v, the web servers' private addresses are %v", gotWebs, webs)
	}

	// Clients, and the commands that reach them: every address a command
	// names is a current address of that VPC's client or bastion, and the
	// first one names the client.
	clients := strMap("clientPrivateIps")
	tries, _ := outs["tryFromClient"].Value.(map[string]any)
	if len(clients) == 0 || len(tries) == 0 {
		bad("no clientPrivateIps or tryFromClient output")
	}
	for name, ip := range clients {
		vpcID := vpcIDs[name]
		clientID, client := f.in(t, "client", vpcID)
		if ip != client.privateIP {
			bad("clientPrivateIps[%s] = %q, the client %s's private address is %q", name, ip, clientID, client.privateIP)
		}
		current := map[string]bool{client.privateIP: true}
		if b, ok := bastions[name]; ok {
			current[b] = true
		}
		cmds, _ := tries[name].([]any)
		if len(cmds) == 0 {
			bad("tryFromClient[%s] is empty", name)
			continue
		}
		for i, c := range cmds {
			cmd, _ := c.(string)
			for _, addr := range ipv4.FindAllString(cmd, -1) {
				if !current[addr] {
					bad("tryFromClient[%s][%d] names %s, which is not the current address of %s's client or bastion: %s", name, i, addr, name, cmd)
				}
			}
		}
		first, _ := cmds[0].(string)
		if strings.Contains(first, "ssh") && !strings.Contains(first, client.privateIP) && !strings.Contains(first, clientID) {
			bad("tryFromClient[%s][0] reaches neither the client's address %s nor its id %s: %s", name, client.privateIP, clientID, first)
		}
		if b, ok := bastions[name]; ok && !strings.Contains(first, "ec2-user@"+b) {
			bad("tryFromClient[%s][0] does not go through the bastion's address %s: %s", name, b, first)
		}
	}
	return errs
}

// TestEmulatorGoneMidUp kills the emulator (SIGKILL) once `up` has created
// its first resources (the log bucket among them), and checks that `up` then fails, within
// goneBound, with an error the local commands turn into "the emulator went
// away" and what to run next, and that no pulumi or plugin process of the
// run is left behind.
func TestEmulatorGoneMidUp(t *testing.T) {
	t.Parallel()
	env, err := localrun.LoadEnv(".")
	require.NoError(t, err)
	d := newDeployment(t, env, filepath.Join(env.Cache, "logs"), "gone", nil)
	url := d.moto.URL

	evs := make(chan events.EngineEvent)
	created := make(chan string, 1)
	go func() {
		for e := range evs {
			// The log bucket is among the first resources created. Between
			// its CreateBucket and the provider's check that the bucket
			// exists, a gone emulator is retried until the bucket's create
			// timeout (20 minutes): past that point, every call in flight
			// fails after EmulatorMaxRetries attempts.
			if o := e.ResOutputsEvent; o != nil && o.Metadata.Op == apitype.OpCreate && o.Metadata.Type == "aws:s3/bucketV2:BucketV2" {
				select {
				case created <- o.Metadata.Type + " " + o.Metadata.URN:
				default:
				}
			}
		}
	}()
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := d.stack.Up(ctx, optup.ProgressStreams(d.log), optup.EventStreams(evs))
		done <- err
	}()

	var first string
	select {
	case first = <-created:
	case err := <-done:
		t.Fatalf("up ended before creating anything: %v (engine output in %s)", err, d.log.Name())
	}
	d.moto.Kill()
	killed := time.Now()
	t.Logf("killed the emulator %.1f s into up, after %s", killed.Sub(start).Seconds(), first)

	select {
	case err = <-done:
		t.Logf("up failed %.1f s after the emulator went away (bound %s)", time.Since(killed).Seconds(), goneBound)
		require.Error(t, err, "up without an emulator")
		require.False(t, localrun.Alive(url), "the emulator is gone")
		msg := devtools.LocalFailure("up", "dev", d.opts.StateDir, err, &localrun.Server{URL: url, LogFile: d.moto.LogFile}, localrun.Alive)
		assert.Contains(t, msg, "the emulator at "+url+" went away")
		assert.Contains(t, msg, d.moto.LogFile)
		assert.Contains(t, msg, "make local")
	case <-time.After(goneBound):
		cancel() // the Automation API interrupts the CLI
		<-done
		t.Errorf("up still running %s after the emulator went away (engine output in %s)", goneBound, d.log.Name())
	}

	// Every process of the run carries the emulator's URL in its
	// environment (the CLI, the aws plugin, the Terraform provider): none
	// outlives the run. The plugin notices its engine is gone within a few
	// seconds.
	var left []string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		left = processesWithEnv("AWS_ENDPOINT_URL=" + url)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	assert.Empty(t, left, "processes of the run left behind")
}

// processesWithEnv lists the processes (pid and command line) other than
// this one whose environment holds the entry kv.
func processesWithEnv(kv string) []string {
	var found []string
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, e := range strings.Split(string(env), "\x00") {
			if e == kv {
				cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
				found = append(found, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
				break
			}
		}
	}
	return found
}
