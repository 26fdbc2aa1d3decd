// Package drift explains what a `pulumi preview --refresh` found: for each
// resource that differs from the stack, what changed outside the stack, what
// `pulumi up --refresh` would do about it, and which of the mission's
// required paths the change breaks on its own (the verifier on the state with
// that one change applied), then which paths all of it breaks together.
//
// It reads the preview's engine events (the refresh steps carry each
// resource's state as AWS has it now; the update steps what the program
// would change) and the stack's export from before the refresh, and changes
// nothing.
package drift

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/internal-alb/internal-alb/verify"
)

// Events are what one `preview --refresh` said, collected from its event
// stream.
type Events struct {
	// refreshed is each resource's state as the refresh read it (nil when
	// the resource is gone), by URN.
	refreshed map[string]*apitype.StepEventStateMetadata
	// steps are the program's planned steps other than "same", by URN.
	steps map[string][]apitype.StepEventMetadata
	order []string // URNs in the order the preview met them
}

// Collect reads an engine event stream until it is closed. Run it in its
// own goroutine beside the preview and wait for it to return.
func Collect(ch <-chan events.EngineEvent) *Events {
	e := &Events{refreshed: map[string]*apitype.StepEventStateMetadata{}, steps: map[string][]apitype.StepEventMetadata{}}
	for ev := range ch {
		if ev.ResOutputsEvent != nil && ev.ResOutputsEvent.Metadata.Op == apitype.OpRefresh {
			m := ev.ResOutputsEvent.Metadata
			e.refreshed[m.URN] = m.New
			continue
		}
		if ev.ResourcePreEvent == nil {
			continue
		}
		m := ev.ResourcePreEvent.Metadata
		switch m.Op {
		case apitype.OpSame, apitype.OpRefresh, apitype.OpRead:
			continue
		}
		if _, seen := e.steps[m.URN]; !seen {
			e.order = append(e.order, m.URN)
		}
		e.steps[m.URN] = append(e.steps[m.URN], m)
	}
	return e
}

// Change is one resource that differs from the stack.
type Change struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
	// What happened, in a few words ("deleted outside the stack").
	What string `json:"what"`
	// Props are the properties that differ: in the stack, and now.
	Props []Prop `json:"props,omitempty"`
	// Repair is what `pulumi up --refresh` does: create, update, replace,
	// delete; empty when it would not change the resource back.
	Repair string `json:"repair"`
	// Breaks are the required paths (and rules) this change breaks alone.
	Breaks []string `json:"breaks"`
}

// Prop is one differing property.
type Prop struct {
	Path  string `json:"path"`
	Stack string `json:"stack"` // the value the stack recorded
	Now   string `json:"now"`   // the value AWS has now ("(absent)" when gone)
}

// Report is the whole explanation.
type Report struct {
	Changes []Change `json:"changes"`
	// Broken are the required paths and rules all the changes break together.
	Broken []string `json:"broken"`
}

// Drifted reports whether anything differs.
func (r Report) Drifted() bool { return len(r.Changes) > 0 }

// Analyse explains the events of a `preview --refresh` of the stack whose
// export (as `pulumi stack export` writes it, before the refresh) is
// exported; opts are the verifier's options for the stack.
func Analyse(exported []byte, ev *Events, opts verify.Options) (Report, error) {
	st, err := parseExport(exported)
	if err != nil {
		return Report{}, err
	}
	opts.SkipCost = true
	baseline, err := st.check(nil, opts)
	if err != nil {
		return Report{}, err
	}

	// A change is judged with the refreshed state of what it belongs to
	// (a route with its route table's, a rule with its group's): those
	// list it among their own outputs, which the verifier also reads.
	withParents := func(urn string) map[string]*apitype.StepEventStateMetadata {
		swap := map[string]*apitype.StepEventStateMetadata{urn: ev.refreshed[urn]}
		for _, p := range st.refersTo(urn) {
			if now, ok := ev.refreshed[p]; ok && st.differs(p, now) {
				swap[p] = now
			}
		}
		return swap
	}
	var r Report
	seen := map[string]bool{}
	for _, urn := range ev.order {
		seen[urn] = true
		c := ev.change(urn, st)
		if _, refreshed := ev.refreshed[urn]; refreshed && st.has(urn) {
			swap := withParents(urn)
			for p := range swap {
				seen[p] = true
			}
			after, err := st.check(swap, opts)
			if err != nil {
				return Report{}, err
			}
			c.Breaks = broken(baseline, after)
		}
		r.Changes = append(r.Changes, c)
	}
	// A change the program does not manage (nothing to repair), and that is
	// not part of one above, matters when it breaks something on its own.
	var unmanaged []string
	for urn, now := range ev.refreshed {
		if seen[urn] || !st.has(urn) || !st.differs(urn, now) {
			continue
		}
		unmanaged = append(unmanaged, urn)
	}
	sort.Strings(unmanaged)
	for _, urn := range unmanaged {
		after, err := st.check(withParents(urn), opts)
		if err != nil {
			return Report{}, err
		}
		if b := broken(baseline, after); len(b) > 0 {
			c := Change{URN: urn, Type: st.typeOf(urn), Name: nameOf(urn), What: "changed outside the stack; the program does not set what changed",
				Props: diffProps(st.outputs(urn), outputsOf(ev.refreshed[urn]), ""), Breaks: b}
			r.Changes = append(r.Changes, c)
		}
	}
	all, err := st.check(ev.refreshed, opts)
	if err != nil {
		return Report{}, err
	}
	r.Broken = broken(baseline, all)
	return r, nil
}

