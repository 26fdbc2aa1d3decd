// Package twin builds a data-plane twin of a deployed stack (or of its plan)
// on this machine, from the resource graph alone, with Linux network
// namespaces: one per EC2 instance running its actual user data, one router
// per VPC with its route tables and NACLs, peering links, transit gateways,
// security groups as stateful firewalls per ENI, the Amazon-provided DNS
// resolver of each VPC, the internal ALB's nodes with their health checks,
// and the Lambda API behind its interface endpoint. The seed's own commands
// (curl of the ALB, aws lambda invoke) then run on the instances and work or
// fail for the reasons AWS would give.
//
// Packets stay inside the namespaces the twin makes: none is linked to the
// host's namespace and no route leads out. Everything is removed by Close,
// and a crashed run's leftovers by the next run (Leftovers).
package twin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/twin/host"
	"github.com/internal-alb/internal-alb/twin/pki"
	"github.com/internal-alb/internal-alb/twin/resolver"
	"github.com/internal-alb/internal-alb/verify"
)

// ErrNotRoot: the twin needs root (namespaces, links, firewalls).
var ErrNotRoot = errors.New("the twin needs root: it makes network namespaces, links and firewalls (run it as root, e.g. with sudo)")

// ErrNoNamespaces: the kernel has no network namespaces.
var ErrNoNamespaces = errors.New("this kernel has no network namespaces (/proc/self/ns/net is missing)")

// CanRun says why the twin cannot run here, before anything is made: it
// needs root and network namespaces. nil when it can.
func CanRun() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return ErrNoNamespaces
	}
	return nil
}

// Options of a twin.
type Options struct {
	// HealthInterval replaces the target groups' health-check interval
	// (tests only: a state's 30 s makes a slow test). 0 keeps the state's.
	HealthInterval time.Duration
	// Log receives progress lines ("twin: …"), one write at a time (Up
	// serialises them); nil discards them.
	Log io.Writer
}

// Twin is a running twin.
type Twin struct {
	Spec  *Spec
	Model *verify.Model
	Run   string // the run's name: every namespace starts with it

	sh     *shell
	opts   Options
	cancel context.CancelFunc
	wg     sync.WaitGroup
	hosts  map[*ENI]*host.Host
	inet   *host.Host // a host on the internet namespace, for the probes from outside
	ca     *pki.CA
	nodes  []*albNode
	svcLog *lockedWriter
	mu     sync.Mutex
	closed bool
}

