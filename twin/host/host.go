// Package host is an EC2 instance's operating system inside the data-plane
// twin: a filesystem view and processes of its own in the instance's network
// namespace.
//
// The caller makes the network namespace (interface, address, routes,
// firewall, metadata service at 169.254.169.254). Start gives the instance a
// mount namespace, held by one process for the instance's life, in which the
// machine's /etc, /var, /usr, /opt, /root, /srv and /home are overlays whose
// changes land under Host.Dir, and /tmp and /run are fresh tmpfs. Every
// Command enters that mount namespace (and the instance's network and UTS
// namespaces), so what the user data writes is there for later commands and
// for the services it started; nothing is mounted in the machine's own mount
// namespace and no file of the machine changes.
//
// systemd does not run in the twin: /usr/bin/systemctl on the instance is a
// stand-in (systemctl.sh) that runs units' ExecStart= as detached processes
// in the instance's namespaces and writes their output to
// /var/log/twin-journal/<unit>.log, which Logs reads.
package host

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed systemctl.sh
var systemctlScript []byte

// Host is one EC2 instance's operating system. Set the exported fields,
// then Start it; Stop kills all of its processes.
type Host struct {
	Name     string     // instance name, for logs and errors
	NetNS    string     // path of the instance's network namespace, e.g. /run/netns/iat1234-i-web1
	Dir      string     // private directory for the instance's state: created by Start, removed by the caller after Stop
	Hostname string     // e.g. ip-10-2-1-10.ap-northeast-1.compute.internal
	Resolver netip.Addr // the VPC's DNS resolver, the nameserver of /etc/resolv.conf (none when invalid)
	ExtraCA  []byte     // PEM of the twin's CA, trusted on the instance besides the machine's CAs

	mu      sync.Mutex
	plan    bootPlan      // set by Start, kept after Stop for Logs
	copied  []string      // overlaid directories that fell back to a tmpfs copy
	nsenter string        // nsenter's path on the machine
	holder  *exec.Cmd     // the process that holds the mount namespace
	pid     int           // holder's pid while running, else 0
	done    chan struct{} // closed when holder has been waited for
}

// bootFault, when set by a test, makes the holder fail after its mounts,
// as a Start that fails midway.
var bootFault string

// holderScript runs in the instance's new mount and UTS namespaces with the
// plan's steps as arguments, prints "ready" and becomes the holder.
//
// Overlay over /etc works when the machine's /etc/resolv.conf (or hosts,
// hostname) is a bind mount or a symlink, as in containers: the lower layer
// is the /etc directory itself, the bind mount stays behind in the mount
// tree under the new overlay, and the files of the upper layer stand in
// front of the lower layer's symlinks (TestStartOverBindMountAndSymlink).
// On this machine (ext4 root) overlay works for every directory; the tmpfs
// copy below is a fallback for machines whose Dir cannot hold an upper layer
// (an overlayfs root, for one): a private copy of the directory with the
// plan's files on top, whose changes live only as long as the holder.
const holderScript = `set -eu
while [ $# -gt 0 ]; do
	case $1 in
	overlay)
		if ! mount -t overlay iat-overlay -o "lowerdir=$2,upperdir=$3,workdir=$4" "$2"; then
			echo "overlay over $2 failed: using a tmpfs copy" >&2
			mount -t tmpfs -o mode=0755 iat-copy "$4"
			cp -a -x "$2/." "$4/"
			cp -a "$3/." "$4/"
			mount --bind "$4" "$2"
			echo "copied $2"
		fi
		shift 4 ;;
	tmpfs) mount -t tmpfs -o "mode=$3,nosuid,nodev" iat-tmpfs "$2"; shift 3 ;;
	remove) rm -rf -- "$2"; shift 2 ;;
	hostname) printf '%s' "$2" >/proc/sys/kernel/hostname; shift 2 ;;
	fail) echo "$2" >&2; exit 1 ;;
	*) echo "unknown boot step $1" >&2; exit 2 ;;
	esac
done
echo ready
exec sleep infinity </dev/null >/dev/null 2>&1
`

