package twin

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/internal-alb/internal-alb/twin/host"
)

// Prefix starts the name of every namespace the twin makes, and of its
// state folder under StateRoot: "iat" and four hex digits of the run.
const Prefix = "iat"

// StateRoot holds one folder per run: its owner's pid and its hosts' files.
const StateRoot = "/run/iatwin"

const netnsDir = "/run/netns"

// shell carries a Spec out: it makes namespaces, links, addresses, routes
// and firewalls, recording each namespace as it makes it, so that teardown
// (and a later run finding a crashed run's leftovers) removes exactly those.
type shell struct {
	run     string // e.g. "iat3f2a"
	dir     string // StateRoot/run
	made    []string
	handles map[string]netns.NsHandle
}

func newShell() (*shell, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if err := os.MkdirAll(StateRoot, 0o700); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	// The run's folder is its claim on the name: Mkdir fails if another run
	// (of this process too: tests run several twins at once) holds it.
	var run, dir string
	for i := 0; ; i++ {
		run = fmt.Sprintf("%s%04x", Prefix, (os.Getpid()+i*7919)&0xffff)
		dir = filepath.Join(StateRoot, run)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return nil, fmt.Errorf("state folder: %w", err)
		}
	}
	// Written aside and renamed, so that Leftovers in another process reads
	// the whole pid or no file, never an empty one.
	tmp := filepath.Join(dir, "owner.new")
	err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o600)
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, "owner"))
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("state folder: %w", err)
	}
	return &shell{run: run, dir: dir, handles: map[string]netns.NsHandle{}}, nil
}

// name is a namespace's full name.
func (sh *shell) name(short string) string { return sh.run + "-" + short }

// path is a namespace's file.
func (sh *shell) path(short string) string { return filepath.Join(netnsDir, sh.name(short)) }

