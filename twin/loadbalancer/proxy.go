package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// statusClientClosed is the status AWS logs when the client closes the
// connection before the node could answer.
const statusClientClosed = 460

// Serve proxies the HTTP requests arriving on l to g's targets until ctx
// ends; then it stops accepting, lets requests in flight finish (for a few
// seconds at most) and returns nil. It returns an error when l fails or n
// has no Dial. Serve closes l.
//
// Each request goes to the next target in round robin over the healthy
// targets, or over all of them when none is healthy. The forwarded request
// keeps the client's Host header and gets X-Forwarded-For (the client's
// address appended), X-Forwarded-Proto, X-Forwarded-Port and
// X-Amzn-Trace-Id; the target's response, Server header included, goes back
// unchanged.
func (n *Node) Serve(ctx context.Context, l net.Listener, g *Group) error {
	if n.Dial == nil {
		l.Close()
		return fmt.Errorf("loadbalancer: serve target group %s: node has no Dial", g.Name)
	}
	port, err := listenerPort(l)
	if err != nil {
		l.Close()
		return fmt.Errorf("loadbalancer: serve target group %s: %w", g.Name, err)
	}
	idle := n.IdleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	errLog := log.New(logWriter{n}, n.label()+": ", 0)
	tr := &http.Transport{
		DialContext:           n.dialTarget,
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: idle,
	}
	defer tr.CloseIdleConnections()
	h := &handler{node: n, group: g, port: strconv.Itoa(int(port))}
	h.proxy = &httputil.ReverseProxy{
		Rewrite:      h.rewrite,
		Transport:    tr,
		ErrorHandler: h.fail,
		ErrorLog:     errLog,
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: idle,
		IdleTimeout:       idle,
		ErrorLog:          errLog,
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return fmt.Errorf("loadbalancer: serve target group %s on %s: %w", g.Name, l.Addr(), err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		n.logf("listener %s: requests still in flight after %s, closing them: %v", l.Addr(), shutdownGrace, err)
		srv.Close()
	}
	<-served // http.ErrServerClosed
	return nil
}

// listenerPort is the port the listener accepts on, for X-Forwarded-Port.
func listenerPort(l net.Listener) (uint16, error) {
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		return uint16(a.Port), nil
	}
	ap, err := netip.ParseAddrPort(l.Addr().String())
	if err != nil {
		return 0, fmt.Errorf("listener address %s has no port: %w", l.Addr(), err)
	}
	return ap.Port(), nil
}

// dialTarget connects to a target through n.Dial, giving up after AWS's
// connect timeout.
func (n *Node) dialTarget(ctx context.Context, network, address string) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c, err := n.Dial(dctx, network, address)
	if err != nil && ctx.Err() == nil && dctx.Err() != nil {
		return nil, fmt.Errorf("connect to %s: not accepted within %s: %w", address, connectTimeout, context.DeadlineExceeded)
	}
	return c, err
}

// handler is one Serve's HTTP handler: it picks a target and forwards.
type handler struct {
	node  *Node
	group *Group
	port  string
	proxy *httputil.ReverseProxy
}

// targetKey carries the chosen Target in a request's context.
type targetKey struct{}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, ok := h.node.pick(h.group)
	if !ok {
		h.node.logf("%s %s → 503: target group %s has no registered targets", r.Method, r.URL.RequestURI(), h.group.Name)
		writeError(w, http.StatusServiceUnavailable)
		return
	}
	h.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, t)))
}

// rewrite turns the client's request into the one sent to the target.
func (h *handler) rewrite(pr *httputil.ProxyRequest) {
	t := pr.In.Context().Value(targetKey{}).(Target)
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = t.Addr.String()
	// pr.Out.Host is the client's Host header, which the ALB keeps.
	hdr := pr.Out.Header
	if ap, err := netip.ParseAddrPort(pr.In.RemoteAddr); err == nil {
		client := ap.Addr().Unmap().String()
		if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			client = strings.Join(prior, ", ") + ", " + client
		}
		hdr.Set("X-Forwarded-For", client)
	}
	hdr.Set("X-Forwarded-Proto", "http")
	hdr.Set("X-Forwarded-Port", h.port)
	hdr.Set("X-Amzn-Trace-Id", traceHeader(pr.In.Header.Get("X-Amzn-Trace-Id"), time.Now()))
}

// traceHeader is the X-Amzn-Trace-Id sent to the target: a new Root when the
// client sent none, else the client's fields with a new Self in front.
func traceHeader(in string, now time.Time) string {
	id := fmt.Sprintf("1-%08x-%08x%016x", uint32(now.Unix()), rand.Uint32(), rand.Uint64())
	if !strings.Contains(in, "Root=") {
		return "Root=" + id
	}
	fields := []string{"Self=" + id}
	for f := range strings.SplitSeq(in, ";") {
		if f != "" && !strings.HasPrefix(f, "Self=") {
			fields = append(fields, f)
		}
	}
	return strings.Join(fields, ";")
}

// fail answers a request the target did not: 504 when the target did not
// connect or answer in time, 502 for any other failure (refused, reset,
// malformed answer), 460 when the client went away first.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	t, _ := r.Context().Value(targetKey{}).(Target)
	code, why := http.StatusBadGateway, describe(err)
	switch {
	case errors.Is(r.Context().Err(), context.Canceled):
		code, why = statusClientClosed, "client closed the connection"
	case isTimeout(err):
		code, why = http.StatusGatewayTimeout, err.Error()
	}
	h.node.logf("%s %s → %d: target %s (%s): %s", r.Method, r.URL.RequestURI(), code, t.ID, t.Addr, why)
	writeError(w, code)
}

// writeError answers with the node's own small HTML page for code.
func writeError(w http.ResponseWriter, code int) {
	title := strconv.Itoa(code) + " " + http.StatusText(code)
	if code == statusClientClosed {
		title = strconv.Itoa(code) + " Client Closed Request"
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html")
	hdr.Set("Server", "awselb/2.0")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n", title, title)
}