// Start boots the instance: it prepares the upper layers under Dir and
// starts the holder of the instance's mount namespace,
//
//	nsenter --net=NetNS -- unshare --mount --uts --propagation private -- sh -c holderScript
//
// which mounts the overlays and tmpfs and then sleeps. Start returns when
// the mounts are done. If Start fails, nothing of the instance is running.
// A stopped Host can be started again (a reboot: Dir keeps its files).
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.start(ctx); err != nil {
		return fmt.Errorf("host %s: start: %w", h.Name, err)
	}
	return nil
}

func (h *Host) start(ctx context.Context) error {
	if h.pid != 0 {
		return errors.New("already running")
	}
	if h.Name == "" {
		return errors.New("Name is empty")
	}
	if h.NetNS == "" {
		return errors.New("NetNS is empty")
	}
	if h.Dir == "" {
		return errors.New("Dir is empty")
	}
	if _, err := nsOf(h.NetNS); err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	dir, err := filepath.Abs(h.Dir)
	if err != nil {
		return err
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return err
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return err
	}
	hostBundle, err := os.ReadFile(caBundle)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	plan, err := planBoot(bootInput{Name: h.Name, Dir: dir, Hostname: h.Hostname, Resolver: h.Resolver,
		ExtraCA: h.ExtraCA, HostBundle: hostBundle, Env: os.Getenv, Lstat: os.Lstat})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := prepareLayers(plan); err != nil {
		return err
	}

	steps := plan.steps()
	if bootFault != "" {
		steps = append(steps, "fail", bootFault)
	}
	bootLog, err := os.Create(filepath.Join(dir, "boot.log"))
	if err != nil {
		return err
	}
	defer bootLog.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	args := append([]string{"--net=" + h.NetNS, "--", unshare, "--mount", "--uts", "--propagation", "private",
		"--", "/bin/sh", "-c", holderScript, "iat-holder-" + h.Name}, steps...)
	cmd := exec.Command(nsenter, args...)
	cmd.Env = []string{"PATH=" + defaultPath, "LANG=C.UTF-8"}
	cmd.Dir = "/"
	cmd.Stdout = w
	cmd.Stderr = bootLog
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // killed by Stop: its status says nothing
		close(done)
	}()
	// fail kills the holder: nothing else of the instance runs yet.
	fail := func(err error) error {
		_ = cmd.Process.Kill()
		<-done
		if b, _ := os.ReadFile(bootLog.Name()); len(bytes.TrimSpace(b)) > 0 {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(b))
		}
		return err
	}

	// The holder's stdout closes when it execs sleep (or exits).
	type report struct {
		lines []string
		err   error
	}
	got := make(chan report, 1)
	go func() {
		var rep report
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			rep.lines = append(rep.lines, sc.Text())
		}
		rep.err = sc.Err()
		got <- rep
	}()
	var rep report
	select {
	case <-ctx.Done():
		return fail(ctx.Err())
	case rep = <-got:
	}
	if rep.err != nil {
		return fail(rep.err)
	}
	var copied []string
	ready := false
	for _, l := range rep.lines {
		if d, ok := strings.CutPrefix(l, "copied "); ok {
			copied = append(copied, d)
		}
		ready = ready || l == "ready"
	}
	if !ready {
		return fail(errors.New("mount namespace setup failed"))
	}
	h.plan, h.copied, h.nsenter = plan, copied, nsenter
	h.holder, h.pid, h.done = cmd, cmd.Process.Pid, done
	return nil
}

