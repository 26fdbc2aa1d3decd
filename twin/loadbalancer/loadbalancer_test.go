package loadbalancer_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/twin/loadbalancer"
)

// Polling limits for conditions that need a few health-check intervals.
const (
	waitFor = 5 * time.Second
	tick    = 10 * time.Millisecond
)

// fakeTarget is a web server registered as a target: "/health" answers with
// a status the test sets, every other path counts as traffic and answers
// with the target's id.
type fakeTarget struct {
	id         string
	srv        *httptest.Server
	health     atomic.Int32
	hits       atomic.Int32
	healthHits atomic.Int32

	mu   sync.Mutex
	last *http.Request // the latest traffic request
}

func newTarget(t *testing.T, id string) *fakeTarget {
	t.Helper()
	ft := &fakeTarget{id: id}
	ft.health.Store(http.StatusOK)
	ft.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			ft.healthHits.Add(1)
			w.WriteHeader(int(ft.health.Load()))
			return
		}
		ft.hits.Add(1)
		ft.mu.Lock()
		ft.last = r.Clone(context.Background())
		ft.mu.Unlock()
		w.Header().Set("Server", "SimpleHTTP/0.6 Python/3.11.2")
		_, _ = io.WriteString(w, id)
	}))
	t.Cleanup(ft.srv.Close)
	return ft
}

func (ft *fakeTarget) target() loadbalancer.Target {
	return loadbalancer.Target{ID: ft.id, Addr: netip.MustParseAddrPort(ft.srv.Listener.Addr().String())}
}

func (ft *fakeTarget) lastRequest() *http.Request {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.last
}

// syncBuffer is a log the node writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines() []string {
	return strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
}

// fastCheck is a health check that decides within a few 50 ms intervals.
func fastCheck() loadbalancer.HealthCheck {
	return loadbalancer.HealthCheck{
		Enabled:            true,
		Path:               "/health",
		Protocol:           "HTTP",
		Matcher:            "200",
		Interval:           50 * time.Millisecond,
		Timeout:            time.Second,
		HealthyThreshold:   2,
		UnhealthyThreshold: 3,
	}
}

func group(hc loadbalancer.HealthCheck, targets ...*fakeTarget) *loadbalancer.Group {
	g := &loadbalancer.Group{Name: "web", HC: hc}
	for _, ft := range targets {
		g.Targets = append(g.Targets, ft.target())
	}
	return g
}

// newNode is a node on loopback that dials with a plain net.Dialer.
func newNode(log io.Writer) *loadbalancer.Node {
	var d net.Dialer
	return &loadbalancer.Node{
		Name: "test-alb node in 127.0.0.0/8",
		Addr: netip.MustParseAddr("127.0.0.1"),
		Dial: d.DialContext,
		Log:  log,
	}
}

// start runs n's Serve for g on a fresh loopback listener, and its health
// checks when check is set, until the test ends; both must then return nil.
// It returns the listener's base URL.
func start(t *testing.T, n *loadbalancer.Node, g *loadbalancer.Group, check bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served, checked := make(chan error, 1), make(chan error, 1)
	go func() { served <- n.Serve(ctx, l, g) }()
	if check {
		go func() { checked <- n.CheckHealth(ctx, g) }()
	} else {
		checked <- nil
	}
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-served, "Serve")
		assert.NoError(t, <-checked, "CheckHealth")
	})
	return "http://" + l.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// sendRequests sends n requests and returns which target answered each.
func sendRequests(t *testing.T, base string, n int) []string {
	t.Helper()
	var got []string
	for range n {
		code, body := get(t, base+"/app")
		require.Equal(t, http.StatusOK, code, body)
		got = append(got, body)
	}
	return got
}

func waitForHealth(t *testing.T, n *loadbalancer.Node, g *loadbalancer.Group, want map[string]loadbalancer.State) {
	t.Helper()
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual(want, n.Health(g)) },
		waitFor, tick, "want %v", want)
}

func TestRoundRobinOverHealthyTargets(t *testing.T) {
	a, b := newTarget(t, "i-a"), newTarget(t, "i-b")
	n, g := newNode(nil), group(fastCheck(), a, b)
	base := start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy, "i-b": loadbalancer.Healthy})

	got := sendRequests(t, base, 10)
	for i := 1; i < len(got); i++ {
		assert.NotEqual(t, got[i-1], got[i], "request %d went to the same target as the one before: %v", i, got)
	}
	assert.EqualValues(t, 5, a.hits.Load())
	assert.EqualValues(t, 5, b.hits.Load())
}

