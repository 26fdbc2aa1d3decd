package host

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/vishvananda/netns"
)

// The tests below make real namespaces: each its own network namespace
// "iathosttest-<random>" with only lo in it (no link to the machine's
// namespace, no route out), deleted at the end.

const (
	testInstanceID = "i-0123456789abcdef0"
	testZone       = "ap-northeast-1a"
)

// needNamespaces skips a test that needs root and network namespaces, or
// fails it when CI=true says the machine must have them.
func needNamespaces(t *testing.T) {
	t.Helper()
	reason := ""
	if os.Geteuid() != 0 {
		reason = "not root"
	} else if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		reason = fmt.Sprintf("ip netns list: %v: %s", err, bytes.TrimSpace(out))
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("this test needs root and network namespaces (CI=true): %s", reason)
	}
	t.Skipf("this test needs root and network namespaces: %s", reason)
}

func runOut(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	return exec.Command(name, args...).CombinedOutput()
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := runOut(t, name, args...); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newNetNS makes a network namespace with lo up and returns its path.
func newNetNS(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "iathosttest-" + hex.EncodeToString(b)
	addNetNS(t, name)
	path := filepath.Join("/run/netns", name)
	t.Cleanup(func() {
		if err := KillNetNS(path); err != nil {
			t.Error(err)
		}
		if out, err := runOut(t, "ip", "netns", "del", name); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
	return path
}

// addNetNS makes the named namespace as the twin does (netns.NewNamed), not
// with `ip netns add`: that one also bind-mounts /run/netns onto itself when
// it is not a mount point yet, which hides the namespaces other runs (the
// root package's twins, at the same time) have mounted there, and their
// teardown then fails with "device or resource busy".
func addNetNS(t *testing.T, name string) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		t.Fatalf("back to the test's namespace: %v", serr)
	}
	if err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	h.Close()
}

// inNetNS lists the processes in a network namespace.
func inNetNS(t *testing.T, nsPath string) []int {
	t.Helper()
	id, err := nsOf(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := processes(func(pid int) bool {
		got, err := nsOf(fmt.Sprintf("/proc/%d/ns/net", pid))
		return err == nil && got == id
	})
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// listenIn opens a TCP listener inside a network namespace: on a locked
// thread moved there and back (the socket stays in the namespace).
func listenIn(t *testing.T, nsPath, addr string) net.Listener {
	t.Helper()
	type result struct {
		l   net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(nsPath)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			ch <- result{err: err}
			return
		}
		l, err := net.Listen("tcp", addr)
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread() // else the thread ends with this goroutine
		}
		ch <- result{l, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, nsPath, r.err)
	}
	t.Cleanup(func() { r.l.Close() })
	return r.l
}

// testPKI is a CA and a certificate it signed for the metadata address.
type testPKI struct {
	caPEM []byte
	leaf  tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iat host test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "169.254.169.254"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("169.254.169.254")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf:  tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key},
	}
}

// imds is a tiny instance metadata service (IMDSv2: a PUT for a token,
// then GETs that carry it) at 169.254.169.254 inside a namespace, on port
// 80 and, with the test CA's certificate, on 443.
type imds struct {
	mu       sync.Mutex
	requests []string
}

func (m *imds) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.requests...)
}

func serveIMDS(t *testing.T, nsPath string, pki testPKI) *imds {
	t.Helper()
	ip := exec.Command("ip", "-n", filepath.Base(nsPath), "addr", "add", "169.254.169.254/32", "dev", "lo")
	if out, err := ip.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", ip, err, out)
	}
	m := &imds{}
	const token = "test-token"
	answers := map[string]string{"instance-id": testInstanceID, "placement/availability-zone": testZone}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.requests = append(m.requests, r.Method+" "+r.URL.Path)
		m.mu.Unlock()
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				http.Error(w, "missing ttl", http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, token)
			return
		}
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		a, ok := answers[strings.TrimPrefix(r.URL.Path, "/latest/meta-data/")]
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, a)
	})
	plain := listenIn(t, nsPath, "169.254.169.254:80")
	secure := tls.NewListener(listenIn(t, nsPath, "169.254.169.254:443"), &tls.Config{Certificates: []tls.Certificate{pki.leaf}})
	for _, l := range []net.Listener{plain, secure} {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	return m
}

