package twin

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/internal-alb/internal-alb/internal/graph"
	"github.com/internal-alb/internal-alb/verify"
)

// The health-check settings the verifier's model does not carry, read from
// the target group's resource, with AWS's defaults for an HTTP group.
type healthCheck struct {
	matcher            string
	interval, timeout  time.Duration
	healthy, unhealthy int
}

func healthCheckOf(tg *verify.TargetGroup) healthCheck {
	hc := healthCheck{matcher: "200", interval: 30 * time.Second, timeout: 5 * time.Second, healthy: 5, unhealthy: 2}
	if tg.Res == nil {
		return hc
	}
	m := firstMap(tg.Res.Prop("healthCheck"))
	if s, ok := m["matcher"].(string); ok && s != "" {
		hc.matcher = s
	}
	if n, ok := number(m["interval"]); ok && n > 0 {
		hc.interval = time.Duration(n) * time.Second
	}
	if n, ok := number(m["timeout"]); ok && n > 0 {
		hc.timeout = time.Duration(n) * time.Second
	}
	if n, ok := number(m["healthyThreshold"]); ok && n > 0 {
		hc.healthy = n
	}
	if n, ok := number(m["unhealthyThreshold"]); ok && n > 0 {
		hc.unhealthy = n
	}
	return hc
}

// firstMap reads an object property that a state may hold as a one-element
// list (Terraform's nested blocks) or as an object.
func firstMap(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case []any:
		if len(x) > 0 {
			m, _ := x[0].(map[string]any)
			return m
		}
	}
	return nil
}

func number(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), true
	case int:
		return x, true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

func str(r *graph.Resource, name string) string {
	if r == nil {
		return ""
	}
	return r.String(name)
}

// codeOf reads a function's code: from its outputs, else its inputs (after
// a refresh, the provider's outputs may hold the archive without its files).
func codeOf(r *graph.Resource) map[string]string {
	if files := archiveFiles(r.Outputs["code"]); len(files) > 0 {
		return files
	}
	return archiveFiles(r.Inputs["code"])
}

// archiveFiles reads a Lambda function's code archive from the graph: a
// plan holds {"archive": {file: text}}, a state export Pulumi's archive
// form {"assets": {file: {"text": …}}}.
func archiveFiles(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	if a, ok := m["archive"].(map[string]any); ok {
		for k, t := range a {
			if s, ok := t.(string); ok {
				out[k] = s
			}
		}
	}
	if a, ok := m["assets"].(map[string]any); ok {
		for k, t := range a {
			if am, ok := t.(map[string]any); ok {
				if s, ok := am["text"].(string); ok {
					out[k] = s
				}
			}
		}
	}
	return out
}

// userDataOf returns an instance's user data script. A state holds the
// script in the inputs; the provider's outputs keep only its SHA-1, which
// the twin cannot run (then ok is false).
func userDataOf(r *graph.Resource) (script string, ok bool) {
	if r == nil {
		return "", true
	}
	for _, props := range []map[string]any{r.Inputs, r.Outputs} {
		if s, _ := props["userData"].(string); s != "" && !isSHA1(s) {
			return s, true
		}
		if s, _ := props["userDataBase64"].(string); s != "" {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return string(b), true
			}
		}
	}
	for _, props := range []map[string]any{r.Inputs, r.Outputs} {
		if s, _ := props["userData"].(string); s != "" {
			return "", false
		}
	}
	return "", true
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