func TestUnhealthyTargetGetsNoTraffic(t *testing.T) {
	a, b := newTarget(t, "i-a"), newTarget(t, "i-b")
	b.health.Store(http.StatusNotFound)
	log := &syncBuffer{}
	n, g := newNode(log), group(fastCheck(), a, b)
	base := start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy, "i-b": loadbalancer.Unhealthy})
	assert.Contains(t, log.String(), "target i-b ("+b.target().Addr.String()+") initial → unhealthy after 3 failures in a row (health check GET /health → 404)")

	assert.Equal(t, []string{"i-a", "i-a", "i-a", "i-a", "i-a", "i-a"}, sendRequests(t, base, 6))
	assert.Zero(t, b.hits.Load())
}

func TestAllUnhealthyFailsOpen(t *testing.T) {
	a, b := newTarget(t, "i-a"), newTarget(t, "i-b")
	a.health.Store(http.StatusNotFound)
	b.health.Store(http.StatusInternalServerError)
	n, g := newNode(nil), group(fastCheck(), a, b)
	base := start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Unhealthy, "i-b": loadbalancer.Unhealthy})

	sendRequests(t, base, 10)
	assert.EqualValues(t, 5, a.hits.Load())
	assert.EqualValues(t, 5, b.hits.Load())
}

func TestInitialTargetsServeAtOnce(t *testing.T) {
	a, b := newTarget(t, "i-a"), newTarget(t, "i-b")
	n, g := newNode(nil), group(fastCheck(), a, b)
	base := start(t, n, g, false) // no health checks: both stay initial
	assert.Equal(t, map[string]loadbalancer.State{"i-a": loadbalancer.Initial, "i-b": loadbalancer.Initial}, n.Health(g))

	sendRequests(t, base, 4)
	assert.EqualValues(t, 2, a.hits.Load())
	assert.EqualValues(t, 2, b.hits.Load())
}

func TestNoTargetsIs503(t *testing.T) {
	log := &syncBuffer{}
	n := newNode(log)
	base := start(t, n, group(fastCheck()), true)

	code, body := get(t, base+"/app")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "503 Service Unavailable")
	assert.Contains(t, log.String(), "GET /app → 503")
}

func TestRefusingTargetIs502(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := netip.MustParseAddrPort(l.Addr().String())
	require.NoError(t, l.Close())
	log := &syncBuffer{}
	n := newNode(log)
	g := &loadbalancer.Group{Name: "web", HC: fastCheck(), Targets: []loadbalancer.Target{{ID: "i-gone", Addr: closed}}}
	base := start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-gone": loadbalancer.Unhealthy})
	assert.Contains(t, log.String(), "initial → unhealthy after 3 failures in a row (health check GET /health → connection refused)")

	resp, err := http.Get(base + "/app") // fails open to the only target
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, string(body), "502 Bad Gateway")
	assert.Equal(t, "awselb/2.0", resp.Header.Get("Server"))
	assert.Contains(t, log.String(), "GET /app → 502: target i-gone ("+closed.String()+"): connection refused")
}

func TestSilentTargetIs504(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	n := newNode(nil)
	n.IdleTimeout = 100 * time.Millisecond
	g := &loadbalancer.Group{Name: "web", Targets: []loadbalancer.Target{
		{ID: "i-slow", Addr: netip.MustParseAddrPort(srv.Listener.Addr().String())},
	}}
	base := start(t, n, g, false)

	code, body := get(t, base+"/app")
	assert.Equal(t, http.StatusGatewayTimeout, code)
	assert.Contains(t, body, "504 Gateway Timeout")
}

func TestHealthTransitionsAreLogged(t *testing.T) {
	a := newTarget(t, "i-a")
	log := &syncBuffer{}
	n, g := newNode(log), group(fastCheck(), a)
	start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy})
	a.health.Store(http.StatusInternalServerError)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Unhealthy})
	a.health.Store(http.StatusOK)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy})

	prefix := "test-alb node in 127.0.0.0/8 (127.0.0.1): target group web: target i-a (" + a.target().Addr.String() + ") "
	assert.Equal(t, []string{
		prefix + "initial → healthy after 2 successes in a row (health check GET /health → 200)",
		prefix + "healthy → unhealthy after 3 failures in a row (health check GET /health → 500)",
		prefix + "unhealthy → healthy after 2 successes in a row (health check GET /health → 200)",
	}, log.lines(), "one line per change, none for checks that change nothing")
}