// Up builds the twin of g and starts it: namespaces, links, firewalls, the
// resolvers, metadata services, ALB nodes and Lambda endpoints, then boots
// every instance with its user data. On any failure everything made so far
// is removed; so it is when ctx ends before Up is done (a signal: see the
// twin command), and Up returns ctx's error. It does not wait for health
// checks: see WaitHealthy.
func Up(ctx context.Context, g graph.Graph, o Options) (t *Twin, err error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	// Services and instances write from goroutines: every line goes through
	// one lock, so Options.Log may be any writer.
	log := &lockedWriter{w: o.Log}
	m := verify.BuildModel(g)
	spec, err := Plan(m)
	if err != nil {
		return nil, fmt.Errorf("twin: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("twin: %w", err)
	}
	if removed, err := Leftovers(); err != nil {
		return nil, fmt.Errorf("twin: removing a crashed run's leftovers: %w", err)
	} else if len(removed) > 0 {
		fmt.Fprintf(log, "twin: removed %d namespaces a crashed run left behind\n", len(removed))
	}
	sh, err := newShell()
	if err != nil {
		return nil, fmt.Errorf("twin: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	t = &Twin{Spec: spec, Model: m, Run: sh.run, sh: sh, opts: o, cancel: cancel, hosts: map[*ENI]*host.Host{},
		svcLog: log}
	defer func() {
		if err != nil {
			if cerr := t.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
			t = nil
		}
	}()
	for _, n := range spec.Notes {
		fmt.Fprintf(log, "twin: note: %s\n", n)
	}
	if err := sh.network(spec); err != nil {
		return t, fmt.Errorf("twin: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return t, fmt.Errorf("twin: interrupted: %w", err)
	}
	if t.ca, err = pki.NewCA("internal-alb twin CA " + sh.run); err != nil {
		return t, fmt.Errorf("twin: %w", err)
	}
	if err := t.services(sctx); err != nil {
		return t, fmt.Errorf("twin: %w", err)
	}
	if err := t.boot(ctx); err != nil {
		return t, fmt.Errorf("twin: %w", err)
	}
	// A user data script cut short by ctx does not fail boot (as on EC2, a
	// failing script does not stop its instance); the interruption does.
	if err := ctx.Err(); err != nil {
		return t, fmt.Errorf("twin: interrupted: %w", err)
	}
	return t, nil
}

// Close stops every process and service of the twin and removes every
// namespace and file it made. Safe to call twice.
func (t *Twin) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	var errs []error
	// Services first (health checks dial into the instances), then the
	// instances' processes, then the namespaces.
	t.cancel()
	t.wg.Wait()
	for e, h := range t.hosts {
		if err := h.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Name, err))
		}
	}
	if t.inet != nil {
		if err := t.inet.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := t.sh.teardown(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// boot starts every instance's host and runs its user data, all at once.
func (t *Twin) boot(ctx context.Context) error {
	var pem []byte
	if t.ca != nil {
		pem = t.ca.CertPEM()
	}
	if in := t.Spec.Internet; in != nil {
		// No resolver: the internet's DNS is not modelled (probes name the
		// addresses it would answer).
		t.inet = &host.Host{Name: Internet, NetNS: t.sh.path(in.NS), Dir: filepath.Join(t.sh.dir, "hosts", in.NS), Hostname: "outside.example", ExtraCA: pem}
		if err := t.inet.Start(ctx); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(t.Spec.ENIs))
	for i, e := range t.Spec.ENIs {
		if e.Kind != "instance" {
			continue
		}
		v := t.vpc(e.VPC)
		h := &host.Host{Name: e.Name, NetNS: t.sh.path(e.NS), Dir: filepath.Join(t.sh.dir, "hosts", e.NS),
			Hostname: resolver.Hostname(e.Addr.Addr(), t.Spec.Region), Resolver: v.DHCPResolver, ExtraCA: pem}
		t.hosts[e] = h
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Start(ctx); err != nil {
				errs[i] = err
				return
			}
			ud, ok := userDataOf(e.Instance.Res)
			if !ok {
				fmt.Fprintf(t.svcLog, "twin: %s: the graph holds only a hash of the user data: the instance boots without it\n", e.Name)
			}
			if ud == "" {
				return
			}
			out, err := h.RunUserData(ctx, ud)
			if err != nil {
				// As on EC2: a failing user data does not stop the instance;
				// what it failed to start fails its health checks.
				fmt.Fprintf(t.svcLog, "twin: %s: user data failed: %v\n%s", e.Name, err, indent(string(out)))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Internet names the host outside the VPCs, for Host and the probes.
const Internet = "internet"

// Host returns an instance's host by instance name, id or private address,
// or the host outside the VPCs (Internet; its ENI is nil).
func (t *Twin) Host(name string) (*host.Host, *ENI, error) {
	if name == Internet && t.inet != nil {
		return t.inet, nil, nil
	}
	var known []string
	for _, e := range t.Spec.ENIs {
		if e.Kind != "instance" {
			continue
		}
		if e.Name == name || e.Instance.ID == name || e.Addr.Addr().String() == name {
			return t.hosts[e], e, nil
		}
		known = append(known, e.Name)
	}
	sort.Strings(known)
	return nil, nil, fmt.Errorf("no instance %q in the twin (instances: %s)", name, strings.Join(known, ", "))
}

func (t *Twin) vpc(id string) *VPCSpec {
	for _, v := range t.Spec.VPCs {
		if v.ID == id {
			return v
		}
	}
	return &VPCSpec{}
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// lockedWriter serialises lines from the services' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// HealthWait is how long the ALB's targets may take to turn healthy: the
// longest healthy threshold × interval of the target groups, plus a timeout
// and a second of margin.
func (t *Twin) HealthWait() time.Duration {
	longest := time.Duration(0)
	for _, n := range t.nodes {
		hc := n.group.HC
		if d := time.Duration(hc.HealthyThreshold)*hc.Interval + hc.Timeout; d > longest {
			longest = d
		}
	}
	return longest + time.Second
}

// ResolveInstance turns a stack output key that holds private addresses
// (clientPrivateIps, webPrivateIps; "key.name" or "key[i]" for one entry,
// the first one otherwise) into the instance's address; any other name is
// returned as it is.
func (t *Twin) ResolveInstance(name string) string {
	key, sel := name, ""
	if i := strings.IndexAny(name, ".["); i > 0 {
		key, sel = name[:i], strings.Trim(name[i:], ".[]")
	}
	for _, r := range t.Model.Graph {
		if r.Type != "pulumi:pulumi:Stack" {
			continue
		}
		switch v := r.Outputs[key].(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if sel == "" && len(keys) > 0 {
				sel = keys[0]
			}
			if s, ok := v[sel].(string); ok {
				return s
			}
		case []any:
			i := 0
			fmt.Sscan(sel, &i)
			if i >= 0 && i < len(v) {
				if s, ok := v[i].(string); ok {
					return s
				}
			}
		}
	}
	return name
}
