package host

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// This file is the pure core of the package: from a Host's settings and a
// few facts about the machine, bootPlan describes the instance's filesystem
// view (which directories are overlaid, which are fresh tmpfs, which files
// the instance starts with) and the environment of its commands. Start
// applies the plan; the tests read it without root.

// overlaid are the machine's directories an instance sees through an
// overlay: the machine's files are the lower layer, the instance's changes
// land in an upper layer under Host.Dir and never reach the machine.
var overlaid = []string{"/etc", "/var", "/usr", "/opt", "/root", "/srv", "/home"}

// fresh are the directories an instance gets empty, as a tmpfs of its own.
var fresh = []tmpfsMount{{Target: "/tmp", Mode: "1777"}, {Target: "/run", Mode: "0755"}}

// caBundle is the instance's trust store: the machine's CAs and the twin's.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// extraBundles are other well-known bundle paths that get the same content
// when the machine has them (Amazon Linux reads /etc/pki).
var extraBundles = []string{"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"}

// caVars are the variables tools read a CA bundle from; on the instance
// they all name caBundle.
var caVars = []string{"AWS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}

// passedVars are taken from the caller's environment when set: the aws CLI
// on the machine is a pyenv shim.
var passedVars = []string{"PYENV_ROOT", "PYENV_VERSION"}

// hiddenPaths are removed from the instance's view (a whiteout in the
// upper layer): an EC2 instance has no credentials but its role's.
var hiddenPaths = []string{"/root/.aws"}

// systemctlPath is where the systemctl stand-in is installed.
const systemctlPath = "/usr/bin/systemctl"

// defaultPath is used when the caller has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// layer is one overlaid directory.
type layer struct {
	Target string // the machine's directory, also the mount point
	Upper  string // the instance's changes, under Host.Dir
	Work   string // overlayfs's work directory, under Host.Dir
}

// tmpfsMount is one directory the instance gets empty.
type tmpfsMount struct {
	Target string
	Mode   string // octal, as tmpfs's mode= option
}

// bootFile is a file the instance starts with, written into the upper
// layer of the overlay that holds it before the overlay is mounted.
type bootFile struct {
	Path string // inside the instance
	Data []byte
	Mode fs.FileMode
}

// bootPlan is everything Start does, as data.
type bootPlan struct {
	Layers   []layer      // mounted in this order
	Tmpfs    []tmpfsMount // mounted after the layers
	Files    []bootFile
	Remove   []string // paths removed inside the instance after mounting
	Hostname string   // the kernel hostname of the instance's UTS namespace
	Env      []string // the environment of every command on the instance
}

// bootInput is what bootPlan needs to know; Lstat looks at the machine's
// filesystem (os.Lstat, or a fake in tests).
type bootInput struct {
	Name       string
	Dir        string // absolute
	Hostname   string
	Resolver   netip.Addr
	ExtraCA    []byte
	HostBundle []byte // the machine's caBundle, nil when it has none
	Env        func(string) string
	Lstat      func(string) (fs.FileInfo, error)
}

// planBoot describes an instance's boot.
func planBoot(in bootInput) (bootPlan, error) {
	var p bootPlan
	if in.Hostname == "" {
		return p, errors.New("Hostname is empty")
	}
	if !filepath.IsAbs(in.Dir) {
		return p, fmt.Errorf("Dir %q is not absolute", in.Dir)
	}
	// The overlay mount options separate layers with ':' and options with ','.
	if strings.ContainsAny(in.Dir, ",:\n") {
		return p, fmt.Errorf("Dir %q: an overlay's directories cannot contain ',', ':' or a newline", in.Dir)
	}
	if len(in.ExtraCA) > 0 && !hasCertificate(in.ExtraCA) {
		return p, errors.New("ExtraCA holds no PEM certificate")
	}

	var last []layer
	for _, t := range overlaid {
		fi, err := in.Lstat(t)
		if err != nil || !fi.IsDir() {
			// Missing, or a symlink into another directory: nothing to mount.
			continue
		}
		name := strings.TrimPrefix(t, "/")
		l := layer{Target: t, Upper: filepath.Join(in.Dir, "layers", name, "upper"), Work: filepath.Join(in.Dir, "layers", name, "work")}
		// The layers' paths are resolved when each overlay is mounted, so the
		// one that holds Dir goes last: mounted earlier, it would stand
		// between the later mounts and their upper directories.
		if within(in.Dir, t) {
			last = append(last, l)
			continue
		}
		p.Layers = append(p.Layers, l)
	}
	p.Layers = append(p.Layers, last...)
	p.Tmpfs = slices.Clone(fresh)

	p.Hostname = in.Hostname
	if len(p.Hostname) > 64 {
		p.Hostname, _, _ = strings.Cut(p.Hostname, ".")
	}

	bundle := caBundleFor(in.HostBundle, in.ExtraCA)
	p.Files = []bootFile{
		{Path: "/etc/resolv.conf", Data: resolvConf(in.Name, in.Hostname, in.Resolver), Mode: 0o644},
		{Path: "/etc/hostname", Data: []byte(in.Hostname + "\n"), Mode: 0o644},
		{Path: "/etc/hosts", Data: etcHosts(in.Hostname), Mode: 0o644},
		{Path: caBundle, Data: bundle, Mode: 0o644},
	}
	for _, b := range extraBundles {
		if _, err := in.Lstat(b); err == nil {
			p.Files = append(p.Files, bootFile{Path: b, Data: bundle, Mode: 0o644})
		}
	}
	p.Env = instanceEnv(in.Env)
	for _, s := range systemctlPaths(envValue(p.Env, "PATH"), in.Lstat) {
		p.Files = append(p.Files, bootFile{Path: s, Data: systemctlScript, Mode: 0o755})
	}
	for _, f := range p.Files {
		if p.layerFor(f.Path) == nil {
			return p, fmt.Errorf("%s is not in an overlaid directory of this machine", f.Path)
		}
	}
	for _, h := range hiddenPaths {
		if _, err := in.Lstat(h); err == nil {
			p.Remove = append(p.Remove, h)
		}
	}
	return p, nil
}

// steps are the holder script's arguments: one step after another.
func (p bootPlan) steps() []string {
	var s []string
	for _, l := range p.Layers {
		s = append(s, "overlay", l.Target, l.Upper, l.Work)
	}
	for _, t := range p.Tmpfs {
		s = append(s, "tmpfs", t.Target, t.Mode)
	}
	for _, r := range p.Remove {
		s = append(s, "remove", r)
	}
	return append(s, "hostname", p.Hostname)
}

// layerFor returns the layer that holds an instance path, or nil.
func (p bootPlan) layerFor(name string) *layer {
	for i := range p.Layers {
		if within(name, p.Layers[i].Target) {
			return &p.Layers[i]
		}
	}
	return nil
}

// upperPath is where an instance path's own copy lives on the machine, or
// "" when the path is not in an overlaid directory.
func (p bootPlan) upperPath(name string) string {
	l := p.layerFor(name)
	if l == nil {
		return ""
	}
	rel, _ := filepath.Rel(l.Target, name)
	return filepath.Join(l.Upper, rel)
}

// within tells whether name is dir or below it.
func within(name, dir string) bool {
	return name == dir || strings.HasPrefix(name, strings.TrimSuffix(dir, "/")+"/")
}

func hasCertificate(b []byte) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if blk.Type == "CERTIFICATE" {
			return true
		}
	}
}