func TestProxyHeaders(t *testing.T) {
	a := newTarget(t, "i-a")
	n, g := newNode(nil), group(fastCheck(), a)
	base := start(t, n, g, false)
	u, err := url.Parse(base)
	require.NoError(t, err)

	req, err := http.NewRequest(http.MethodGet, base+"/app?q=1", nil)
	require.NoError(t, err)
	req.Host = "web.service.internal"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "SimpleHTTP/0.6 Python/3.11.2", resp.Header.Get("Server"), "the target's Server header passes through")

	got := a.lastRequest()
	require.NotNil(t, got)
	assert.Equal(t, "web.service.internal", got.Host)
	assert.Equal(t, "/app?q=1", got.URL.RequestURI())
	assert.Equal(t, "203.0.113.7, 127.0.0.1", got.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "http", got.Header.Get("X-Forwarded-Proto"))
	assert.Equal(t, u.Port(), got.Header.Get("X-Forwarded-Port"))
	assert.Regexp(t, `^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`, got.Header.Get("X-Amzn-Trace-Id"))
}

// countingDial counts the connections a node opens, by address.
type countingDial struct {
	d  net.Dialer
	mu sync.Mutex
	by map[string]int
}

func (c *countingDial) dial(ctx context.Context, network, address string) (net.Conn, error) {
	c.mu.Lock()
	c.by[address]++
	c.mu.Unlock()
	return c.d.DialContext(ctx, network, address)
}

func (c *countingDial) count(address string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[address]
}

func TestEverythingGoesThroughDial(t *testing.T) {
	traffic := newTarget(t, "i-a")
	checker := newTarget(t, "health port") // answers the health checks on its own port
	checkPort := checker.target().Addr.Port()
	hc := fastCheck()
	hc.Port = int(checkPort)
	dials := &countingDial{by: map[string]int{}}
	n, g := newNode(nil), group(hc, traffic)
	n.Dial = dials.dial
	base := start(t, n, g, true)
	waitForHealth(t, n, g, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy})

	checkAddr := netip.AddrPortFrom(traffic.target().Addr.Addr(), checkPort).String()
	assert.GreaterOrEqual(t, dials.count(checkAddr), hc.HealthyThreshold, "health checks dial through the node")
	assert.GreaterOrEqual(t, int(checker.healthHits.Load()), hc.HealthyThreshold, "health checks go to the health-check port")
	assert.Zero(t, traffic.healthHits.Load(), "not to the traffic port")
	assert.Zero(t, dials.count(traffic.target().Addr.String()), "no traffic yet")

	sendRequests(t, base, 2)
	assert.Equal(t, 2, dials.count(traffic.target().Addr.String()), "forwarded requests dial through the node")
}

func TestDisabledHealthCheckCountsTargetsHealthy(t *testing.T) {
	a := newTarget(t, "i-a")
	dials := &countingDial{by: map[string]int{}}
	n, g := newNode(nil), group(loadbalancer.HealthCheck{Enabled: false, Path: "/health"}, a)
	n.Dial = dials.dial

	done := make(chan error, 1)
	go func() { done <- n.CheckHealth(context.Background(), g) }()
	require.Eventually(t, func() bool { return len(done) == 1 }, waitFor, tick, "CheckHealth returns at once")
	require.NoError(t, <-done)
	assert.Equal(t, map[string]loadbalancer.State{"i-a": loadbalancer.Healthy}, n.Health(g))
	assert.Zero(t, dials.count(a.target().Addr.String()))
	assert.Zero(t, a.healthHits.Load())
}

func TestInvalidHealthCheckIsAnError(t *testing.T) {
	log := &syncBuffer{}
	n := newNode(log)
	hc := fastCheck()
	hc.Matcher = "2xx"
	err := n.CheckHealth(context.Background(), group(hc, newTarget(t, "i-a")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `target group web: health check matcher "2xx"`)
	assert.Contains(t, log.String(), `matcher "2xx"`)
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- newNode(nil).Serve(ctx, l, group(fastCheck(), newTarget(t, "i-a"))) }()
	code, _ := get(t, "http://"+l.Addr().String()+"/app")
	require.Equal(t, http.StatusOK, code)

	cancel()
	require.Eventually(t, func() bool { return len(served) == 1 }, waitFor, tick)
	require.NoError(t, <-served)
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "the listener is closed")
}
