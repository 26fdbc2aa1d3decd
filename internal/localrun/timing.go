package localrun

import (
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Timing measures an operation from the engine's events: when each
// resource's step started and ended, as this process saw them.
type Timing struct {
	Events chan events.EngineEvent // hand to opt*.EventStreams

	mu    sync.Mutex
	start map[string]time.Time
	took  map[string]time.Duration
	types map[string]string
	done  chan struct{}
}

// NewTiming starts consuming events; call Wait after the operation returns.
func NewTiming() *Timing {
	t := &Timing{
		Events: make(chan events.EngineEvent),
		start:  map[string]time.Time{}, took: map[string]time.Duration{}, types: map[string]string{},
		done: make(chan struct{}),
	}
	go func() {
		defer close(t.done)
		for e := range t.Events {
			now := time.Now()
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
			if md == nil || md.Op == apitype.OpSame || md.Type == "pulumi:pulumi:Stack" {
				continue
			}
			t.mu.Lock()
			if ended {
				if s, ok := t.start[md.URN]; ok {
					t.took[md.URN] = now.Sub(s)
					t.types[md.URN] = md.Type
				}
			} else {
				t.start[md.URN] = now
			}
			t.mu.Unlock()
		}
	}()
	return t
}

// Wait blocks until the engine closed the event stream.
func (t *Timing) Wait() { <-t.done }

// Slowest returns the custom resource whose step took longest.
func (t *Timing) Slowest() (urn, typ string, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for u, d := range t.took {
		if d > took && isCustom(t.types[u]) {
			urn, typ, took = u, t.types[u], d
		}
	}
	return urn, typ, took
}

// Steps is how many resources had a step (created, updated, deleted...).
func (t *Timing) Steps() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for u := range t.took {
		if isCustom(t.types[u]) {
			n++
		}
	}
	return n
}

// isCustom: component types are this project's ("internal-alb:…").
func isCustom(typ string) bool {
	return len(typ) > 4 && typ[:4] == "aws:"
}
