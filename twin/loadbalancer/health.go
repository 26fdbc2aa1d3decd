package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// HealthCheck is a target group's health check. Zero fields take AWS's
// defaults for an HTTP target group of an ALB: Path "/", the traffic port,
// Matcher "200", Interval 30 s, Timeout 5 s, HealthyThreshold 5,
// UnhealthyThreshold 2.
type HealthCheck struct {
	Enabled bool
	// Path is the path of the GET request, e.g. "/".
	Path string
	// Port is the port checked; 0 means the target's traffic port.
	Port int
	// Protocol is "HTTP". The twin's targets speak plain HTTP, so any other
	// value (HTTPS included) is checked as HTTP too.
	Protocol string
	// Matcher lists the status codes that count as success, in AWS's
	// syntax: "200", "200-299", "200,302", or a mix. AWS allows codes
	// 200-499 for an ALB.
	Matcher string
	// Interval is the time between two checks of one target; Timeout is
	// how long one check may take.
	Interval, Timeout time.Duration
	// HealthyThreshold and UnhealthyThreshold are the numbers of
	// consecutive successes and failures that change a target's state.
	HealthyThreshold, UnhealthyThreshold int
}

// Validate reports every problem of hc, joined; zero fields are fine (they
// take the defaults).
func (hc HealthCheck) Validate() error {
	_, err := hc.resolve()
	return err
}

// healthCheck is a HealthCheck with its defaults applied and its matcher
// parsed.
type healthCheck struct {
	HealthCheck
	match matcher
}

// resolve applies the defaults to hc and checks it.
func (hc HealthCheck) resolve() (healthCheck, error) {
	if hc.Path == "" {
		hc.Path = "/"
	}
	if hc.Matcher == "" {
		hc.Matcher = "200"
	}
	if hc.Interval == 0 {
		hc.Interval = 30 * time.Second
	}
	if hc.Timeout == 0 {
		hc.Timeout = 5 * time.Second
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = 5
	}
	if hc.UnhealthyThreshold == 0 {
		hc.UnhealthyThreshold = 2
	}
	var errs []error
	if !strings.HasPrefix(hc.Path, "/") {
		errs = append(errs, fmt.Errorf("health check path %q does not start with /", hc.Path))
	}
	if hc.Port < 0 || hc.Port > 65535 {
		errs = append(errs, fmt.Errorf("health check port %d is not a port", hc.Port))
	}
	m, err := parseMatcher(hc.Matcher)
	if err != nil {
		errs = append(errs, err)
	}
	if hc.Interval < 0 {
		errs = append(errs, fmt.Errorf("health check interval %s is negative", hc.Interval))
	}
	if hc.Timeout < 0 {
		errs = append(errs, fmt.Errorf("health check timeout %s is negative", hc.Timeout))
	}
	if hc.HealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("healthy threshold %d is negative", hc.HealthyThreshold))
	}
	if hc.UnhealthyThreshold < 0 {
		errs = append(errs, fmt.Errorf("unhealthy threshold %d is negative", hc.UnhealthyThreshold))
	}
	return healthCheck{HealthCheck: hc, match: m}, errors.Join(errs...)
}

// matcher is a parsed Matcher: inclusive ranges of status codes.
type matcher []codeRange

type codeRange struct{ lo, hi int }

// parseMatcher parses AWS's matcher syntax: comma-separated codes and
// lo-hi ranges, each within 200-499 as AWS allows for an ALB.
func parseMatcher(s string) (matcher, error) {
	var m matcher
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		l, errLo := strconv.Atoi(lo)
		h, errHi := strconv.Atoi(hi)
		if errLo != nil || errHi != nil || l > h || l < 200 || h > 499 {
			return nil, fmt.Errorf("health check matcher %q: %q is not a code or range within 200-499", s, part)
		}
		m = append(m, codeRange{l, h})
	}
	return m, nil
}

// matches reports whether code is one of m's codes.
func (m matcher) matches(code int) bool {
	for _, r := range m {
		if r.lo <= code && code <= r.hi {
			return true
		}
	}
	return false
}

