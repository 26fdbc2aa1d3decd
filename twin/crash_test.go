package twin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/internal-alb/internal-alb/verify/fixture"
)

// The crash tests run the twin of the dev plan in a child process (this test
// binary again, running only TestCrashChild) and kill or interrupt it at
// chosen moments. A SIGKILLed run leaves namespaces, processes and its state
// folder behind: Leftovers must remove all of them, and the next Up must
// start clean. A run interrupted by SIGTERM or SIGINT, as the twin command
// is, must tear itself down and leave nothing.

const (
	crashModeEnv = "TWIN_CRASH_CHILD" // "crash" or "signal": what TestCrashChild does
	crashDirEnv  = "TWIN_CRASH_DIR"   // where it writes its markers
)

// Markers the child writes into its folder.
const (
	markUp          = "up"          // Up returned
	markReady       = "ready"       // the twin answers: holds the run's name
	markInterrupted = "interrupted" // Up returned an error because of the signal
	markClosed      = "closed"      // Close returned after the signal
)

// TestCrashChild is the child of the crash tests; it does nothing unless
// they start it. "crash": Up, WaitHealthy, ready, then wait to be killed.
// "signal": as the twin command does, Up under signal.NotifyContext, ready,
// then wait for SIGINT or SIGTERM and Close.
func TestCrashChild(t *testing.T) {
	mode, dir := os.Getenv(crashModeEnv), os.Getenv(crashDirEnv)
	if mode == "" || dir == "" {
		t.Skip("the crash tests' child: runs only when TestCrash or TestInterrupt starts it")
	}
	needRoot(t)
	mark := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	o := Options{HealthInterval: 300 * time.Millisecond, Log: os.Stderr}
	switch mode {
	case "crash":
		tw, err := Up(context.Background(), fixture.Default(), o)
		require.NoError(t, err)
		mark(markUp, tw.Run)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, tw.WaitHealthy(ctx))
		mark(markReady, tw.Run)
		// The parent SIGKILLs this process now. Should it not (it died),
		// clean up after a while rather than leave the twin running.
		time.Sleep(45 * time.Second)
		assert.NoError(t, tw.Close())
		t.Fatal("not killed")
	case "signal":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		tw, err := Up(ctx, fixture.Default(), o)
		if err != nil {
			require.Error(t, ctx.Err(), "Up failed without a signal: %v", err)
			t.Logf("interrupted during Up: %v", err)
			mark(markInterrupted, err.Error())
			return // Up removed what it made
		}
		// Up checks ctx last thing before it returns: done now, it was done
		// then (but for a signal in the few instructions between).
		assert.NoError(t, ctx.Err(), "Up returned a twin though it was interrupted")
		mark(markUp, tw.Run)
		mark(markReady, tw.Run)
		select {
		case <-ctx.Done():
		case <-time.After(45 * time.Second):
			t.Error("no signal came")
		}
		require.NoError(t, tw.Close())
		assert.Empty(t, namespacesOf(tw.Run), "namespaces left after Close")
		mark(markClosed, tw.Run)
	default:
		t.Fatalf("%s=%q: want crash or signal", crashModeEnv, mode)
	}
}

// child is a running TestCrashChild.
type child struct {
	cmd    *exec.Cmd
	dir    string
	exited chan struct{} // closed when cmd has been waited for
	err    error         // cmd.Wait's, once exited is closed
	run    string        // its run's name, once found
}

// startChild runs TestCrashChild in mode. The child is killed and what it
// left removed when the test ends, whatever happened.
func startChild(t *testing.T, mode string) *child {
	t.Helper()
	c := &child{dir: t.TempDir(), exited: make(chan struct{})}
	out, err := os.Create(filepath.Join(c.dir, "output"))
	require.NoError(t, err)
	defer out.Close()
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v", "-test.timeout=2m")
	c.cmd.Env = append(os.Environ(), crashModeEnv+"="+mode, crashDirEnv+"="+c.dir)
	c.cmd.Stdout, c.cmd.Stderr = out, out
	// Its own process group, as a command started from a shell; killed if
	// this process dies first.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, c.cmd.Start())
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		// The child first: Leftovers spares a run whose owner lives (a
		// zombie too, hence the wait).
		_ = c.cmd.Process.Kill()
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("child %d does not exit", c.cmd.Process.Pid)
		}
		if removed, err := Leftovers(); err != nil {
			t.Errorf("cleaning up: %v", err)
		} else if len(removed) > 0 && !t.Failed() {
			t.Errorf("cleaning up: the test had left %v", removed)
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, "output"))
			t.Logf("child's output:\n%s", b)
		}
	})
	return c
}