// caBundleFor is the machine's bundle followed by the twin's CA.
func caBundleFor(host, extra []byte) []byte {
	var b bytes.Buffer
	b.Write(host)
	if b.Len() > 0 && !bytes.HasSuffix(host, []byte("\n")) {
		b.WriteByte('\n')
	}
	if len(extra) > 0 {
		b.WriteString("# The data-plane twin's CA\n")
		b.Write(extra)
		if !bytes.HasSuffix(extra, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// resolvConf is /etc/resolv.conf as an Amazon Linux instance gets it from
// the VPC's DHCP options: the resolver, the region's search domain (the
// hostname's domain) and Amazon Linux's options.
func resolvConf(name, hostname string, resolver netip.Addr) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "; generated by the data-plane twin for %s\n", name)
	if _, domain, ok := strings.Cut(hostname, "."); ok && domain != "" {
		fmt.Fprintf(&b, "search %s\n", domain)
	}
	fmt.Fprintf(&b, "options timeout:2 attempts:5\n")
	if resolver.IsValid() {
		fmt.Fprintf(&b, "nameserver %s\n", resolver)
	} else {
		fmt.Fprintf(&b, "; no resolver\n")
	}
	return []byte(b.String())
}

// etcHosts is Amazon Linux's /etc/hosts plus a line for the instance's own
// name, at the address EC2 encodes in it (ip-10-2-1-10 is 10.2.1.10), or
// at 127.0.1.1 when the name encodes none.
func etcHosts(hostname string) []byte {
	short, _, _ := strings.Cut(hostname, ".")
	addr := "127.0.1.1"
	if a, ok := addrOfHostname(short); ok {
		addr = a.String()
	}
	names := hostname
	if short != hostname {
		names += " " + short
	}
	return []byte("127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n" +
		"::1         localhost6 localhost6.localdomain6\n" +
		addr + " " + names + "\n")
}

// addrOfHostname reads the IPv4 address out of an EC2 name "ip-a-b-c-d".
func addrOfHostname(short string) (netip.Addr, bool) {
	rest, ok := strings.CutPrefix(short, "ip-")
	if !ok {
		return netip.Addr{}, false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, s := range parts {
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// instanceEnv is the environment of commands on the instance. It starts
// from nothing, so none of the caller's AWS_* variables (credentials,
// AWS_ENDPOINT_URL, AWS_PROFILE) reach the instance: there, credentials
// come only from the metadata service.
func instanceEnv(getenv func(string) string) []string {
	p := getenv("PATH")
	if p == "" {
		p = defaultPath
	}
	dirs := filepath.SplitList(p)
	for _, d := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if !slices.Contains(dirs, d) {
			p += ":" + d
		}
	}
	env := []string{"PATH=" + p, "HOME=/root", "LANG=C.UTF-8", "USER=root", "LOGNAME=root"}
	for _, v := range caVars {
		env = append(env, v+"="+caBundle)
	}
	for _, v := range passedVars {
		if s := getenv(v); s != "" {
			env = append(env, v+"="+s)
		}
	}
	return env
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// systemctlPaths are where the stand-in goes: systemctlPath, and any
// systemctl of the machine that the instance's PATH would find first.
func systemctlPaths(pathList string, lstat func(string) (fs.FileInfo, error)) []string {
	out := []string{systemctlPath}
	for _, d := range filepath.SplitList(pathList) {
		d = path.Clean(d)
		if d == path.Dir(systemctlPath) {
			break
		}
		if fi, err := lstat(d); err != nil || !fi.IsDir() {
			continue // a symlinked directory resolves into an overlaid one, or nowhere
		}
		if _, err := lstat(d + "/systemctl"); err == nil && slices.ContainsFunc(overlaid, func(t string) bool { return within(d, t) }) {
			out = append(out, d+"/systemctl")
		}
	}
	return out
}
