// Package verify reads a Pulumi resource graph (a plan run under mocks, or a
// `pulumi stack export`) and proves the mission's network paths, checks the
// security rules, estimates the monthly cost and draws the topology.
//
// It reasons over configuration (routes, security groups, NACLs, DNS zones,
// IAM documents), not packets. It has no Pulumi dependency.
package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// Options are the facts the graph does not carry.
type Options struct {
	// AdminCidrs are the stack's adminCidrs: who must reach the bastions on 22.
	AdminCidrs []string
	// AllowSshFromAnywhere is the stack's allowSshFromAnywhere: SSH or RDP
	// open to a public range broader than ipam.AdminPrefixLimit is then
	// WARNed about, not FAILed.
	AllowSshFromAnywhere bool
	// LogsOff says the stack turned its logs off (internal-alb:logs false):
	// missing flow logs and ALB access logs are then WARNed about, not
	// FAILed.
	LogsOff bool
	// ListenerPort is the ALB port clients use (default 80).
	ListenerPort int
	// TargetPort is where the web servers listen (default 8080).
	TargetPort int
	// Now dates the Lambda runtime deprecation check (default time.Now()).
	Now time.Time
	// Prices overrides the embedded ap-northeast-1 price table.
	Prices *PriceTable
	// Usage holds the per-GB and per-request assumptions of the estimate.
	Usage *Usage
	// SkipCost leaves the cost estimate out.
	SkipCost bool
}

func (o Options) withDefaults() Options {
	if o.ListenerPort == 0 {
		o.ListenerPort = 80
	}
	if o.TargetPort == 0 {
		o.TargetPort = 8080
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// Report is the verifier's answer for one graph.
type Report struct {
	Summary Summary      `json:"summary"`
	Paths   []PathResult `json:"paths"`
	Rules   []RuleResult `json:"rules"`
	Cost    *CostReport  `json:"cost,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
}

// Summary counts the results.
type Summary struct {
	OK               bool `json:"ok"`
	Resources        int  `json:"resources"`
	RequiredProven   int  `json:"requiredProven"`
	RequiredRefused  int  `json:"requiredRefused"`
	ForbiddenBlocked int  `json:"forbiddenBlocked"`
	ForbiddenOpen    int  `json:"forbiddenOpen"`
	RulesPassed      int  `json:"rulesPassed"`
	RulesFailed      int  `json:"rulesFailed"`
	RulesWarned      int  `json:"rulesWarned"`
	RulesWaived      int  `json:"rulesWaived"`
}

// Check builds the model and runs paths, rules and (unless skipped) cost.
func Check(g graph.Graph, o Options) Report {
	o = o.withDefaults()
	m := BuildModel(g)
	r := Report{Paths: m.Paths(o), Rules: m.Rules(o), Notes: m.Notes}
	if !o.SkipCost {
		c := Estimate(g, o)
		r.Cost = &c
	}
	s := Summary{OK: true, Resources: len(g)}
	for _, p := range r.Paths {
		switch p.Status {
		case Proven:
			s.RequiredProven++
		case Refused:
			s.RequiredRefused++
			s.OK = false
		case Unreachable:
			s.ForbiddenBlocked++
		case Reachable:
			s.ForbiddenOpen++
			s.OK = false
		}
	}
	for _, x := range r.Rules {
		switch x.Status {
		case Pass:
			s.RulesPassed++
		case Fail:
			s.RulesFailed++
			s.OK = false
		case Warn:
			s.RulesWarned++
		case Waived:
			s.RulesWaived++
		}
	}
	r.Summary = s
	return r
}

// OK is false when a required path is refused, a forbidden path is reachable
// or a rule fails.
func (r Report) OK() bool { return r.Summary.OK }

// JSON renders the report as indented JSON.
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// Text renders the report for people: one line per path and rule, the hops
// of every path, the blocking piece of every refusal.
func (r Report) Text() string {
	var b strings.Builder
	s := r.Summary
	verdict := "OK"
	if !s.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "verify: %s — %d resources; required paths %d proven, %d refused; forbidden paths %d blocked, %d open; rules %d pass, %d fail, %d warn, %d waived\n\n",
		verdict, s.Resources, s.RequiredProven, s.RequiredRefused, s.ForbiddenBlocked, s.ForbiddenOpen, s.RulesPassed, s.RulesFailed, s.RulesWarned, s.RulesWaived)
	b.WriteString("PATHS\n")
	for _, p := range r.Paths {
		fmt.Fprintf(&b, "  %-11s %s %s\n", p.Status, p.ID, p.Name)
		if p.Reason != "" && p.Status != Proven {
			fmt.Fprintf(&b, "              why: %s\n", p.Reason)
		}
		if p.Status == Proven || p.Status == Reachable {
			for _, h := range p.Hops {
				fmt.Fprintf(&b, "              ✓ %s: %s\n", h.Step, h.Detail)
			}
		}
	}
	b.WriteString("\nRULES\n")
	for _, x := range r.Rules {
		ref := ""
		if x.Ref != "" {
			ref = " [" + x.Ref + "]"
		}
		fmt.Fprintf(&b, "  %-6s %s%s — %s\n", x.Status, x.ID, ref, x.Title)
		for _, f := range x.Findings {
			fmt.Fprintf(&b, "           - %s\n", f)
		}
		if x.Status == Waived || x.Status == Warn {
			fmt.Fprintf(&b, "           note: %s\n", x.Note)
		}
	}
	if r.Cost != nil {
		b.WriteString("\n")
		b.WriteString(r.Cost.Text())
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNOTES (graph pieces the model could not resolve)\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	return b.String()
}