func (c *child) marked(name string) bool {
	_, err := os.Stat(filepath.Join(c.dir, name))
	return err == nil
}

func (c *child) done() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// waitFor polls cond every millisecond until it holds, and fails the test
// if the child exits first or the deadline passes.
func (c *child) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if c.done() {
			t.Fatalf("waiting for %s: the child exited: %v", what, c.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %s", what, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// findRun is true once the child's run is known: the state folder whose
// owner file holds the child's pid.
func (c *child) findRun() bool {
	if c.run != "" {
		return true
	}
	runs, _ := os.ReadDir(StateRoot)
	for _, r := range runs {
		b, _ := os.ReadFile(filepath.Join(StateRoot, r.Name(), "owner"))
		if strings.TrimSpace(string(b)) == strconv.Itoa(c.cmd.Process.Pid) {
			c.run = r.Name()
			return true
		}
	}
	return false
}

// wait waits for the child to exit.
func (c *child) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(timeout):
		t.Fatalf("the child did not exit within %s", timeout)
	}
}

// When the child is killed.
var (
	// firstNamespace: as soon as the run has a namespace, before Up made the
	// rest.
	firstNamespace = func(c *child) bool { return c.findRun() && len(namespacesOf(c.run)) > 0 }
	// userData: as soon as an instance runs its user data: namespaces,
	// firewalls and services are made, holders are up or starting, user
	// data scripts starting their web servers.
	userData = func(c *child) bool {
		if !c.findRun() {
			return false
		}
		return len(snapshot(c.run).processesRunning("/var/lib/cloud/instance/scripts/part-001")) > 0
	}
	// ready: Up returned (and in "crash" mode the ALB finds its targets
	// healthy).
	ready = func(c *child) bool { return c.findRun() && c.marked(markReady) }
)

// Killed mid-start and mid-run: what the run left, Leftovers removes, and
// the next run starts clean.
func TestCrash(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name     string
		killAt   func(*child) bool
		midStart bool // before Up returns
	}{
		{"FirstNamespace", firstNamespace, true},
		{"UserData", userData, true},
		{"Running", ready, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t, "crash")
			c.waitFor(t, "the moment to kill", 30*time.Second, func() bool { return tc.killAt(c) })
			require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
			c.wait(t, 10*time.Second)
			if tc.midStart {
				assert.False(t, c.marked(markUp), "killed too late: Up had returned")
			}

			left := snapshot(c.run)
			t.Logf("run %s killed; left %d namespaces, %d processes, state folder: %v", c.run, len(left.ns), len(left.procs), left.dir)
			if !tc.midStart {
				// Else the test shows nothing: the kill left a whole twin.
				assert.True(t, left.dir, "no state folder left")
				assert.NotEmpty(t, left.ns, "no namespace left")
				assert.True(t, slices.ContainsFunc(left.procs, func(p proc) bool { return strings.Contains(p.cmd, "http.server") }),
					"no web server left: %v", left.procs)
				assert.True(t, slices.ContainsFunc(left.procs, func(p proc) bool { return p.cmd == "sleep infinity" }),
					"no holder left: %v", left.procs)
			}

			removed, err := Leftovers()
			require.NoError(t, err)
			for name := range left.ns {
				assert.Contains(t, removed, name, "Leftovers did not report it")
			}
			left.assertGone(t)

			freshUp(t)
		})
	}
}

// freshUp: a run after a crashed one starts (its own Leftovers finds
// nothing that stops it) and its Close leaves nothing.
func freshUp(t *testing.T) {
	t.Helper()
	var log strings.Builder
	tw, err := Up(context.Background(), fixture.Default(), Options{HealthInterval: 300 * time.Millisecond, Log: &lockedWriter{w: &log}})
	require.NoError(t, err, log.String())
	s := snapshot(tw.Run)
	assert.NotEmpty(t, s.ns)
	assert.NoError(t, tw.Close(), log.String())
	s.assertGone(t)
}

