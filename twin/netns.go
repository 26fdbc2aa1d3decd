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
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
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
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	return nil
}

// Leftovers removes what crashed runs left behind: every namespace whose
// name starts with the prefix and whose run's owner is no longer alive, and
// those runs' state folders. It returns the names it removed.
func Leftovers() ([]string, error) {
	var removed []string
	var errs []error
	alive := map[string]bool{}
	runs, _ := os.ReadDir(StateRoot)
	for _, r := range runs {
		b, err := os.ReadFile(filepath.Join(StateRoot, r.Name(), "owner"))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil && time.Since(modTime(r)) < time.Minute {
			alive[r.Name()] = true // a run that is still writing its owner file
			continue
		}
		if pid > 0 && (pid == os.Getpid() || syscall.Kill(pid, 0) == nil) {
			alive[r.Name()] = true
			continue
		}
		if err := os.RemoveAll(filepath.Join(StateRoot, r.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, Prefix) || !strings.Contains(n, "-") {
			continue
		}
		if alive[n[:strings.Index(n, "-")]] {
			continue
		}
		if err := removeNetNS(n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, n)
	}
	return removed, errors.Join(errs...)
}

func modTime(e os.DirEntry) time.Time {
	if fi, err := e.Info(); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}