// targetHealth is one target's health as one node sees it. run counts the
// latest results of the same kind: successes when positive, failures when
// negative.
type targetHealth struct {
	state State
	run   int
}

// observe records one check result and returns the state before it and
// whether the state changed.
func (th *targetHealth) observe(ok bool, healthy, unhealthy int) (from State, changed bool) {
	from = th.state
	switch {
	case ok && th.run < 0, !ok && th.run > 0:
		th.run = 0
	}
	if ok {
		th.run++
		if th.state != Healthy && th.run >= healthy {
			th.state = Healthy
		}
	} else {
		th.run--
		if th.state != Unhealthy && -th.run >= unhealthy {
			th.state = Unhealthy
		}
	}
	return from, th.state != from
}

// CheckHealth runs g's health checks from this node until ctx ends, each
// target on its own schedule: the first check at once, then one every
// Interval. It writes one line to n.Log per change of a target's state.
//
// It returns nil when ctx ends, and at once when g's health check is
// disabled (its targets then count as healthy). It returns an error, also
// written to n.Log, when the health check is invalid or n has no Dial.
// Call it once per group and node: two runs would count every result twice.
func (n *Node) CheckHealth(ctx context.Context, g *Group) error {
	if !g.HC.Enabled {
		return nil
	}
	hc, err := g.HC.resolve()
	if err == nil && n.Dial == nil {
		err = errors.New("node has no Dial")
	}
	if err != nil {
		err = fmt.Errorf("loadbalancer: target group %s: %w", g.Name, err)
		n.logf("%v", err)
		return err
	}
	tr := &http.Transport{DialContext: n.Dial, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// A redirect is a status like any other: the matcher judges it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	gs := n.state(g)
	var wg sync.WaitGroup
	for _, t := range g.Targets {
		wg.Go(func() { n.watch(ctx, client, g, gs, hc, t) })
	}
	wg.Wait()
	return nil
}

// watch checks one target until ctx ends.
func (n *Node) watch(ctx context.Context, client *http.Client, g *Group, gs *groupState, hc healthCheck, t Target) {
	tick := time.NewTicker(hc.Interval)
	defer tick.Stop()
	for {
		ok, reason := probe(ctx, client, hc, t)
		if ctx.Err() != nil {
			return // a check cut short by the end of the run proves nothing
		}
		gs.mu.Lock()
		th, seen := gs.targets[t]
		if !seen {
			th = &targetHealth{}
			gs.targets[t] = th
		}
		from, changed := th.observe(ok, hc.HealthyThreshold, hc.UnhealthyThreshold)
		to, run := th.state, max(th.run, -th.run)
		gs.mu.Unlock()
		if changed {
			n.logf("target group %s: target %s (%s) %s → %s after %d %s in a row (%s)",
				g.Name, t.ID, t.Addr, from, to, run, plural(ok), reason)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func plural(ok bool) string {
	if ok {
		return "successes"
	}
	return "failures"
}

// probe runs one health check of t and says whether it passed, and why, e.g.
// "health check GET / → 404".
func probe(ctx context.Context, client *http.Client, hc healthCheck, t Target) (bool, string) {
	port := t.Addr.Port()
	if hc.Port != 0 {
		port = uint16(hc.Port)
	}
	addr := netip.AddrPortFrom(t.Addr.Addr(), port)
	what := "health check GET " + hc.Path
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr.String()+hc.Path, nil)
	if err != nil {
		return false, fmt.Sprintf("%s → bad request: %v", what, err)
	}
	// The Host header is the target's address and port, as AWS sends it.
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := client.Do(req)
	if err != nil {
		if isTimeout(err) {
			return false, fmt.Sprintf("%s → no answer within %s", what, hc.Timeout)
		}
		return false, fmt.Sprintf("%s → %s", what, describe(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // only the status counts
	return hc.match.matches(resp.StatusCode), fmt.Sprintf("%s → %d", what, resp.StatusCode)
}

// describe says in a few words why a connection to a target failed.
func describe(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// isTimeout reports whether err is a deadline that expired.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