// Interrupted as the twin command is: SIGTERM sent to the process (kill,
// systemd), SIGINT sent to its process group (Ctrl-C in a terminal), while
// it runs or while Up is still building. It tears down and leaves nothing.
func TestInterrupt(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name     string
		sig      syscall.Signal
		group    bool // to the process group, as a terminal's Ctrl-C
		sendAt   func(*child) bool
		midStart bool // before Up returns
	}{
		{"SIGTERM", syscall.SIGTERM, false, ready, false},
		{"SIGINT", syscall.SIGINT, true, ready, false},
		{"SIGTERMDuringUp", syscall.SIGTERM, false, firstNamespace, true},
		{"SIGINTDuringUserData", syscall.SIGINT, true, userData, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t, "signal")
			c.waitFor(t, "the moment to signal", 30*time.Second, func() bool { return tc.sendAt(c) })
			// Its namespaces (the processes are the child's own until it
			// exits). The first may not be mounted yet: a plain file.
			require.NotEmpty(t, namespacesOf(c.run))
			s := snapshot(c.run)
			pid := c.cmd.Process.Pid
			if tc.group {
				pid = -pid
			}
			require.NoError(t, syscall.Kill(pid, tc.sig))
			c.wait(t, 30*time.Second)
			require.NoError(t, c.err, "the child did not exit cleanly")
			t.Logf("run %s: Up returned: %v, interrupted during Up: %v, closed: %v", c.run, c.marked(markUp), c.marked(markInterrupted), c.marked(markClosed))
			if tc.midStart {
				assert.True(t, c.marked(markInterrupted) || c.marked(markClosed), "neither interrupted nor closed")
				if c.marked(markUp) {
					t.Logf("note: Up had returned before the signal")
				} else {
					assert.True(t, c.marked(markInterrupted), "Up returned success after the signal")
				}
			} else {
				assert.True(t, c.marked(markClosed), "the child did not close the twin")
			}
			s.assertGone(t)
		})
	}
}

// TestCrashBetweenFileAndMount: a run killed inside netns.NewNamed, after
// it created /run/netns/NAME and before it mounted the namespace on it,
// leaves a plain file. Leftovers removes it (and a whole namespace of the
// run, with a process in it); it must not fail on it, or every later Up
// would.
func TestCrashBetweenFileAndMount(t *testing.T) {
	needRoot(t)
	sh := fakeRun(t, deadPid(t))
	_, err := sh.netns("vpc-foo")
	require.NoError(t, err)
	sleeper(t, sh.path("vpc-foo"))
	for _, h := range sh.handles { // the crashed process's are closed
		h.Close()
	}
	sh.handles = map[string]netns.NsHandle{}
	half := sh.path("eni-half")
	require.NoError(t, os.WriteFile(half, nil, 0o444))
	sh.made = append(sh.made, sh.name("eni-half"))
	s := snapshot(sh.run)
	require.Len(t, s.ns, 1) // the plain file is not a namespace
	require.NotEmpty(t, s.procs)

	removed, err := Leftovers()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{sh.name("vpc-foo"), sh.name("eni-half")}, removed)
	_, err = os.Lstat(half)
	assert.ErrorIs(t, err, os.ErrNotExist, "the half-made namespace's file is left")
	s.assertGone(t)
	freshUp(t)
}

// TestCrashLeftoversSparesTheLiving: Leftovers leaves alone a run whose
// owner lives, a run that has not written its owner file yet (or is writing
// it), and a namespace whose name starts with the prefix but is no run's
// (the host package's tests make "iathosttest-…" ones, and `go test ./...`
// runs them at the same time as this package's).
func TestCrashLeftoversSparesTheLiving(t *testing.T) {
	needRoot(t)
	live := exec.Command("sleep", "60")
	require.NoError(t, live.Start())
	t.Cleanup(func() { _ = live.Process.Kill(); _ = live.Wait() })

	var spared []*shell
	for _, owner := range []string{strconv.Itoa(live.Process.Pid), "", "-"} {
		sh := fakeRun(t, 0)
		if owner != "-" {
			require.NoError(t, os.WriteFile(filepath.Join(sh.dir, "owner"), []byte(owner), 0o600))
		}
		spared = append(spared, sh)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	spared = append(spared, &shell{run: Prefix + "crashtest" + hex.EncodeToString(b), dir: t.TempDir(), handles: map[string]netns.NsHandle{}})
	t.Cleanup(func() { assert.NoError(t, spared[len(spared)-1].teardown()) })
	var want []string
	for _, sh := range spared {
		_, err := sh.netns("vpc")
		require.NoError(t, err)
		sleeper(t, sh.path("vpc"))
		want = append(want, sh.name("vpc"))
	}

	removed, err := Leftovers()
	require.NoError(t, err)
	for _, n := range want {
		assert.NotContains(t, removed, n)
		_, err := os.Stat(filepath.Join(netnsDir, n))
		assert.NoError(t, err, "removed")
	}
	for _, sh := range spared[:3] {
		_, err := os.Stat(sh.dir)
		assert.NoError(t, err, "state folder removed")
	}
	for _, sh := range spared {
		s := snapshot(sh.run)
		assert.NotEmpty(t, s.procs, "processes of %s killed", sh.run)
	}
}

// fakeRun claims a run's name and state folder as newShell does, with owner
// pid (none when 0). Its namespaces, processes and folder are removed at the
// end of the test.
func fakeRun(t *testing.T, pid int) *shell {
	t.Helper()
	require.NoError(t, os.MkdirAll(StateRoot, 0o700))
	for i := 0; ; i++ {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		run := Prefix + hex.EncodeToString(b)
		dir := filepath.Join(StateRoot, run)
		err := os.Mkdir(dir, 0o700)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		require.NoError(t, err)
		if pid > 0 {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(pid)), 0o600))
		}
		sh := &shell{run: run, dir: dir, handles: map[string]netns.NsHandle{}}
		t.Cleanup(func() { assert.NoError(t, sh.teardown()) })
		return sh
	}
}

