package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// StackKeys is what the runner of a program knows of the stack config it
// runs the program with: every full key ("aws:region",
// "internal-alb:natMode") and the file that sets it ("" when it is not set
// by a file, or the file is not known).
//
// The engine gives a program no listing of its config (pulumi.Context
// answers GetConfig for one key at a time), so a key the program never asks
// for, such as a typo of one it does, would otherwise pass unseen: the
// Pulumi CLI checks the types of the keys Pulumi.yaml declares, and lets
// any other key of the project's namespace through.
type StackKeys map[string]string

type stackKeysKey struct{}

// WithStackKeys returns program run with keys attached to its context, for
// a runner that holds the stack config itself: the mocks (internal/plan)
// and the Automation API's inline programs (internal/localrun).
func WithStackKeys(program pulumi.RunFunc, keys StackKeys) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		return program(ctx.WithValue(stackKeysKey{}, keys))
	}
}

// StackKeysOf returns the stack keys of the program's run: those
// WithStackKeys attached; else, in a program the Pulumi language host
// started (`pulumi up`), the keys of PULUMI_CONFIG, the engine's whole
// config of the program, each with the stack file when
// Pulumi.<stack>.yaml in the project's directory sets it; else none.
func StackKeysOf(ctx *pulumi.Context) StackKeys {
	if keys, ok := ctx.Value(stackKeysKey{}).(StackKeys); ok {
		return keys
	}
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil
	}
	var all map[string]any
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return nil // the SDK reads the same variable; it reports its own errors
	}
	dir := ctx.RootDirectory()
	if dir == "" {
		dir = "."
	}
	file := filepath.Join(dir, "Pulumi."+ctx.Stack()+".yaml")
	inFile := FileKeys(file)
	keys := StackKeys{}
	for k := range all {
		keys[k] = ""
		if inFile[k] {
			keys[k] = filepath.Base(file)
		}
	}
	return keys
}

// FileKeys returns the full keys a stack file's `config:` block sets (none
// when the file cannot be read: its keys are then only not attributed).
func FileKeys(path string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var stack struct {
		Config map[string]any `yaml:"config"`
	}
	if yaml.Unmarshal(b, &stack) != nil {
		return nil
	}
	keys := map[string]bool{}
	for k := range stack.Config {
		if !strings.Contains(k, ":") {
			k = Key(k)
		}
		keys[k] = true
	}
	return keys
}

// Check refuses every key in the project's namespace that Keys does not
// declare, naming the file that sets it and the nearest declared key. A
// retired key is left to Load, which says what replaced it; other
// namespaces (aws:…) belong to their providers.
func (s StackKeys) Check() error {
	var errs []error
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, full := range names {
		short, ok := strings.CutPrefix(full, Namespace+":")
		if !ok {
			continue
		}
		if _, declared := KeyNamed(short); declared {
			continue
		}
		if _, old := retired[short]; old {
			continue
		}
		name := full
		if strings.ContainsFunc(full, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) {
			name = strconv.Quote(full) // one line per problem
		}
		where := ""
		if f := s[full]; f != "" {
			where = " (set in " + f + ")"
		}
		hint := "; Pulumi.yaml's config block and the README's Configuration table list the keys it reads"
		if near := Nearest(short, keyNames()); near != "" {
			hint = "; did you mean " + Key(near) + "?"
		}
		// The value is left out: an unknown key may hold a secret.
		errs = append(errs, fmt.Errorf("%s%s is not a key this program reads%s", name, where, hint))
	}
	return errors.Join(errs...)
}

func keyNames() []string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return names
}

// Nearest returns the candidate closest to name by edit distance, ignoring
// case, when it is close enough to be a typo of it (at most 2 edits, or a
// third of the name's length for longer names); "" when none is. Ties go
// to the earlier candidate.
func Nearest(name string, candidates []string) string {
	limit := max(2, len(name)/3)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by rune.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
