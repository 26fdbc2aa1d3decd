package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// nsID names a namespace: the device and inode of its nsfs file, the same
// through /proc/PID/ns/* and through a bind mount such as /run/netns/NAME.
type nsID struct{ dev, ino uint64 }

func nsOf(name string) (nsID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(name, &st); err != nil {
		return nsID{}, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return nsID{uint64(st.Dev), st.Ino}, nil
}

// own holds this process's namespaces as they were when it started. Later,
// /proc/self names the main thread's, which may be inside a twin namespace
// for a moment (a service dialling from there).
var own = map[string]nsID{}

func init() {
	for _, kind := range []string{"net"} {
		if id, err := nsOf("/proc/self/ns/" + kind); err == nil {
			own[kind] = id
		}
	}
}

// notOwn refuses a namespace that this process started in or pid 1 is in:
// killing "its" processes would kill the machine's.
func notOwn(id nsID, kind string) error {
	if o, ok := own[kind]; ok && o == id {
		return fmt.Errorf("refusing: /proc/self/ns/%s is the machine's own %s namespace", kind, kind)
	}
	if o, err := nsOf("/proc/1/ns/" + kind); err == nil && o == id {
		return fmt.Errorf("refusing: /proc/1/ns/%s is the machine's own %s namespace", kind, kind)
	}
	return nil
}

// KillNetNS kills every process in the network namespace at nsPath (found
// by /proc/*/ns/net) and waits until they are gone. It cleans up after a
// crashed run; a missing nsPath is not an error. It refuses the machine's
// own network namespace.
func KillNetNS(nsPath string) error {
	id, err := nsOf(nsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kill processes in %s: %w", nsPath, err)
	}
	if err := notOwn(id, "net"); err != nil {
		return fmt.Errorf("kill processes in %s: %w", nsPath, err)
	}
	return killAll(nsPath, func(pid int) bool {
		got, err := nsOf("/proc/" + strconv.Itoa(pid) + "/ns/net")
		return err == nil && got == id
	})
}

// killTimeout bounds how long killAll waits for processes to go.
const killTimeout = 10 * time.Second

// killAll sends SIGKILL to every process that match selects, again and
// again (a process may fork while it is being killed), until none is left.
// This process itself is never selected. A zombie is gone for this purpose:
// its namespaces are released when it exits.
func killAll(what string, match func(pid int) bool) error {
	deadline := time.Now().Add(killTimeout)
	for {
		pids, err := processes(match)
		if err != nil {
			return fmt.Errorf("kill processes in %s: %w", what, err)
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kill processes in %s: still running after %s: %v", what, killTimeout, pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL) // it may be gone already
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processes lists the pids that match selects.
func processes(match func(pid int) bool) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if match(pid) {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}