// deadPid is the pid of a process that has exited (and been waited for).
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	return cmd.Process.Pid
}

// sleeper runs a process in a namespace, as a crashed run's instances.
func sleeper(t *testing.T, nsPath string) {
	t.Helper()
	cmd := exec.Command("nsenter", "--net="+nsPath, "--", "sleep", "60")
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	// Once it runs sleep it is in the namespace.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		if strings.HasPrefix(string(b), "sleep\x00") {
			return
		}
		require.True(t, time.Now().Before(deadline), "nsenter did not start sleep")
		time.Sleep(5 * time.Millisecond)
	}
}

// nsKey names a namespace: the device and inode of its nsfs file.
type nsKey struct{ dev, ino uint64 }

func nsKeyOf(path string) (nsKey, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsKey{}, false
	}
	return nsKey{uint64(st.Dev), st.Ino}, true
}

type proc struct {
	pid int
	cmd string // its command line, spaces between the arguments
}

func (p proc) String() string { return fmt.Sprintf("%d %q", p.pid, p.cmd) }

// runState is what a run has on the machine.
type runState struct {
	run   string
	dir   bool             // its state folder exists
	ns    map[string]nsKey // its namespaces by name (bind-mounted ones only)
	procs []proc           // processes in them, or naming its state folder
}

func snapshot(run string) runState {
	s := runState{run: run, ns: map[string]nsKey{}}
	_, err := os.Stat(filepath.Join(StateRoot, run))
	s.dir = err == nil
	for _, n := range namespacesOf(run) {
		p := filepath.Join(netnsDir, n)
		if k, ok := nsKeyOf(p); ok && isNsfs(p) {
			s.ns[n] = k
		}
	}
	s.procs = s.processes()
	return s
}

// isNsfs tells a namespace's file from the plain file under it.
func isNsfs(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == 0x6e736673 // NSFS_MAGIC
}

// processes lists the live processes in the snapshot's namespaces or whose
// command line names the run's state folder (a holder still booting).
// Zombies have no namespaces and no command line: they are not listed.
func (s runState) processes() []proc {
	keys := map[nsKey]bool{}
	for _, k := range s.ns {
		keys[k] = true
	}
	folder := filepath.Join(StateRoot, s.run) + "/"
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		k, ok := nsKeyOf(fmt.Sprintf("/proc/%d/ns/net", pid))
		if (ok && keys[k]) || strings.Contains(cmd, folder) {
			out = append(out, proc{pid, cmd})
		}
	}
	return out
}

// processesRunning lists the processes in the run's namespaces whose
// command line holds s.
func (s runState) processesRunning(cmd string) []proc {
	var out []proc
	for _, p := range s.procs {
		if strings.Contains(p.cmd, cmd) {
			out = append(out, p)
		}
	}
	return out
}

// assertGone: nothing of the run is left on the machine, not a namespace,
// nor its state folder, nor a process in a namespace it had.
func (s runState) assertGone(t *testing.T) {
	t.Helper()
	assert.Empty(t, namespacesOf(s.run), "namespaces of %s left", s.run)
	_, err := os.Stat(filepath.Join(StateRoot, s.run))
	assert.ErrorIs(t, err, os.ErrNotExist, "state folder of %s left", s.run)
	assert.Empty(t, s.processes(), "processes of %s left", s.run)
}
