package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// secretSig marks a secret value in a Pulumi checkpoint.
const (
	secretSigKey = "4dabf18193072939515e22adb298388d"
	secretSigVal = "1b47061264138c4ac30d75fd1eb44270"
)

// Project is the Pulumi project whose stack exports the verifier reads;
// every URN of an export names it.
const Project = "internal-alb"

// LoadStateExport reads a `pulumi stack export` file into a graph. Secret
// values that carry their plaintext are decoded; encrypted ones (exported
// without --show-secrets) become the string "[secret]". Every error is one
// line that names the file and says how to write a good one.
func LoadStateExport(path string) (graph.Graph, error) {
	redo := fmt.Sprintf("write it with 'pulumi stack export --file %s' in this project's directory", path)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("state export %s does not exist; %s", path, redo)
	case err != nil:
		return nil, fmt.Errorf("state export %s cannot be read (%v); %s", path, err, redo)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, fmt.Errorf("state export %s is empty; %s", path, redo)
	}
	g, err := ParseStateExport(b)
	if err != nil {
		return nil, fmt.Errorf("state export %s %v; %s", path, err, redo)
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("state export %s holds no resources: the stack is not deployed, or was destroyed; run 'pulumi up', then %s", path, redo)
	}
	return g, nil
}

// ParseStateExport parses the bytes of a `pulumi stack export` of this
// project. Its errors read after the file's name: "is not JSON (…)". An
// export of a stack with no resources gives an empty graph.
func ParseStateExport(b []byte) (graph.Graph, error) {
	type resource struct {
		URN          string         `json:"urn"`
		Type         string         `json:"type"`
		ID           string         `json:"id"`
		Parent       string         `json:"parent"`
		Custom       bool           `json:"custom"`
		Provider     string         `json:"provider"`
		Delete       bool           `json:"delete"`
		Inputs       map[string]any `json:"inputs"`
		Outputs      map[string]any `json:"outputs"`
		Dependencies []string       `json:"dependencies"`
	}
	var doc struct {
		Version    int `json:"version"`
		Deployment *struct {
			Resources []resource `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonProblem(err, len(b))
	}
	if doc.Deployment == nil {
		return nil, errors.New(`is JSON but not a stack export (it has no "deployment" object)`)
	}
	if doc.Version != 0 && doc.Version != 3 {
		return nil, fmt.Errorf("is a stack export of version %d; only version 3 (Pulumi CLI v3) is read", doc.Version)
	}
	var g graph.Graph
	for i, r := range doc.Deployment.Resources {
		project, name, err := splitURN(r.URN)
		if err != nil {
			return nil, fmt.Errorf("is not a stack export: resource %d: %v", i, err)
		}
		if project != Project {
			return nil, fmt.Errorf("is a stack export of project %q (resource %q), not of %s", project, r.URN, Project)
		}
		if r.Type == "" {
			return nil, fmt.Errorf("is not a stack export: resource %q has no type", r.URN)
		}
		if r.Delete { // pending deletion: no longer part of the stack
			continue
		}
		g = append(g, graph.Resource{URN: r.URN, Type: r.Type, Name: name, ID: r.ID, Parent: r.Parent, Custom: r.Custom, Provider: r.Provider,
			Dependencies: r.Dependencies, Inputs: decodeProperties(r.Inputs), Outputs: decodeProperties(r.Outputs)})
	}
	return g, nil
}

// splitURN returns the project and the resource name a URN names:
// urn:pulumi:<stack>::<project>::<type>::<name>.
func splitURN(urn string) (project, name string, err error) {
	if urn == "" {
		return "", "", errors.New("no urn")
	}
	rest, ok := strings.CutPrefix(urn, "urn:pulumi:")
	parts := strings.SplitN(rest, "::", 4)
	if !ok || len(parts) < 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", fmt.Errorf("urn %q is not urn:pulumi:<stack>::<project>::<type>::<name>", urn)
	}
	name = urn[strings.LastIndex(urn, "::")+2:]
	if name == "" {
		return "", "", fmt.Errorf("urn %q names no resource", urn)
	}
	return parts[1], name, nil
}

// jsonProblem says what is wrong with a document that did not decode as a
// stack export.
func jsonProblem(err error, size int) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax) && syntax.Offset >= int64(size):
		return fmt.Errorf("ends before its JSON does (truncated, at byte %d)", size)
	case errors.As(err, &syntax):
		return fmt.Errorf("is not JSON (%v, at byte %d)", syntax, syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("is JSON but not a stack export (a JSON %s, not an object)", typ.Value)
	case errors.As(err, &typ):
		return fmt.Errorf("is JSON but not a stack export (%s is a JSON %s)", typ.Field, typ.Value)
	}
	return fmt.Errorf("is not a stack export (%v)", err)
}

// decodeProperties decodes the secrets of a resource's inputs or outputs;
// a property map that is itself one secret becomes that secret's value
// when it is an object, else nothing is left of it.
func decodeProperties(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := decodeSecrets(m).(map[string]any)
	return out
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
