package localrun

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Timing measures an operation from the engine's events: when each
// resource's step started and ended, as this process saw them, counted from
// NewTiming.
type Timing struct {
	Events chan events.EngineEvent // hand to opt*.EventStreams

	t0    time.Time
	mu    sync.Mutex
	first time.Duration // the engine's first event
	spans map[string]*Span
	done  chan struct{}
}

// Span is one resource's step, counted from the start of the operation.
type Span struct {
	URN, Type  string
	Start, End time.Duration
	ended      bool
}

// Name is the resource's name, the last part of its URN.
func (s Span) Name() string { return s.URN[strings.LastIndex(s.URN, "::")+2:] }

// Took is how long the step lasted.
func (s Span) Took() time.Duration { return s.End - s.Start }

// NewTiming starts the clock and consumes events; call Wait after the
// operation returns.
func NewTiming() *Timing {
	t := &Timing{
		Events: make(chan events.EngineEvent),
		t0:     time.Now(),
		first:  -1,
		spans:  map[string]*Span{},
		done:   make(chan struct{}),
	}
	go func() {
		defer close(t.done)
		for e := range t.Events {
			t.record(e, time.Since(t.t0))
		}
	}()
	return t
}

func (t *Timing) record(e events.EngineEvent, at time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first < 0 {
		t.first = at
	}
	var md *apitype.StepEventMetadata
	ended := false
	switch {
	case e.ResourcePreEvent != nil:
		md = &e.ResourcePreEvent.Metadata
	case e.ResOutputsEvent != nil:
		md, ended = &e.ResOutputsEvent.Metadata, true
	case e.ResOpFailedEvent != nil:
		md, ended = &e.ResOpFailedEvent.Metadata, true
	}
	if md == nil || md.Op == apitype.OpSame || !isCustom(md.Type) {
		return
	}
	s := t.spans[md.URN]
	switch {
	case !ended:
		t.spans[md.URN] = &Span{URN: md.URN, Type: md.Type, Start: at}
	case s != nil:
		s.End, s.ended = at, true
	}
}

// Since is the time since NewTiming started the clock.
func (t *Timing) Since() time.Duration { return time.Since(t.t0) }

// Wait blocks until the engine closed the event stream.
func (t *Timing) Wait() { <-t.done }

// Spans are the AWS resources' finished steps, in the order they started.
func (t *Timing) Spans() []Span {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Span
	for _, s := range t.spans {
		if s.ended {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].URN < out[j].URN
	})
	return out
}

// Slowest returns the AWS resource whose step took longest.
func (t *Timing) Slowest() (Span, bool) {
	var best Span
	found := false
	for _, s := range t.Spans() {
		if !found || s.Took() > best.Took() {
			best, found = s, true
		}
	}
	return best, found
}

// Steps is how many AWS resources had a step (created, updated, deleted...).
func (t *Timing) Steps() int { return len(t.Spans()) }

// Chain walks back from the step that ended last: before each step, the one
// that ended last before it started, which is what it most likely waited
// for. It is the operation's critical path as the events show it.
func (t *Timing) Chain() []Span {
	spans := t.Spans()
	if len(spans) == 0 {
		return nil
	}
	last := spans[0]
	for _, s := range spans {
		if s.End > last.End {
			last = s
		}
	}
	chain := []Span{last}
	for {
		cur := chain[len(chain)-1]
		var prev *Span
		for i := range spans {
			s := &spans[i]
			if s.End <= cur.Start && (prev == nil || s.End > prev.End) {
				prev = s
			}
		}
		if prev == nil {
			break
		}
		chain = append(chain, *prev)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain
}

// Report describes where an operation's wall time went: the engine's first
// event, the critical path step by step with the gaps between steps, the end
// (wall is how long the operation's call took), then every step.
func (t *Timing) Report(wall time.Duration) string {
	t.mu.Lock()
	first := t.first
	t.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%7.1fs  first engine event\n", first.Seconds())
	prevEnd := time.Duration(0)
	for _, s := range t.Chain() {
		fmt.Fprintf(&b, "%7.1fs  %-45s %5.1fs  (waited %.1fs before it)\n",
			s.Start.Seconds(), s.Type+" "+s.Name(), s.Took().Seconds(), (s.Start - prevEnd).Seconds())
		prevEnd = s.End
	}
	fmt.Fprintf(&b, "%7.1fs  last step ended\n%7.1fs  operation returned\n", prevEnd.Seconds(), wall.Seconds())
	b.WriteString("\nevery step, in the order they started:\n")
	for _, s := range t.Spans() {
		fmt.Fprintf(&b, "%7.1fs  %7.1fs  %5.1fs  %s %s\n", s.Start.Seconds(), s.End.Seconds(), s.Took().Seconds(), s.Type, s.Name())
	}
	return b.String()
}

// isCustom: the AWS provider's types; components are this project's
// ("internal-alb:…").
func isCustom(typ string) bool { return strings.HasPrefix(typ, "aws:") }