// inNS runs f on an OS thread switched into the namespace: sockets f opens
// stay in that namespace. If the thread cannot be switched back it is left
// locked, so the runtime retires it with the goroutine.
func inNS(path string, f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current namespace: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromPath(path)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("namespace %s: %w", path, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", path, err)
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		return errors.Join(ferr, fmt.Errorf("leave %s: %w", path, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// netns makes a namespace, brings its loopback up and records it.
func (sh *shell) netns(short string) (netns.NsHandle, error) {
	name := sh.name(short)
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return 0, err
	}
	defer orig.Close()
	h, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		return 0, fmt.Errorf("namespace %s: leave: %w", name, serr) // thread stays locked and dies
	}
	runtime.UnlockOSThread()
	if err != nil {
		return 0, fmt.Errorf("namespace %s: %w", name, err)
	}
	sh.made = append(sh.made, name)
	sh.handles[short] = h
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return 0, fmt.Errorf("namespace %s: netlink: %w", name, err)
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err == nil {
		err = nl.LinkSetUp(lo)
	}
	if err != nil {
		return 0, fmt.Errorf("namespace %s: loopback: %w", name, err)
	}
	return h, nil
}

// sysctl writes a value under /proc/sys/net inside a namespace.
func (sh *shell) sysctl(short string, kv ...string) error {
	return inNS(sh.path(short), func() error {
		for i := 0; i+1 < len(kv); i += 2 {
			p := filepath.Join("/proc/sys/net", strings.ReplaceAll(kv[i], ".", "/"))
			if err := os.WriteFile(p, []byte(kv[i+1]), 0o644); err != nil {
				return fmt.Errorf("sysctl %s: %w", kv[i], err)
			}
		}
		return nil
	})
}

// veth makes a pair between namespaces a (interface an) and b (bn), with
// their addresses, both up.
func (sh *shell) veth(a, an string, aAddr netip.Prefix, b, bn string, bAddr netip.Prefix) error {
	ha, err := netlink.NewHandleAt(sh.handles[a])
	if err != nil {
		return err
	}
	defer ha.Close()
	hb, err := netlink.NewHandleAt(sh.handles[b])
	if err != nil {
		return err
	}
	defer hb.Close()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: an}, PeerName: bn, PeerNamespace: netlink.NsFd(int(sh.handles[b]))}
	if err := ha.LinkAdd(v); err != nil {
		return fmt.Errorf("veth %s/%s–%s/%s: %w", sh.name(a), an, sh.name(b), bn, err)
	}
	for _, side := range []struct {
		h    *netlink.Handle
		name string
		addr netip.Prefix
	}{{ha, an, aAddr}, {hb, bn, bAddr}} {
		l, err := side.h.LinkByName(side.name)
		if err != nil {
			return fmt.Errorf("link %s: %w", side.name, err)
		}
		if side.addr.IsValid() {
			if err := side.h.AddrAdd(l, &netlink.Addr{IPNet: ipnet(side.addr)}); err != nil {
				return fmt.Errorf("address %s on %s: %w", side.addr, side.name, err)
			}
		}
		if err := side.h.LinkSetUp(l); err != nil {
			return fmt.Errorf("link %s up: %w", side.name, err)
		}
	}
	return nil
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// teardown stops every process in the run's namespaces and deletes them,
// newest first, then the run's state folder. It goes on past errors and
// returns them all.
func (sh *shell) teardown() error {
	var errs []error
	for i := len(sh.made) - 1; i >= 0; i-- {
		if err := removeNetNS(sh.made[i]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, h := range sh.handles {
		h.Close()
	}
	sh.made, sh.handles = nil, map[string]netns.NsHandle{}
	if err := os.RemoveAll(sh.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func removeNetNS(name string) error {
	p := filepath.Join(netnsDir, name)
	if err := host.KillNetNS(p); err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	// A run killed inside netns.NewNamed, between creating the file and
	// mounting the namespace on it, left a plain file: nothing to unmount
	// (EINVAL), but the file goes all the same.
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("namespace %s: unmount: %w", name, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	return nil
}

// Leftovers removes what crashed runs left behind: the namespaces of every
// run (named Prefix and four hex digits) whose owner is no longer alive,
// with every process in them, then those runs' state folders. A namespace
// whose run has no state folder left (a teardown that crashed itself) goes
// too; one whose name starts with the prefix but is no run's is left alone.
// It returns the names of the namespaces it removed.
func Leftovers() ([]string, error) {
	var removed []string
	var errs []error
	// Whether a run lives is read when its first namespace or its folder is
	// met, not before: a run that starts meanwhile makes its folder and
	// owner file before its first namespace.
	alive := map[string]bool{}
	lives := func(run string) bool {
		a, ok := alive[run]
		if !ok {
			a = ownerAlive(run)
			alive[run] = a
		}
		return a
	}
	// Namespaces (and their processes) first: the processes of a crashed
	// run's instances may write into its folder until they are killed.
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		n := e.Name()
		run := runOf(n)
		if run == "" || lives(run) {
			continue
		}
		if err := removeNetNS(n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, n)
	}
	runs, _ := os.ReadDir(StateRoot)
	for _, r := range runs {
		if lives(r.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(StateRoot, r.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// runOf is the run a namespace belongs to ("iat3f2a" for
// "iat3f2a-vpc-foo"), or "" when the name is not one the twin makes.
func runOf(ns string) string {
	run, _, ok := strings.Cut(ns, "-")
	digits, hasPrefix := strings.CutPrefix(run, Prefix)
	if !ok || !hasPrefix || len(digits) != 4 {
		return ""
	}
	for _, c := range digits {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ""
		}
	}
	return run
}

// ownerAlive tells whether a run's owner process lives. A run without a
// state folder has none; one whose owner file is missing or unreadable
// lives for a minute after its folder last changed: it may be writing it.
func ownerAlive(run string) bool {
	dir := filepath.Join(StateRoot, run)
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, "owner"))
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || perr != nil || pid <= 0 {
		return time.Since(fi.ModTime()) < time.Minute
	}
	if pid == os.Getpid() {
		return true
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
