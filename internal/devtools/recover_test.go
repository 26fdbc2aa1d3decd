package devtools

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/awscheck"
)

const interrupted = `{"version":3,"deployment":{
 "resources":[
  {"urn":"urn:pulumi:dev::internal-alb::pulumi:pulumi:Stack::internal-alb-dev","custom":false,"type":"pulumi:pulumi:Stack"},
  {"urn":"urn:pulumi:dev::internal-alb::aws:ec2/vpc:Vpc::foo","custom":true,"id":"vpc-1","type":"aws:ec2/vpc:Vpc","outputs":{"arn":"arn:aws:ec2:r:1:vpc/vpc-1"}}],
 "pending_operations":[
  {"type":"creating","resource":{"urn":"urn:pulumi:dev::internal-alb::aws:lb/loadBalancer:LoadBalancer::foo-internal-alb","type":"aws:lb/loadBalancer:LoadBalancer","inputs":{"name":"foo"}}},
  {"type":"deleting","resource":{"urn":"urn:pulumi:dev::internal-alb::aws:ec2/subnet:Subnet::foo-private-1","id":"subnet-1","type":"aws:ec2/subnet:Subnet"}}]}}`

func TestStateIDsAndPendingOps(t *testing.T) {
	ids, err := StateIDsOf([]byte(interrupted))
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"vpc-1": true, "arn:aws:ec2:r:1:vpc/vpc-1": true}, ids)

	raw := []byte(interrupted)
	start := len(`{"version":3,"deployment":`)
	ops, ids2, err := pendingOps(raw[start : len(raw)-1])
	require.NoError(t, err)
	assert.Equal(t, ids, ids2)
	require.Len(t, ops, 2)
	assert.Equal(t, "creating", ops[0].Type)
	assert.Equal(t, "aws:lb/loadBalancer:LoadBalancer", ops[0].Resource.Type)
	assert.Equal(t, "deleting", ops[1].Type)

	for _, bad := range []string{``, `{`, `[]`, `{"version":3}`} {
		_, err := StateIDsOf([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestOrphansAreTheTaggedNotInTheState(t *testing.T) {
	tagged := []awscheck.Tagged{{Kind: "vpc", ID: "vpc-1"}, {Kind: "vpc", ID: "vpc-2"}, {Kind: "load-balancer", ID: "arn:lb"}}
	got := awscheck.Orphans(tagged, map[string]bool{"vpc-1": true, "arn:lb": true})
	assert.Equal(t, []awscheck.Tagged{{Kind: "vpc", ID: "vpc-2"}}, got)
}

// A lock whose process is gone is stale; one held by a running pulumi is
// not (this test's own process is no pulumi, so it counts as gone too).
func TestStackLocks(t *testing.T) {
	dir := t.TempDir()
	lockDir := filepath.Join(dir, ".pulumi", "locks", "organization", "internal-alb", "dev")
	require.NoError(t, os.MkdirAll(lockDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(lockDir, "a.json"),
		[]byte(`{"pid":`+itoa(os.Getpid())+`,"username":"u","hostname":"h","timestamp":"2026-12-02T07:00:00Z"}`), 0o600))
	other := filepath.Join(dir, ".pulumi", "locks", "organization", "internal-alb", "prod")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "b.json"), []byte(`{"pid":1}`), 0o600))

	locks, err := stackLocks(dir, "dev")
	require.NoError(t, err)
	require.Len(t, locks, 1)
	assert.Equal(t, os.Getpid(), locks[0].Pid)
	assert.False(t, pulumiAlive(locks[0].Pid), "the test binary is not a pulumi CLI")
	assert.False(t, pulumiAlive(1<<22+1), "no such process")

	none, err := stackLocks(t.TempDir(), "dev")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func itoa(i int) string { return strconv.Itoa(i) }

// A kill between the blob store's writing of a checkpoint's .attrs file and
// the rename of the checkpoint leaves the .attrs empty: recovery removes
// it, and keeps a whole one.
func TestRepairSidecars(t *testing.T) {
	dir := t.TempDir()
	stacks := filepath.Join(dir, ".pulumi", "stacks", "internal-alb")
	require.NoError(t, os.MkdirAll(stacks, 0o755))
	empty := filepath.Join(stacks, "dev.json.attrs")
	whole := filepath.Join(stacks, "prod.json.attrs")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	require.NoError(t, os.WriteFile(whole, []byte(`{"user.content_type":"application/json"}`), 0o600))
	var said []string
	require.NoError(t, repairSidecars(dir, func(f string, a ...any) { said = append(said, f) }))
	assert.NoFileExists(t, empty)
	assert.FileExists(t, whole)
	assert.Len(t, said, 1)
	require.NoError(t, repairSidecars(t.TempDir(), func(string, ...any) {}), "no backend yet")
}