// change describes the planned steps of one URN.
func (e *Events) change(urn string, st *state) Change {
	steps := e.steps[urn]
	c := Change{URN: urn, Type: steps[0].Type, Name: nameOf(urn), Repair: repairOf(steps)}
	now, refreshed := e.refreshed[urn]
	switch {
	case !st.has(urn):
		c.What = "in the program but not in the stack: an undeployed change"
	case refreshed && now == nil:
		c.What = "deleted outside the stack"
	case c.Repair == "delete":
		c.What = "in the stack but no longer in the program: an undeployed change"
	case refreshed:
		c.What = "changed outside the stack"
		var paths []string
		for _, s := range steps {
			for p := range s.DetailedDiff {
				paths = append(paths, p)
			}
			paths = append(paths, s.Diffs...)
		}
		c.Props = propsAt(st.outputs(urn), outputsOf(now), paths)
		if len(c.Props) == 0 {
			c.What = "differs from the program"
		}
	default:
		c.What = "differs from the program"
	}
	return c
}

// repairOf names what `up` does with a URN's steps.
func repairOf(steps []apitype.StepEventMetadata) string {
	ops := map[apitype.OpType]bool{}
	for _, s := range steps {
		ops[s.Op] = true
	}
	switch {
	case ops[apitype.OpReplace] || ops[apitype.OpCreateReplacement] || ops[apitype.OpDeleteReplaced]:
		return "replace"
	case ops[apitype.OpCreate]:
		return "create"
	case ops[apitype.OpDelete]:
		return "delete"
	case ops[apitype.OpUpdate]:
		return "update"
	}
	return string(steps[0].Op)
}

// broken lists what passes in before and not in after: required paths
// proven before and refused or gone after, and rules that passed before and
// fail after.
func broken(before, after verify.Report) []string {
	now := map[string]verify.PathResult{}
	for _, p := range after.Paths {
		now[p.ID+" "+p.Name] = p
	}
	var out []string
	for _, p := range before.Paths {
		if p.Kind != "required" || !p.OK {
			continue
		}
		a, ok := now[p.ID+" "+p.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s: no longer there", p.ID, p.Name))
		case !a.OK:
			out = append(out, fmt.Sprintf("%s %s: refused: %s", p.ID, p.Name, a.Reason))
		}
	}
	for _, p := range after.Paths {
		if p.Kind == "forbidden" && !p.OK {
			out = append(out, fmt.Sprintf("%s %s: open", p.ID, p.Name))
		}
	}
	was := map[string]string{}
	for _, r := range before.Rules {
		was[r.ID] = r.Status
	}
	for _, r := range after.Rules {
		if r.Status == "FAIL" && was[r.ID] != "FAIL" {
			out = append(out, fmt.Sprintf("rule %s %s: %s", r.ID, r.Title, strings.Join(r.Findings, "; ")))
		}
	}
	return out
}

// Text is the report for people: each change with what changed, what it
// breaks and what `up` does; then the total.
func (r Report) Text() string {
	var b strings.Builder
	if !r.Drifted() {
		b.WriteString("drift: none: AWS matches the stack, and the stack the program\n")
		return b.String()
	}
	fmt.Fprintf(&b, "drift: %d resource(s) differ from the stack\n", len(r.Changes))
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "\n  %s %s: %s\n", c.Type, c.Name, c.What)
		for _, p := range c.Props {
			fmt.Fprintf(&b, "      %s: %s in the stack, %s now\n", p.Path, p.Stack, p.Now)
		}
		if len(c.Breaks) == 0 {
			b.WriteString("      breaks no required path on its own\n")
		}
		for _, x := range c.Breaks {
			fmt.Fprintf(&b, "      breaks %s\n", x)
		}
		if c.Repair != "" {
			fmt.Fprintf(&b, "      pulumi up --refresh: %s\n", c.Repair)
		} else {
			b.WriteString("      pulumi up --refresh: leaves it as it is (set it back by hand)\n")
		}
	}
	if len(r.Broken) == 0 {
		b.WriteString("\nAll together they break no required path.\n")
	} else {
		b.WriteString("\nAll together they break:\n")
		for _, x := range r.Broken {
			fmt.Fprintf(&b, "  %s\n", x)
		}
	}
	return b.String()
}

// JSON is the report for machines.
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

func nameOf(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func outputsOf(s *apitype.StepEventStateMetadata) map[string]any {
	if s == nil {
		return nil
	}
	return s.Outputs
}

// propsAt are the differing values at each property path the engine named
// ("healthCheck.path", "vpcs[1].vpcId"), parents before their children.
func propsAt(stack, now map[string]any, paths []string) []Prop {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var out []Prop
	for i, p := range paths {
		// A parent ("healthCheck") says no more than its child
		// ("healthCheck.path"), which sorts right after it.
		if i+1 < len(paths) && (strings.HasPrefix(paths[i+1], p+".") || strings.HasPrefix(paths[i+1], p+"[")) {
			continue
		}
		was, is := render(at(stack, p)), render(at(now, p))
		if was != is {
			out = append(out, Prop{Path: p, Stack: was, Now: is})
		}
	}
	return out
}

// diffProps are the top-level outputs that differ.
func diffProps(stack, now map[string]any, prefix string) []Prop {
	keys := map[string]bool{}
	for k := range stack {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	var paths []string
	for k := range keys {
		if k != "__meta" {
			paths = append(paths, prefix+k)
		}
	}
	return propsAt(stack, now, paths)
}

var pathPart = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// at reads the value at a property path, nil when there is none.
func at(v any, path string) any {
	for _, part := range pathPart.FindAllString(path, -1) {
		if strings.HasPrefix(part, "[") {
			i, _ := strconv.Atoi(strings.Trim(part, "[]"))
			l, ok := v.([]any)
			if !ok || i >= len(l) {
				return nil
			}
			v = l[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func render(v any) string {
	if v == nil {
		return "(absent)"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
