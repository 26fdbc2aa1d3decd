package twin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/internal-alb/internal-alb/twin/loadbalancer"
)

// Expect is what a probe must find.
type Expect string

// What probes expect.
const (
	// HTTPOK: the command exits 0 and its output has the page ("Hello World").
	HTTPOK Expect = "http 200 with the page"
	// InvokeOK: the AWS CLI reports StatusCode 200 and the payload is the function's.
	InvokeOK Expect = "StatusCode 200 and the function's payload"
	// Blocked: the connection times out (a security group, NACL or missing
	// route drops it); a refused connection means the packet got there.
	Blocked Expect = "blocked (connection times out)"
	// AllHealthy: every ALB node sees every registered target healthy.
	AllHealthy Expect = "every target healthy from every ALB node"
)

// Probe is one thing the twin tries: who, what, what it must find, and the
// verifier path it mirrors. The CLI, the report and the tests share one list.
type Probe struct {
	Path    string   // the verifier's path id: P1, P2, P3, F2, F4
	Name    string   // what it shows, for people
	From    string   // instance name ("" for AllHealthy)
	Command []string // run on From with bash -c, from the instance's home
	Expect  Expect
	// Required: the mission needs it to succeed; otherwise it must fail.
	Required bool
}

// Result is a probe's outcome.
type Result struct {
	Probe
	OK      bool   // the probe found what it expects
	Outcome string // what happened, in a few words
	Output  string // the command's output
	Took    time.Duration
}

// probeTimeout bounds one probe's command (the AWS CLI retries an endpoint
// it cannot reach for minutes).
const probeTimeout = 20 * time.Second

// curlTimeouts keep a failing probe short; blockedTimeouts a forbidden one:
// AWS drops silently, so a blocked connection is a timeout, never an error,
// and in the twin an open one answers within milliseconds.
const (
	curlTimeouts    = "--connect-timeout 3 --max-time 10"
	blockedTimeouts = "--connect-timeout 1 --max-time 5"
)

// Probes lists what the twin tries: from every client, the seed's curl of
// the ALB's DNS name and of each private name aliasing it, the stack's
// tryFromClient commands as written (from a state's outputs), the seed's
// aws lambda invoke; the ALB's health checks; and the forbidden ones: a
// client straight to a web server's port, a client to another consumer's
// client.
func (t *Twin) Probes() []Probe {
	m := t.Model
	var out []Probe
	clients := t.clients()
	for _, c := range clients {
		for _, lb := range m.LoadBalancers() {
			if lb.DNSName != "" {
				out = append(out, Probe{Path: "P1", Name: "client → ALB by its DNS name", From: c.Name, Required: true, Expect: HTTPOK,
					Command: []string{"curl -v " + curlTimeouts + " http://" + lb.DNSName + "/"}})
			}
			// The name answers with every node and curl moves on from one
			// that does not answer: each node is tried on its own too, as
			// a client of that AZ's address would.
			for _, n := range t.nodesOf(lb.ID) {
				target := "http://" + n.Addr.Addr().String() + "/"
				if lb.DNSName != "" {
					target = fmt.Sprintf("--resolve %s:80:%s http://%s/", lb.DNSName, n.Addr.Addr(), lb.DNSName)
				}
				if !t.listensOn(lb.ID, 80) {
					continue // the seed's curl is to port 80; no such listener, no probe
				}
				out = append(out, Probe{Path: "P1", Name: "client → " + n.Name, From: c.Name, Required: true, Expect: HTTPOK,
					Command: []string{"curl -sS " + curlTimeouts + " " + target}})
			}
			for _, r := range m.Records {
				if m.AliasOf(r) == lb {
					out = append(out, Probe{Path: "P1", Name: "client → ALB by the private name " + r.FQDN, From: c.Name, Required: true, Expect: HTTPOK,
						Command: []string{"curl -v " + curlTimeouts + " http://" + r.FQDN + "/"}})
				}
			}
		}
		for _, cmd := range t.tryFromClient(c) {
			p := Probe{Path: "P1", Name: "stack output tryFromClient, as written", From: c.Name, Required: true, Expect: HTTPOK, Command: []string{cmd}}
			if strings.HasPrefix(cmd, "aws lambda invoke") {
				p.Path, p.Expect = "P3", InvokeOK
			}
			out = append(out, p)
		}
		for _, f := range m.Funcs {
			out = append(out, Probe{Path: "P3", Name: "client → Lambda through the interface endpoint", From: c.Name, Required: true, Expect: InvokeOK,
				Command: []string{fmt.Sprintf("aws lambda invoke --region %s --function-name %s response.json && cat response.json", t.Spec.Region, f.Name)}})
		}
	}
	if len(t.nodes) > 0 {
		out = append(out, Probe{Path: "P2", Name: "ALB nodes → every registered target (health checks)", Required: true, Expect: AllHealthy})
	}
	if t.inet != nil {
		// From outside: the ALB's name is in public DNS, with the nodes'
		// private addresses for an internal ALB; those must not be reachable.
		for _, lb := range t.Spec.LBs {
			for _, li := range lb.Listeners {
				for _, n := range lb.Nodes {
					target := fmt.Sprintf("http://%s:%d/", n.Addr.Addr(), li.Port)
					if lb.DNSName != "" {
						target = fmt.Sprintf("--resolve %s:%d:%s http://%s:%d/", lb.DNSName, li.Port, n.Addr.Addr(), lb.DNSName, li.Port)
					}
					out = append(out, Probe{Path: "F1", Name: "the internet → " + n.Name, From: Internet, Expect: Blocked,
						Command: []string{"curl -sS " + blockedTimeouts + " " + target}})
				}
			}
		}
	}
	for _, c := range clients {
		for _, lb := range t.Spec.LBs {
			for _, li := range lb.Listeners {
				if li.Group == nil {
					continue
				}
				for _, tg := range li.Group.Targets {
					out = append(out, Probe{Path: "F2", Name: "client straight to a web server, past the ALB", From: c.Name, Expect: Blocked,
						Command: []string{fmt.Sprintf("curl -sS %s http://%s/", blockedTimeouts, tg.Addr)}})
				}
			}
		}
		for _, o := range clients {
			if o.VPC != c.VPC {
				out = append(out, Probe{Path: "F4", Name: "client → another consumer's client", From: c.Name, Expect: Blocked,
					Command: []string{fmt.Sprintf("curl -sS %s http://%s:22/", blockedTimeouts, o.Addr.Addr())}})
			}
		}
	}
	return dedupe(out)
}