// prepareLayers makes the upper and work directories and writes the plan's
// files into the upper layers. An upper directory gets the mode and owner
// of the machine's directory it stands for: overlayfs shows a merged
// directory with its upper directory's attributes.
func prepareLayers(p bootPlan) error {
	for _, l := range p.Layers {
		if err := mkdirLike(l.Upper, l.Target); err != nil {
			return err
		}
		if err := os.MkdirAll(l.Work, 0o700); err != nil {
			return err
		}
	}
	for _, f := range p.Files {
		l := p.layerFor(f.Path)
		rel, err := filepath.Rel(l.Target, filepath.Dir(f.Path))
		if err != nil {
			return err
		}
		hostDir, upperDir := l.Target, l.Upper
		if rel != "." {
			for _, c := range strings.Split(rel, "/") {
				hostDir, upperDir = filepath.Join(hostDir, c), filepath.Join(upperDir, c)
				if fi, err := os.Lstat(hostDir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
					// A directory of its own in the upper layer would hide
					// everything the symlink leads to.
					return fmt.Errorf("cannot place %s: %s is a symlink on this machine", f.Path, hostDir)
				}
				if err := mkdirLike(upperDir, hostDir); err != nil {
					return err
				}
			}
		}
		name := filepath.Join(upperDir, filepath.Base(f.Path))
		if err := os.WriteFile(name, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(name, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// mkdirLike makes dir with like's permissions and owner (0755 root when
// like does not exist).
func mkdirLike(dir, like string) error {
	mode, uid, gid := fs.FileMode(0o755), 0, 0
	if fi, err := os.Stat(like); err == nil {
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSticky | fs.ModeSetgid | fs.ModeSetuid)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Lchown(dir, uid, gid); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// Command returns a command run on the instance: in its mount, UTS and
// network namespaces, as root, with the instance's environment (the
// machine's PATH plus the sbin directories, HOME=/root, LANG=C.UTF-8, the CA
// variables naming the instance's bundle, PYENV_ROOT and PYENV_VERSION when
// set; nothing else of the caller's), in "/". name is looked up in the
// instance's PATH. The caller sets Stdin, Stdout and Stderr. On a Host that
// is not running, the command fails to start.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	h.mu.Lock()
	pid, nsenter, env := h.pid, h.nsenter, h.plan.Env
	h.mu.Unlock()
	if pid == 0 {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Err = fmt.Errorf("host %s: not running", h.Name)
		return cmd
	}
	a := append([]string{"--target", strconv.Itoa(pid), "--mount", "--uts", "--net", "--", name}, args...)
	cmd := exec.CommandContext(ctx, nsenter, a...)
	cmd.Env = env
	cmd.Dir = "/"
	return cmd
}

// root is the instance's filesystem as seen from the machine.
func (h *Host) root() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pid == 0 {
		return "", errors.New("not running")
	}
	return fmt.Sprintf("/proc/%d/root", h.pid), nil
}

// Stop kills every process of the instance: all processes in its network
// namespace or in its mount namespace (the holder among them), and waits
// until they are gone. Stop is idempotent; after it, Dir holds the
// instance's changes until the caller removes it.
func (h *Host) Stop() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pid == 0 {
		return nil
	}
	var errs []error
	// Every process of the instance is in its network namespace (the holder
	// entered it before making the mount namespace, and every command enters
	// both), and that namespace lives until the twin removes it after Stop:
	// its inode cannot be reused meanwhile. The mount namespace's can, as
	// soon as its last process is gone — by another twin's holder starting
	// at that moment — so it is never matched on.
	net, err := nsOf(h.NetNS)
	if err == nil {
		err = notOwn(net, "net")
	}
	if err != nil {
		errs = append(errs, err)
	} else if err := killAll(fmt.Sprintf("the network namespace of %s", h.Name), func(pid int) bool {
		id, err := nsOf(fmt.Sprintf("/proc/%d/ns/net", pid))
		return err == nil && id == net
	}); err != nil {
		errs = append(errs, err)
	}
	_ = h.holder.Process.Kill()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		errs = append(errs, fmt.Errorf("holder %d did not exit", h.pid))
	}
	h.holder, h.pid, h.done = nil, 0, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("host %s: stop: %w", h.Name, err)
	}
	return nil
}

// writeInside writes a file of the instance, creating its directory, from
// the machine's side through root.
func writeInside(root, name string, data []byte, mode fs.FileMode) error {
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

// appendInside opens a file of the instance for appending.
func appendInside(root, name string) (io.WriteCloser, error) {
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
}
