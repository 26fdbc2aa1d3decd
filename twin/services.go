package twin

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/internal-alb/internal-alb/twin/lambdaapi"
	"github.com/internal-alb/internal-alb/twin/loadbalancer"
	"github.com/internal-alb/internal-alb/twin/metadata"
	"github.com/internal-alb/internal-alb/twin/resolver"
	"github.com/internal-alb/internal-alb/verify"
)

// imdsAddr is the instance metadata service's address, on each instance's
// loopback in the twin.
var imdsAddr = netip.MustParsePrefix("169.254.169.254/32")

// listen opens a TCP listener inside a namespace.
func (t *Twin) listen(ns string, addr netip.AddrPort) (net.Listener, error) {
	var l net.Listener
	err := inNS(t.sh.path(ns), func() (err error) {
		l, err = net.Listen("tcp4", addr.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on %s in %s: %w", addr, t.sh.name(ns), err)
	}
	return l, nil
}

func (t *Twin) listenUDP(ns string, addr netip.AddrPort) (net.PacketConn, error) {
	var pc net.PacketConn
	err := inNS(t.sh.path(ns), func() (err error) {
		pc, err = net.ListenPacket("udp4", addr.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on udp %s in %s: %w", addr, t.sh.name(ns), err)
	}
	return pc, nil
}

// dialer connects from inside a namespace: the connection's source is that
// namespace's address, and its packets cross the twin's routers and
// firewalls like any other.
func (t *Twin) dialer(ns string) func(ctx context.Context, network, address string) (net.Conn, error) {
	path := t.sh.path(ns)
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		var c net.Conn
		err := inNS(path, func() (err error) {
			c, err = (&net.Dialer{}).DialContext(ctx, network, address)
			return err
		})
		return c, err
	}
}

// goServe runs a service until the twin closes.
func (t *Twin) goServe(what string, f func() error) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := f(); err != nil {
			fmt.Fprintf(t.svcLog, "twin: %s stopped: %v\n", what, err)
		}
	}()
}

// serveHTTP serves h on l until ctx ends.
func (t *Twin) serveHTTP(ctx context.Context, what string, l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	t.goServe(what, func() error {
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
			return err
		}
		return nil
	})
}

// services starts everything that answers in the twin besides the
// instances: resolvers, metadata services, ALB nodes, Lambda endpoints.
func (t *Twin) services(ctx context.Context) error {
	addrs := resolver.Addrs{LBNodes: map[string][]netip.Addr{}, Endpoints: map[string][]netip.Addr{}}
	for _, lb := range t.Spec.LBs {
		for _, n := range lb.Nodes {
			addrs.LBNodes[lb.ID] = append(addrs.LBNodes[lb.ID], n.Addr.Addr())
		}
	}
	for _, ep := range t.Spec.Lambda {
		for _, e := range ep.ENIs {
			addrs.Endpoints[ep.ID] = append(addrs.Endpoints[ep.ID], e.Addr.Addr())
		}
	}
	for _, v := range t.Spec.VPCs {
		if !v.Resolver.IsValid() {
			continue // DNS support off: nothing answers at base + 2
		}
		view := resolver.NewView(t.Model, v.ID, addrs)
		at := netip.AddrPortFrom(v.Resolver, 53)
		pc, err := t.listenUDP(v.NS, at)
		if err != nil {
			return err
		}
		l, err := t.listen(v.NS, at)
		if err != nil {
			pc.Close()
			return err
		}
		t.goServe("resolver of "+v.Name, func() error { return resolver.Serve(ctx, view, pc, l) })
	}
	creds, err := t.metadataServices(ctx)
	if err != nil {
		return err
	}
	if err := t.loadBalancers(ctx); err != nil {
		return err
	}
	return t.lambdaEndpoints(ctx, creds)
}

// metadataServices starts each instance's metadata service and returns the
// credentials they hand out, by access key id.
func (t *Twin) metadataServices(ctx context.Context) (map[string]lambdaapi.Identity, error) {
	creds := map[string]lambdaapi.Identity{}
	account := t.account()
	for _, e := range t.Spec.ENIs {
		if e.Kind != "instance" {
			continue
		}
		if err := t.sh.addrOnLo(e.NS, imdsAddr); err != nil {
			return nil, fmt.Errorf("%s: metadata service address: %w", e.Name, err)
		}
		in := metadata.Instance{ID: e.Instance.ID, Region: t.Spec.Region, AZ: e.AZ, AccountID: account, PrivateIP: e.Addr.Addr(),
			Hostname: resolver.Hostname(e.Addr.Addr(), t.Spec.Region), RequireToken: requiresToken(e), Creds: metadata.NewCredentials(time.Now())}
		if ro := t.Model.RoleOf(e.Instance); ro != nil {
			in.Role = ro.Name
			creds[in.Creds.AccessKeyID] = lambdaapi.Identity{Secret: in.Creds.SecretAccessKey, SessionToken: in.Creds.Token,
				Role: ro.Name, InstanceID: in.ID, AccountID: account}
		}
		l, err := t.listen(e.NS, netip.AddrPortFrom(imdsAddr.Addr(), 80))
		if err != nil {
			return nil, err
		}
		t.serveHTTP(ctx, "metadata service of "+e.Name, l, metadata.Handler(in))
	}
	return creds, nil
}

// requiresToken reads the instance's metadata options: httpTokens=required
// is IMDSv2 only.
func requiresToken(e *ENI) bool {
	mo := firstMap(e.Instance.Res.Prop("metadataOptions"))
	return strings.EqualFold(fmt.Sprint(mo["httpTokens"]), "required")
}