// nodesOf returns a load balancer's nodes.
func (t *Twin) nodesOf(lbID string) []*ENI {
	for _, lb := range t.Spec.LBs {
		if lb.ID == lbID {
			return lb.Nodes
		}
	}
	return nil
}

// listensOn says whether a load balancer has a listener on the port.
func (t *Twin) listensOn(lbID string, port int) bool {
	for _, lb := range t.Spec.LBs {
		if lb.ID == lbID {
			for _, l := range lb.Listeners {
				if l.Port == port {
					return true
				}
			}
		}
	}
	return false
}

// clients are the instances tagged Role=client.
func (t *Twin) clients() []*ENI {
	var out []*ENI
	for _, e := range t.Spec.ENIs {
		if e.Kind == "instance" && e.Instance.Role == "client" {
			out = append(out, e)
		}
	}
	return out
}

// tryFromClient reads the stack output of that name for the client's VPC:
// the commands we print for users, minus the one that connects to the
// client (the probe already runs on it): plain ssh, or EC2 Instance
// Connect's key pushes or tunnel, which need AWS's API.
func (t *Twin) tryFromClient(c *ENI) []string {
	vpc := t.Model.VPCs[c.VPC]
	for _, r := range t.Model.Graph {
		if r.Type != "pulumi:pulumi:Stack" {
			continue
		}
		all, _ := r.Outputs["tryFromClient"].(map[string]any)
		cmds, _ := all[vpc.Name].([]any)
		var out []string
		for _, x := range cmds {
			if s, ok := x.(string); ok && !strings.HasPrefix(s, "ssh ") && !strings.HasPrefix(s, "aws ec2-instance-connect ") {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func dedupe(ps []Probe) []Probe {
	seen := map[string]bool{}
	var out []Probe
	for _, p := range ps {
		k := p.From + "\x00" + strings.Join(p.Command, "\x00") + "\x00" + string(p.Expect)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// probeParallel is how many probes run at once: they are independent,
// and most of a probe's time is waiting (a blocked one waits for its
// timeout).
const probeParallel = 4

// RunProbes runs the probes, several at once, and returns the results in
// the probes' order.
func (t *Twin) RunProbes(ctx context.Context, ps []Probe) []Result {
	out := make([]Result, len(ps))
	sem := make(chan struct{}, probeParallel)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = t.RunProbe(ctx, p)
		}()
	}
	wg.Wait()
	return out
}

// RunProbe runs one probe and judges it.
func (t *Twin) RunProbe(ctx context.Context, p Probe) Result {
	start := time.Now()
	r := Result{Probe: p}
	defer func() { r.Took = time.Since(start) }()
	if p.Expect == AllHealthy {
		r.OK, r.Outcome = t.healthOutcome()
		r.Took = time.Since(start)
		return r
	}
	h, _, err := t.Host(p.From)
	if err != nil {
		r.Outcome = err.Error()
		return r
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := h.Command(pctx, "bash", "-c", "cd && "+strings.Join(p.Command, " "))
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	// On timeout the whole process group goes, not only bash: the AWS CLI
	// retries a blocked endpoint for minutes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if pctx.Err() != nil && ctx.Err() == nil {
		r.Output = buf.String()
		r.OK, r.Outcome = p.Expect == Blocked, fmt.Sprintf("no answer within %s", probeTimeout)
		return r
	}
	r.Output = buf.String()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.Outcome = err.Error()
		return r
	}
	r.OK, r.Outcome = judge(p.Expect, code, r.Output)
	r.Took = time.Since(start)
	return r
}

// judge reads a command's exit code and output against what it expects.
func judge(e Expect, code int, out string) (bool, string) {
	switch e {
	case HTTPOK:
		status := httpStatus(out)
		switch {
		case code == 0 && strings.Contains(out, "Hello World"):
			return true, firstNonEmpty(status, "HTTP 200") + ", the page"
		case code == 0:
			return false, firstNonEmpty(status, "an answer") + " without the page"
		}
		return false, curlFailure(code, out)
	case InvokeOK:
		if code == 0 && strings.Contains(out, `"StatusCode": 200`) && strings.Contains(out, "Hello from Lambda!") {
			return true, "StatusCode 200, " + strings.TrimSpace(lastLine(out))
		}
		return false, fmt.Sprintf("exit %d: %s", code, strings.TrimSpace(lastLine(out)))
	case Blocked:
		switch code {
		case 28:
			return true, "timed out: blocked"
		case 6:
			return true, "the name does not resolve: blocked"
		case 0:
			return false, "OPEN: " + firstNonEmpty(httpStatus(out), "it answered")
		case 7:
			if strings.Contains(out, "Connection refused") {
				return false, "OPEN: the packets got there (connection refused by the instance)"
			}
			return true, "no route: blocked (" + strings.TrimSpace(lastLine(out)) + ")"
		case 52, 56:
			return false, "OPEN: the packets got there (no HTTP answer)"
		}
		return false, curlFailure(code, out)
	}
	return false, "unknown expectation " + string(e)
}

func httpStatus(out string) string {
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "<"))
		if strings.HasPrefix(l, "HTTP/") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func curlFailure(code int, out string) string {
	switch code {
	case 6:
		return "curl: could not resolve the name (exit 6)"
	case 7:
		return "curl: connection refused (exit 7)"
	case 28:
		return "curl: timed out (exit 28)"
	}
	return fmt.Sprintf("exit %d: %s", code, strings.TrimSpace(lastLine(out)))
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// healthOutcome reads every node's view of its targets.
func (t *Twin) healthOutcome() (bool, string) {
	ok := true
	var parts []string
	for _, n := range t.nodes {
		h := n.node.Health(n.group)
		for _, id := range slices.Sorted(maps.Keys(h)) {
			st := h[id]
			if st != loadbalancer.Healthy {
				ok = false
			}
			parts = append(parts, fmt.Sprintf("%s sees %s %s", n.node.Name, id, st))
		}
	}
	if len(parts) == 0 {
		return false, "no registered targets"
	}
	return ok, strings.Join(parts, "; ")
}

// HealthLines returns, per web server, the lines its server logged for
// requests from the ALB nodes' addresses (the health checks).
func (t *Twin) HealthLines() map[string][]string {
	nodes := map[string]bool{}
	for _, lb := range t.Spec.LBs {
		for _, n := range lb.Nodes {
			nodes[n.Addr.Addr().String()] = true
		}
	}
	out := map[string][]string{}
	for e, h := range t.hosts {
		b, err := h.Logs("web.service")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) > 0 && nodes[f[0]] {
				out[e.Name] = append(out[e.Name], l)
			}
		}
	}
	return out
}

// Failed counts the results that did not find what they expect.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if !r.OK {
			n++
		}
	}
	return n
}

// ByPath groups results by the verifier path they mirror: OK when every
// probe of the path found what it expects. The differential test compares
// it with the verifier's verdicts.
func ByPath(rs []Result) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		ok, seen := out[r.Path]
		out[r.Path] = (ok || !seen) && r.OK
	}
	return out
}
