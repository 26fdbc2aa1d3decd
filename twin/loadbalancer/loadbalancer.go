// Package loadbalancer is one node of an internal Application Load Balancer
// in the data-plane twin: it health-checks a target group's targets and
// proxies HTTP requests to them the way an ALB node does.
//
// An ALB has one node per enabled subnet. The twin gives each Node a
// listener and a Dial function that both live in the node's network
// namespace, so every connection this package opens (health checks and
// forwarded requests) leaves from the node's own address. The package never
// opens a socket of its own.
//
// The AWS semantics it follows:
//   - targets start "initial"; HealthyThreshold consecutive successful checks
//     make a target healthy and UnhealthyThreshold consecutive failures make
//     it unhealthy (from initial too);
//   - requests go round robin to the healthy targets, and to all registered
//     targets when none is healthy ("fail open");
//   - no registered target gives 503, a target that refuses or breaks the
//     connection 502, a target that does not connect or answer in time 504.
//
// Each node keeps its own view of target health, as each ALB node does.
package loadbalancer

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Target is a target registered in a target group: its id (an instance id)
// and the address and port the ALB sends traffic to.
type Target struct {
	ID   string
	Addr netip.AddrPort
}

// Group is a target group: its targets and their health check. A Group must
// not change while a Node serves or checks it; a Node keeps its state per
// *Group, so pass the same pointer to Serve, CheckHealth and Health.
// Target IDs are expected to be unique within a group.
type Group struct {
	Name    string
	Targets []Target
	HC      HealthCheck
}

// Node is one node of an ALB. Set its fields, then call Serve and
// CheckHealth (each once per group, usually in their own goroutines) and
// read Health at any time. A Node must not be copied after first use.
type Node struct {
	// Name names the node in log lines, e.g.
	// "foo-internal-alb node in 10.2.1.0/24".
	Name string
	// Addr is the node's own address in its subnet (for log lines; the
	// source address of connections is whatever Dial uses).
	Addr netip.Addr
	// Dial connects from inside the node's network namespace. It is used
	// for health checks and forwarded requests alike.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Log receives one line per health transition and per proxy error. Nil
	// discards them.
	Log io.Writer
	// IdleTimeout is the ALB's idle timeout: how long a target may take to
	// answer a forwarded request before the node gives up with 504, and how
	// long an idle client connection stays open. Zero means AWS's default of
	// 60 s.
	IdleTimeout time.Duration

	mu     sync.Mutex
	groups map[*Group]*groupState
	logMu  sync.Mutex
}

// AWS's defaults and fixed values for an ALB.
const (
	defaultIdleTimeout = 60 * time.Second
	// connectTimeout is how long a node waits for a target to accept a
	// connection before answering 504; AWS fixes it at 10 s.
	connectTimeout = 10 * time.Second
	// shutdownGrace is how long Serve lets requests in flight finish once
	// its context ends.
	shutdownGrace = 5 * time.Second
)

// State is a target's health as one node sees it.
type State int

// The target health states of an ALB target group that the twin models.
const (
	// Initial: registered, not yet through enough health checks.
	Initial State = iota
	// Healthy: passed HealthyThreshold consecutive checks (or health
	// checks are disabled).
	Healthy
	// Unhealthy: failed UnhealthyThreshold consecutive checks.
	Unhealthy
)

// String returns the state as AWS's DescribeTargetHealth spells it:
// "initial", "healthy" or "unhealthy".
func (s State) String() string {
	switch s {
	case Initial:
		return "initial"
	case Healthy:
		return "healthy"
	case Unhealthy:
		return "unhealthy"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// groupState is what a node knows of one target group: each target's health
// and where round robin stands.
type groupState struct {
	mu      sync.Mutex
	targets map[Target]*targetHealth
	next    uint64
}

// state returns the node's state for g, creating it on first use.
func (n *Node) state(g *Group) *groupState {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.groups == nil {
		n.groups = map[*Group]*groupState{}
	}
	gs, ok := n.groups[g]
	if !ok {
		gs = &groupState{targets: map[Target]*targetHealth{}}
		n.groups[g] = gs
	}
	return gs
}

// stateOf returns t's state; gs.mu must be held.
func (gs *groupState) stateOf(g *Group, t Target) State {
	if !g.HC.Enabled {
		return Healthy
	}
	if th, ok := gs.targets[t]; ok {
		return th.state
	}
	return Initial
}

// Health returns each target's current state as this node sees it, keyed by
// target id. Targets count as healthy when g's health check is disabled and
// as initial until CheckHealth has decided otherwise.
func (n *Node) Health(g *Group) map[string]State {
	gs := n.state(g)
	gs.mu.Lock()
	defer gs.mu.Unlock()
	out := make(map[string]State, len(g.Targets))
	for _, t := range g.Targets {
		out[t.ID] = gs.stateOf(g, t)
	}
	return out
}

// pick chooses the target for the next request: round robin over the
// healthy targets, or over all of them when none is healthy. It reports
// false when g has no targets.
func (n *Node) pick(g *Group) (Target, bool) {
	gs := n.state(g)
	gs.mu.Lock()
	defer gs.mu.Unlock()
	pool := make([]Target, 0, len(g.Targets))
	for _, t := range g.Targets {
		if gs.stateOf(g, t) == Healthy {
			pool = append(pool, t)
		}
	}
	if len(pool) == 0 {
		pool = g.Targets // fail open
	}
	if len(pool) == 0 {
		return Target{}, false
	}
	t := pool[gs.next%uint64(len(pool))]
	gs.next++
	return t, true
}

// logf writes one line to n.Log, prefixed with the node's name.
func (n *Node) logf(format string, args ...any) {
	if n.Log == nil {
		return
	}
	line := n.label() + ": " + fmt.Sprintf(format, args...) + "\n"
	n.logMu.Lock()
	defer n.logMu.Unlock()
	_, _ = io.WriteString(n.Log, line) // a lost log line must not stop the node
}

// label names the node in log lines: its name, and its address when set.
func (n *Node) label() string {
	name := n.Name
	if name == "" {
		name = "alb node"
	}
	if n.Addr.IsValid() {
		return fmt.Sprintf("%s (%s)", name, n.Addr)
	}
	return name
}

// logWriter adapts the node's log for log.Logger users (http.Server and
// httputil.ReverseProxy), so their lines go through the same lock.
type logWriter struct{ n *Node }

func (w logWriter) Write(p []byte) (int, error) {
	if w.n.Log == nil {
		return len(p), nil
	}
	w.n.logMu.Lock()
	defer w.n.logMu.Unlock()
	return w.n.Log.Write(p)
}