// newHost starts a Host on a namespace, with Stop in t.Cleanup.
func newHost(t *testing.T, nsPath, name, addr string, ca []byte) *Host {
	t.Helper()
	h := &Host{Name: name, NetNS: nsPath, Dir: filepath.Join(t.TempDir(), name),
		Hostname: "ip-" + strings.ReplaceAll(addr, ".", "-") + ".ap-northeast-1.compute.internal",
		Resolver: netip.MustParseAddr("10.2.0.2"), ExtraCA: ca}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// on runs a command on the instance and returns its stdout, stderr and
// exit code.
func on(t *testing.T, h *Host, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := h.Command(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("%s on %s: %v\n%s", name, h.Name, err, stderr.String())
	return "", "", 0
}

// must runs a command on the instance that has to succeed.
func must(t *testing.T, h *Host, name string, args ...string) string {
	t.Helper()
	out, errOut, code := on(t, h, "", name, args...)
	if code != 0 {
		t.Fatalf("%s %s on %s: exit %d\n%s%s", name, strings.Join(args, " "), h.Name, code, out, errOut)
	}
	return out
}

// webUserData renders the project's web server user data.
func webUserData(t *testing.T, name string, port int) string {
	t.Helper()
	tmpl, err := template.ParseFiles(filepath.Join("..", "..", "alb", "userdata.sh.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{"Name": name, "Port": port}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func fileSum(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// machineFiles are files of the machine an instance must not change.
var machineFiles = []string{"/etc/resolv.conf", "/etc/hosts", "/etc/hostname", caBundle, "/usr/bin/systemctl",
	"/etc/systemd/system/web.service", "/var/www/index.html", "/var/log/cloud-init-output.log", userDataPath}

func machineSums(t *testing.T) map[string]string {
	sums := map[string]string{}
	for _, f := range machineFiles {
		sums[f] = fileSum(t, f)
	}
	return sums
}

// The project's real web user data runs on an instance: it reads the
// metadata service, writes its page and unit, and starts the unit through
// the systemctl stand-in; the page is then served on :8080, the unit runs
// as an unprivileged user and its journal has the request. The machine's
// files do not change, the caller's AWS variables do not reach the
// instance, the twin's CA is trusted there, and Stop leaves no process.
func TestWebUserData(t *testing.T) {
	needNamespaces(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIALEAKED")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	if _, err := os.Stat("/var/www"); err == nil {
		t.Fatal("this machine has /var/www: the test cannot tell whether the instance wrote it")
	}
	before := machineSums(t)
	ns := newNetNS(t)
	pki := newTestPKI(t)
	meta := serveIMDS(t, ns, pki)
	h := newHost(t, ns, "web1", "10.2.1.10", pki.caPEM)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := h.RunUserData(ctx, webUserData(t, "web1", 8080))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Created symlink /etc/systemd/system/multi-user.target.wants/web.service") {
		t.Errorf("user data output lacks enable's line:\n%s", out)
	}
	if got := strings.Join(meta.seen(), ", "); !strings.Contains(got, "PUT /latest/api/token") || !strings.Contains(got, "GET /latest/meta-data/instance-id") {
		t.Errorf("metadata service saw %s", got)
	}

	// The service may take a moment to listen.
	var page, errOut string
	for range 50 {
		var code int
		page, errOut, code = on(t, h, "", "curl", "-sS", "http://127.0.0.1:8080/")
		if code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := "Hello World from web1 (" + testInstanceID + " in " + testZone + ")"; !strings.Contains(page, want) {
		t.Fatalf("page %q (%s), want it to contain %q\njournal: %s", page, errOut, want, mustLogs(t, h, "web.service"))
	}
	if got := must(t, h, "systemctl", "is-active", "web"); got != "active\n" {
		t.Errorf("is-active web: %q", got)
	}
	if got := must(t, h, "systemctl", "is-enabled", "web.service"); got != "enabled\n" {
		t.Errorf("is-enabled web: %q", got)
	}
	// DynamicUser=yes: the server runs as nobody.
	mainPID := strings.TrimSpace(must(t, h, "cat", "/run/twin-systemd/web.service.main"))
	status, err := os.ReadFile("/proc/" + mainPID + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nUid:\t65534\t65534\t65534\t65534\n") {
		t.Errorf("web.service main process %s is not uid 65534:\n%s", mainPID, status)
	}
	if logs := mustLogs(t, h, "web.service"); !strings.Contains(logs, `"GET / HTTP/1.1" 200`) {
		t.Errorf("journal of web.service lacks the request:\n%s", logs)
	}
	if log := must(t, h, "cat", userDataLog); !strings.Contains(log, "Created symlink") {
		t.Errorf("%s on the instance:\n%s", userDataLog, log)
	}

	// The instance: its own hostname, resolver, environment and trust.
	if got := must(t, h, "hostname"); got != h.Hostname+"\n" {
		t.Errorf("hostname %q, want %q", got, h.Hostname)
	}
	if got := must(t, h, "cat", "/etc/resolv.conf"); !strings.Contains(got, "nameserver 10.2.0.2\n") {
		t.Errorf("resolv.conf:\n%s", got)
	}
	env := must(t, h, "env")
	for _, leak := range []string{"AKIALEAKED", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"} {
		if strings.Contains(env, leak) {
			t.Errorf("the caller's %s reached the instance:\n%s", leak, env)
		}
	}
	if !strings.Contains(env, "AWS_CA_BUNDLE="+caBundle+"\n") {
		t.Errorf("env lacks AWS_CA_BUNDLE:\n%s", env)
	}
	// curl trusts the twin's CA through CURL_CA_BUNDLE, without -k.
	if got := must(t, h, "curl", "-sS", "https://169.254.169.254/latest/meta-data/instance-id", "-H", "X-aws-ec2-metadata-token: test-token"); got != testInstanceID {
		t.Errorf("https metadata: %q", got)
	}

	// The machine did not change.
	for f, sum := range machineSums(t) {
		if sum != before[f] {
			t.Errorf("the machine's %s changed", f)
		}
	}
	if _, err := os.Stat("/var/www"); err == nil {
		t.Error("the machine has /var/www now")
	}

	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	if pids := inNetNS(t, ns); len(pids) > 0 {
		t.Errorf("processes left in the namespace after Stop: %v", pids)
	}
	if err := h.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := h.Command(context.Background(), "true").Run(); err == nil {
		t.Error("a command ran on a stopped host")
	}
	if logs, err := h.Logs("web"); err != nil || !strings.Contains(string(logs), "GET /") {
		t.Errorf("Logs after Stop: %v\n%s", err, logs)
	}
}

func mustLogs(t *testing.T, h *Host, unit string) string {
	t.Helper()
	b, err := h.Logs(unit)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeUnit installs a unit file on the instance.
func writeUnit(t *testing.T, h *Host, name, text string) {
	t.Helper()
	if _, errOut, code := on(t, h, text, "sh", "-c", `cat > "/etc/systemd/system/$0"`, name); code != 0 {
		t.Fatalf("writing %s: %s", name, errOut)
	}
}

// The stand-in fails visibly: a unit whose ExecStart cannot run, one whose
// program dies at once, an unknown unit; and start, stop, enable and the
// unit settings work for one that runs.
func TestSystemctlStandIn(t *testing.T) {
	needNamespaces(t)
	ns := newNetNS(t)
	h := newHost(t, ns, "svc1", "10.2.1.11", nil)

	writeUnit(t, h, "bad.service", "[Service]\nExecStart=/usr/bin/no-such-program --flag\n")
	_, errOut, code := on(t, h, "", "systemctl", "start", "bad")
	if code == 0 || !strings.Contains(errOut, "Job for bad.service failed") {
		t.Errorf("start bad: exit %d, %q", code, errOut)
	}
	out, _, code := on(t, h, "", "systemctl", "status", "bad")
	if code != 3 || !strings.Contains(out, "Active: failed") || !strings.Contains(out, "status=203/EXEC") {
		t.Errorf("status bad: exit %d\n%s", code, out)
	}
	if logs := mustLogs(t, h, "bad"); !strings.Contains(logs, "Failed to locate executable /usr/bin/no-such-program") {
		t.Errorf("journal of bad.service:\n%s", logs)
	}

	writeUnit(t, h, "crash.service", "[Service]\nExecStart=/bin/sh -c 'echo about to fail; exit 3'\n")
	if _, errOut, code := on(t, h, "", "systemctl", "start", "crash.service"); code == 0 {
		t.Errorf("start crash: exit 0, %q", errOut)
	}
	if logs := mustLogs(t, h, "crash"); !strings.Contains(logs, "about to fail") || !strings.Contains(logs, "status=3/FAILURE") {
		t.Errorf("journal of crash.service:\n%s", logs)
	}

	for _, verb := range []string{"start", "enable", "restart", "stop"} {
		_, errOut, code := on(t, h, "", "systemctl", verb, "nosuch")
		if code != 5 || !strings.Contains(errOut, "nosuch.service") {
			t.Errorf("%s nosuch: exit %d, %q", verb, code, errOut)
		}
	}

	must(t, h, "sh", "-c", `mkdir -p /srv/app && printf 'FROM_FILE="from file"\n' > /srv/app/env`)
	writeUnit(t, h, "app.service", `[Unit]
Description=Test app

[Service]
Environment="GREETING=hello there" PLAIN=x
EnvironmentFile=/srv/app/env
EnvironmentFile=-/srv/app/missing
WorkingDirectory=/srv/app
ExecStartPre=/bin/sh -c 'echo pre in $$PWD'
ExecStart=/bin/sh -c 'echo "$GREETING/$FROM_FILE/$PLAIN/%n"; exec sleep 1000'
Restart=on-failure

[Install]
WantedBy=multi-user.target
`)
	must(t, h, "systemctl", "enable", "app")
	if out, _, code := on(t, h, "", "systemctl", "is-active", "app"); code != 3 || out != "inactive\n" {
		t.Errorf("enable without --now started app: %q, exit %d", out, code)
	}
	must(t, h, "systemctl", "start", "app")
	if got := must(t, h, "systemctl", "is-active", "app"); got != "active\n" {
		t.Errorf("is-active app after start: %q", got)
	}
	if logs := mustLogs(t, h, "app"); !strings.Contains(logs, "pre in /srv/app") || !strings.Contains(logs, "hello there/from file/x/app.service") {
		t.Errorf("journal of app.service:\n%s", logs)
	}
	if got := must(t, h, "cat", "/run/twin-systemd/app.service.restart"); got != "on-failure\n" {
		t.Errorf("recorded Restart= %q", got)
	}
	must(t, h, "systemctl", "stop", "app")
	if out, _, code := on(t, h, "", "systemctl", "is-active", "app"); code != 3 || out != "inactive\n" {
		t.Errorf("is-active after stop: %q, exit %d", out, code)
	}
	// Only the holder is left in the namespace.
	if pids := inNetNS(t, ns); len(pids) != 1 {
		t.Errorf("processes in the namespace after stop: %v", pids)
	}
}

// Two instances do not see each other's files, and stopping one leaves
// the other running.
func TestInstancesAreIsolated(t *testing.T) {
	needNamespaces(t)
	a := newHost(t, newNetNS(t), "a1", "10.2.1.21", nil)
	b := newHost(t, newNetNS(t), "b1", "10.2.1.22", nil)

	must(t, a, "sh", "-c", "echo a > /etc/iathosttest-marker && mkdir -p /var/www && echo a > /var/www/a && echo a > /tmp/a && echo a > /root/a")
	for _, f := range []string{"/etc/iathosttest-marker", "/var/www/a", "/tmp/a", "/root/a"} {
		if got := must(t, a, "cat", f); got != "a\n" {
			t.Errorf("%s on a: %q", f, got)
		}
		if _, _, code := on(t, b, "", "test", "-e", f); code == 0 {
			t.Errorf("b sees a's %s", f)
		}
		if _, err := os.Stat(f); err == nil {
			t.Errorf("the machine sees a's %s", f)
		}
	}
	if got := must(t, b, "hostname"); got != b.Hostname+"\n" {
		t.Errorf("b's hostname %q", got)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := must(t, b, "echo", "still here"); got != "still here\n" {
		t.Errorf("b after a's Stop: %q", got)
	}
}

// A Start that fails after its holder has started leaves nothing running.
func TestStartFailureLeavesNothing(t *testing.T) {
	needNamespaces(t)
	ns := newNetNS(t)
	bootFault = "injected boot failure"
	t.Cleanup(func() { bootFault = "" })
	h := &Host{Name: "f1", NetNS: ns, Dir: t.TempDir(), Hostname: "ip-10-2-1-30.ap-northeast-1.compute.internal",
		Resolver: netip.MustParseAddr("10.2.0.2")}
	err := h.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "host f1: start:") || !strings.Contains(err.Error(), "injected boot failure") {
		t.Fatalf("Start: %v", err)
	}
	if pids := inNetNS(t, ns); len(pids) > 0 {
		t.Errorf("processes left after a failed Start: %v", pids)
	}
	if err := h.Command(context.Background(), "true").Run(); err == nil {
		t.Error("a command ran on a host that failed to start")
	}
	if err := h.Stop(); err != nil {
		t.Errorf("Stop after a failed Start: %v", err)
	}

	bad := &Host{Name: "f2", NetNS: "/run/netns/iathosttest-does-not-exist", Dir: t.TempDir(),
		Hostname: "ip-10-2-1-31.x", Resolver: netip.MustParseAddr("10.2.0.2")}
	if err := bad.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "host f2: start: network namespace") {
		t.Errorf("Start on a missing namespace: %v", err)
	}
}

// KillNetNS kills what a crashed run left in a namespace, ignores a
// missing one and refuses the machine's own.
func TestKillNetNS(t *testing.T) {
	needNamespaces(t)
	ns := newNetNS(t)
	sleeper := exec.Command("ip", "netns", "exec", filepath.Base(ns), "sleep", "1000")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sleeper.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for len(inNetNS(t, ns)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := KillNetNS(ns); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err == nil {
		t.Error("sleep exited by itself")
	}
	if pids := inNetNS(t, ns); len(pids) > 0 {
		t.Errorf("left: %v", pids)
	}
	if err := KillNetNS("/run/netns/iathosttest-does-not-exist"); err != nil {
		t.Errorf("missing namespace: %v", err)
	}
	if err := KillNetNS("/proc/self/ns/net"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("the machine's own namespace: %v", err)
	}
}

// innerEnv carries the namespace path to the copy of the test binary that
// TestStartOverBindMountAndSymlink runs in a mount namespace of its own.
const innerEnv = "IATHOSTTEST_INNER_NETNS"

// Overlay over /etc works when the machine's /etc/resolv.conf is a bind
// mount (as in a container) and /etc/hosts a symlink (as with
// systemd-resolved's stub): the test binary runs again in a private mount
// namespace where both are so, and starts an instance there.
func TestStartOverBindMountAndSymlink(t *testing.T) {
	needNamespaces(t)
	if ns := os.Getenv(innerEnv); ns != "" {
		innerBindMountAndSymlink(t, ns)
		return
	}
	ns := newNetNS(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver 192.0.2.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc-upper", "etc-work"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../run/iathosttest-stub-hosts", filepath.Join(dir, "etc-upper", "hosts")); err != nil {
		t.Fatal(err)
	}
	// Only in the new mount namespace: an overlay on /etc whose hosts is a
	// symlink, and a file bind-mounted on its resolv.conf.
	const setup = `set -e
mount -t overlay iathosttest-etc -o "lowerdir=/etc,upperdir=$0/etc-upper,workdir=$0/etc-work" /etc
mount --bind "$0/resolv.conf" /etc/resolv.conf
exec "$@"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup, dir,
		os.Args[0], "-test.run=^TestStartOverBindMountAndSymlink$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), innerEnv+"="+ns)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestStartOverBindMountAndSymlink")) {
		t.Fatalf("inner test: %v\n%s", err, out)
	}
}

func innerBindMountAndSymlink(t *testing.T, ns string) {
	if b, _ := os.ReadFile("/etc/resolv.conf"); string(b) != "nameserver 192.0.2.53\n" {
		t.Fatalf("setup: /etc/resolv.conf is %q", b)
	}
	if target, err := os.Readlink("/etc/hosts"); err != nil {
		t.Fatalf("setup: /etc/hosts is not a symlink: %v (%s)", err, target)
	}
	h := newHost(t, ns, "bind1", "10.2.1.40", nil)
	if got := must(t, h, "cat", "/etc/resolv.conf"); !strings.Contains(got, "nameserver 10.2.0.2\n") || strings.Contains(got, "192.0.2.53") {
		t.Errorf("resolv.conf on the instance:\n%s", got)
	}
	if got := must(t, h, "cat", "/etc/hosts"); !strings.Contains(got, "10.2.1.40 ip-10-2-1-40") {
		t.Errorf("hosts on the instance:\n%s", got)
	}
	// The instance's writes to /etc still land in its own layer.
	must(t, h, "sh", "-c", "echo x > /etc/iathosttest-written")
	if _, err := os.Stat("/etc/iathosttest-written"); err == nil {
		t.Error("the instance's write reached this mount namespace's /etc")
	}
	if b, _ := os.ReadFile("/etc/resolv.conf"); string(b) != "nameserver 192.0.2.53\n" {
		t.Errorf("this mount namespace's /etc/resolv.conf changed: %q", b)
	}
}
