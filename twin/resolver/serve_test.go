package resolver_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/internal-alb/internal-alb/twin/resolver"
	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// hang bounds each wait on the server, so a broken Serve fails the test
// instead of hanging it. No assertion is made on how long anything takes.
const hang = 10 * time.Second

func barView() *resolver.View {
	return resolver.NewView(verify.BuildModel(fixture.Default()), bar, addrs)
}

// listen opens the sockets a caller of Serve would open in the namespace.
func listen(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = pc.Close()
		t.Fatalf("listen tcp: %v", err)
	}
	return pc, l
}

// start runs Serve in the background; the channel gets its result.
func start(ctx context.Context, v *resolver.View, pc net.PacketConn, l net.Listener) <-chan error {
	done := make(chan error, 1)
	go func() { done <- resolver.Serve(ctx, v, pc, l) }()
	return done
}

// wait returns Serve's result, or fails the test if Serve does not return.
func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(hang):
		t.Fatal("Serve did not return")
		return nil
	}
}

// ask sends one question over network to addr.
func ask(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: hang}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, qtype), addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", network, name, err)
	}
	return r
}

func TestServe(t *testing.T) {
	pc, l := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := start(ctx, barView(), pc, l)

	for _, c := range []struct{ network, addr string }{
		{"udp", pc.LocalAddr().String()},
		{"tcp", l.Addr().String()},
	} {
		t.Run(c.network, func(t *testing.T) {
			r := ask(t, c.network, c.addr, "Alb.Home.", dns.TypeA)
			want := []string{"Alb.Home. 60 IN A 10.2.1.100", "Alb.Home. 60 IN A 10.2.2.100"}
			if r.Rcode != dns.RcodeSuccess || !slices.Equal(rrs(r.Answer), want) {
				t.Errorf("alb.home: %s %v, want NOERROR %v", dns.RcodeToString[r.Rcode], rrs(r.Answer), want)
			}
			if !r.Response || !r.RecursionAvailable || r.Authoritative {
				t.Errorf("flags: qr=%v ra=%v aa=%v, want a recursive, non-authoritative response", r.Response, r.RecursionAvailable, r.Authoritative)
			}
			if r = ask(t, c.network, c.addr, "example.com.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
				t.Errorf("example.com: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
			}
			if r = ask(t, c.network, c.addr, "nope.home.", dns.TypeA); r.Rcode != dns.RcodeNameError {
				t.Errorf("nope.home: %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
			}
		})
	}

	cancel()
	if err := wait(t, done); err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("the TCP listener is still open after Serve returned")
	}
	if _, err := pc.WriteTo([]byte{0}, pc.LocalAddr()); err == nil {
		t.Error("the UDP socket is still open after Serve returned")
	}
}

func TestServeUDPOnly(t *testing.T) {
	pc, l := listen(t)
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := start(ctx, barView(), pc, nil)
	r := ask(t, "udp", pc.LocalAddr().String(), lambda+".", dns.TypeA)
	if r.Rcode != dns.RcodeSuccess || !slices.Equal(rrs(r.Answer), lambdaA) {
		t.Errorf("%s: %s %v, want NOERROR %v", lambda, dns.RcodeToString[r.Rcode], rrs(r.Answer), lambdaA)
	}
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}

func TestServeCancelledBeforeStart(t *testing.T) {
	pc, l := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := wait(t, start(ctx, barView(), pc, l)); err != nil {
		t.Fatalf("Serve with a done context: %v", err)
	}
}

func TestServeFailureStopsTheOther(t *testing.T) {
	pc, l := listen(t)
	_ = l.Close() // the TCP server fails on its first Accept
	err := wait(t, start(context.Background(), barView(), pc, l))
	if err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("error %q does not wrap net.ErrClosed", err)
	}
}

func TestServeRefusesBadArguments(t *testing.T) {
	pc, l := listen(t)
	defer func() { _ = pc.Close(); _ = l.Close() }()
	for name, call := range map[string]func() error{
		"no view":   func() error { return resolver.Serve(context.Background(), nil, pc, l) },
		"no socket": func() error { return resolver.Serve(context.Background(), barView(), nil, nil) },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: Serve returned nil", name)
		}
	}
}
