package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the largest UDP answer the resolver sends to a client that
// announces EDNS; the value avoids IP fragmentation on any usual link.
const ednsSize = 1232

// shutdownGrace bounds how long a server may take to finish the questions
// in flight once Serve is told to stop.
const shutdownGrace = 5 * time.Second

// Serve answers v's questions on pc (UDP) and l (TCP) until ctx is done.
// Either socket may be nil, not both. The caller opens the sockets (inside
// the VPC's network namespace, on the resolver's address, port 53); Serve
// opens none and closes both before it returns.
//
// Serve returns once every server has stopped: nil when ctx ended it, or
// the errors of the servers that failed (a failing server stops the other).
func Serve(ctx context.Context, v *View, pc net.PacketConn, l net.Listener) error {
	if v == nil {
		return errors.New("resolver: serve: no view")
	}
	if pc == nil && l == nil {
		return errors.New("resolver: serve: no socket to answer on")
	}
	defer closeAll(pc, l)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	servers := map[string]*dns.Server{}
	if pc != nil {
		servers["udp"] = &dns.Server{PacketConn: pc, Handler: handler(v, true)}
	}
	if l != nil {
		servers["tcp"] = &dns.Server{Listener: l, Handler: handler(v, false)}
	}
	errs := make(chan error, len(servers))
	for proto, srv := range servers {
		go func() {
			err := run(ctx, srv, proto)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var failed []error
	for range servers {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// run serves on srv until ctx is done, then shuts it down. It waits for
// the server to start before it may stop it: a shutdown before the start
// would be ignored and leave the server running.
func run(ctx context.Context, srv *dns.Server, proto string) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()

	select {
	case err := <-done:
		return fmt.Errorf("resolver: start %s server: %w", proto, stopped(err))
	case <-started:
	}
	select {
	case err := <-done:
		return fmt.Errorf("resolver: %s server: %w", proto, stopped(err))
	case <-ctx.Done():
	}
	return shutdown(srv, done, proto)
}

// shutdown stops a started server and waits until it has returned.
func shutdown(srv *dns.Server, done <-chan error, proto string) error {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.ShutdownContext(sctx); err != nil {
		errs = append(errs, fmt.Errorf("resolver: stop %s server: %w", proto, err))
	}
	if err := <-done; err != nil {
		errs = append(errs, fmt.Errorf("resolver: %s server: %w", proto, err))
	}
	return errors.Join(errs...)
}

// stopped turns the nil a server returns when it stopped on its own (not
// asked to) into an error.
func stopped(err error) error {
	if err == nil {
		return errors.New("stopped unexpectedly")
	}
	return err
}

// closeAll closes the sockets Serve was given. They may be closed already
// (the servers close theirs on shutdown), so errors are of no interest.
func closeAll(pc net.PacketConn, l net.Listener) {
	if pc != nil {
		_ = pc.Close()
	}
	if l != nil {
		_ = l.Close()
	}
}

// handler answers each query with v; udp says the replies go over UDP and
// must fit the client's buffer.
func handler(v *View, udp bool) dns.HandlerFunc {
	return func(w dns.ResponseWriter, req *dns.Msg) {
		// A failed write means the client is gone: no one is left to tell.
		_ = w.WriteMsg(v.reply(req, udp))
	}
}

// reply builds the response to one query message.
func (v *View) reply(req *dns.Msg, udp bool) *dns.Msg {
	resp := new(dns.Msg)
	switch {
	case req.Opcode != dns.OpcodeQuery:
		return resp.SetRcode(req, dns.RcodeNotImplemented)
	case len(req.Question) != 1:
		return resp.SetRcode(req, dns.RcodeFormatError)
	}
	resp.SetReply(req)
	resp.RecursionAvailable = true
	q := req.Question[0]
	if q.Qclass == dns.ClassINET || q.Qclass == dns.ClassANY {
		resp.Answer, resp.Rcode = v.Answer(q.Name, q.Qtype)
	} else {
		resp.Rcode = dns.RcodeRefused
	}
	fit(req, resp, udp)
	return resp
}

// fit adds an EDNS record when the query had one and, over UDP, truncates
// the response to the size the client can take.
func fit(req, resp *dns.Msg, udp bool) {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), ednsSize)
		resp.SetEdns0(ednsSize, false)
	}
	if udp {
		resp.Truncate(size)
	}
}
