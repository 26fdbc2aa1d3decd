package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// secretSig marks a secret value in a Pulumi checkpoint.
const (
	secretSigKey = "4dabf18193072939515e22adb298388d"
	secretSigVal = "1b47061264138c4ac30d75fd1eb44270"
)

// LoadStateExport reads a `pulumi stack export` file into a graph. Secret
// values that carry their plaintext are decoded; encrypted ones (exported
// without --show-secrets) become the string "[secret]".
func LoadStateExport(path string) (graph.Graph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verify: read state export: %w", err)
	}
	g, err := ParseStateExport(b)
	if err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	return g, nil
}

// ParseStateExport parses the bytes of a `pulumi stack export`.
func ParseStateExport(b []byte) (graph.Graph, error) {
	var doc struct {
		Version    int `json:"version"`
		Deployment struct {
			Resources []struct {
				URN          string         `json:"urn"`
				Type         string         `json:"type"`
				ID           string         `json:"id"`
				Parent       string         `json:"parent"`
				Custom       bool           `json:"custom"`
				Delete       bool           `json:"delete"`
				Inputs       map[string]any `json:"inputs"`
				Outputs      map[string]any `json:"outputs"`
				Dependencies []string       `json:"dependencies"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a stack export: %w", err)
	}
	if doc.Version != 0 && doc.Version != 3 {
		return nil, fmt.Errorf("stack export version %d: only version 3 is supported", doc.Version)
	}
	var g graph.Graph
	for _, r := range doc.Deployment.Resources {
		if r.Delete { // pending deletion: no longer part of the stack
			continue
		}
		name := r.URN
		if i := strings.LastIndex(name, "::"); i >= 0 {
			name = name[i+2:]
		}
		g = append(g, graph.Resource{URN: r.URN, Type: r.Type, Name: name, ID: r.ID, Parent: r.Parent, Custom: r.Custom,
			Dependencies: r.Dependencies, Inputs: decodeSecrets(r.Inputs).(map[string]any), Outputs: decodeSecrets(r.Outputs).(map[string]any)})
	}
	return g, nil
}

// decodeSecrets replaces secret envelopes by their plaintext value.
func decodeSecrets(v any) any {
	switch x := v.(type) {
	case nil:
		return map[string]any(nil)
	case map[string]any:
		if asString(x[secretSigKey]) == secretSigVal {
			if pt, ok := x["plaintext"].(string); ok {
				var inner any
				if err := json.Unmarshal([]byte(pt), &inner); err == nil {
					return decodeSecrets(inner)
				}
				return pt
			}
			return "[secret]"
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = decodeValue(e)
		}
		return out
	}
	return v
}

func decodeValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return decodeSecrets(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = decodeValue(e)
		}
		return out
	}
	return v
}