func (t *Twin) account() string {
	for _, f := range t.Model.Funcs {
		if parts := strings.Split(f.ARN, ":"); len(parts) > 4 && parts[4] != "" {
			return parts[4]
		}
	}
	return "123456789012"
}

// albNode is one node's proxy and health checker for one listener.
type albNode struct {
	node  *loadbalancer.Node
	group *loadbalancer.Group
	lb    string
}

func (t *Twin) loadBalancers(ctx context.Context) error {
	for _, lb := range t.Spec.LBs {
		for _, e := range lb.Nodes {
			for _, li := range lb.Listeners {
				g := &loadbalancer.Group{}
				if li.Group != nil {
					g = t.group(li.Group)
				}
				n := &loadbalancer.Node{Name: e.Name, Addr: e.Addr.Addr(), Dial: t.dialer(e.NS), Log: t.svcLog}
				l, err := t.listen(e.NS, netip.AddrPortFrom(e.Addr.Addr(), uint16(li.Port)))
				if err != nil {
					return err
				}
				t.nodes = append(t.nodes, &albNode{node: n, group: g, lb: lb.Name})
				t.goServe(e.Name, func() error { return n.Serve(ctx, l, g) })
				if li.Group != nil {
					t.goServe(e.Name+" health checks", func() error { return n.CheckHealth(ctx, g) })
				}
			}
		}
	}
	return nil
}

func (t *Twin) group(gs *GroupSpec) *loadbalancer.Group {
	g := &loadbalancer.Group{Name: gs.Name, HC: loadbalancer.HealthCheck{Enabled: gs.HCEnabled, Path: gs.HCPath, Port: gs.HCPort, Protocol: "HTTP",
		Matcher: gs.HCMatcher, Interval: gs.HCInterval, Timeout: gs.HCTimeout, HealthyThreshold: gs.Healthy, UnhealthyThreshold: gs.Unhealthy}}
	if t.opts.HealthInterval > 0 {
		g.HC.Interval = t.opts.HealthInterval
		if g.HC.Timeout >= g.HC.Interval {
			g.HC.Timeout = g.HC.Interval / 2
		}
	}
	for _, tg := range gs.Targets {
		g.Targets = append(g.Targets, loadbalancer.Target{ID: tg.ID, Addr: tg.Addr})
	}
	return g
}

// WaitHealthy waits until every ALB node sees every registered target
// healthy, and says how long that took; on timeout it returns an error
// naming what is not healthy yet.
func (t *Twin) WaitHealthy(ctx context.Context) error {
	for {
		var pending []string
		for _, n := range t.nodes {
			for id, st := range n.node.Health(n.group) {
				if st != loadbalancer.Healthy {
					pending = append(pending, fmt.Sprintf("%s: %s is %s", n.node.Name, id, st))
				}
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %s", strings.Join(pending, "; "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lambdaEndpoints serves the Lambda Invoke API on every ENI of every Lambda
// interface endpoint, over TLS with a certificate of the twin's CA, and
// authorizes each call with the verifier's one IAM evaluation.
func (t *Twin) lambdaEndpoints(ctx context.Context, creds map[string]lambdaapi.Identity) error {
	var fns []lambdaapi.Function
	for _, f := range t.Model.Funcs {
		timeout := 3 * time.Second
		if n, ok := number(f.Res.Prop("timeout")); ok && n > 0 {
			timeout = time.Duration(n) * time.Second
		}
		fns = append(fns, lambdaapi.Function{Name: f.Name, ARN: f.ARN, Runtime: f.Runtime, Handler: str(f.Res, "handler"),
			Code: codeOf(f.Res), Timeout: timeout})
	}
	for _, ep := range t.Spec.Lambda {
		names := []string{"lambda." + t.Spec.Region + ".amazonaws.com", "*.lambda." + t.Spec.Region + ".vpce.amazonaws.com"}
		cert, err := t.ca.Issue(names, nil)
		if err != nil {
			return fmt.Errorf("endpoint %s: certificate: %w", ep.Name, err)
		}
		epModel := ep.model
		srv := &lambdaapi.Server{Region: t.Spec.Region, Functions: fns, Log: t.svcLog,
			Lookup: func(id string) (lambdaapi.Identity, bool) { i, ok := creds[id]; return i, ok },
			Authorize: func(id lambdaapi.Identity, fn lambdaapi.Function) (bool, string) {
				return t.authorize(id, fn, epModel)
			}}
		for _, e := range ep.ENIs {
			l, err := t.listen(e.NS, netip.AddrPortFrom(e.Addr.Addr(), 443))
			if err != nil {
				return err
			}
			tl := tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
			t.serveHTTP(ctx, e.Name, tl, srv)
		}
	}
	return nil
}

// authorize is IAM for a call through an endpoint: the caller's role, the
// function, the endpoint's policy — the verifier's InvokeHops.
func (t *Twin) authorize(id lambdaapi.Identity, fn lambdaapi.Function, ep *verify.Endpoint) (bool, string) {
	ro := t.Model.Roles[id.Role]
	if ro == nil {
		return false, "role " + id.Role + " is not in the graph"
	}
	for _, f := range t.Model.Funcs {
		if f.Name == fn.Name {
			hops := t.Model.InvokeHops(ro, f, ep)
			return verify.AllOK(hops), verify.FirstFail(hops)
		}
	}
	return false, "function " + fn.Name + " is not in the graph"
}
