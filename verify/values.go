package verify

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

// Helpers that read JSON-like property values (as Pulumi mocks and stack
// exports produce them) without panicking on absent or oddly typed values.

func prop(r *graph.Resource, name string) any { return r.Prop(name) }

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case json.Number:
		return x.String()
	}
	return ""
}

func str(r *graph.Resource, name string) string { return asString(prop(r, name)) }

// boolOr reads a bool (or "true"/"false", "enable"/"disable") with a default
// for absence.
func boolOr(v any, def bool) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(x) {
		case "true", "enable", "enabled", "yes":
			return true
		case "false", "disable", "disabled", "no":
			return false
		}
	}
	return def
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

func intOr(v any, def int) int {
	if n, ok := asInt(v); ok {
		return n
	}
	return def
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return nil
}

func asStrings(v any) []string {
	if s, ok := v.(string); ok && s != "" {
		return []string{s}
	}
	var out []string
	for _, e := range asList(v) {
		if s := asString(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func asMap(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out
	}
	return nil
}

// asMapOrFirst accepts an object or a one-element list of objects (Terraform
// bridged blocks sometimes come as lists).
func asMapOrFirst(v any) map[string]any {
	if m := asMap(v); m != nil {
		return m
	}
	if l := asList(v); len(l) > 0 {
		return asMap(l[0])
	}
	return nil
}

func tag(r *graph.Resource, key string) string {
	for _, k := range []string{"tags", "tagsAll"} {
		if m := asMap(prop(r, k)); m != nil {
			if s := asString(m[key]); s != "" {
				return s
			}
		}
	}
	return ""
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, false
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// contains reports whether outer covers all of inner.
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
}

// hasPublic reports whether p includes any address outside private ranges.
func hasPublic(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if contains(r, p) {
			return false
		}
	}
	return true
}

// isAnywhere reports whether p is the whole IPv4 or IPv6 internet (0.0.0.0/0
// or ::/0).
func isAnywhere(p netip.Prefix) bool { return p.IsValid() && p.Bits() == 0 }

// wildMatch matches s against a pattern with * and ? (IAM style).
func wildMatch(pattern, s string) bool {
	// iterative glob with backtracking
	p, t := 0, 0
	star, mark := -1, 0
	for t < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[t]):
			p++
			t++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, t
			p++
		case star >= 0:
			p = star + 1
			mark++
			t = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// jsonValue parses a policy document given as a JSON string or already as a map.
func jsonValue(v any) (map[string]any, error) {
	if m := asMap(v); m != nil {
		return m, nil
	}
	s := asString(v)
	if s == "" {
		return nil, fmt.Errorf("empty document")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
