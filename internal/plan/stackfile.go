package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadConfig returns the config a stack's program sees: the project's
// defaults from Pulumi.yaml (its `config:` block) overlaid with the stack
// file's `config:` values, with full keys and objects and lists as JSON.
// Encrypted (`secure:`) values are refused: the plan needs no secrets.
func LoadConfig(projectFile, stackFile string) (map[string]string, error) {
	var project struct {
		Name   string                    `yaml:"name"`
		Config map[string]map[string]any `yaml:"config"`
	}
	if err := readYAML(projectFile, &project); err != nil {
		return nil, err
	}
	var stack struct {
		Config map[string]any `yaml:"config"`
	}
	if err := readYAML(stackFile, &stack); err != nil {
		return nil, err
	}
	full := func(key string) string {
		if strings.Contains(key, ":") {
			return key
		}
		return project.Name + ":" + key
	}
	cfg := map[string]string{}
	for key, decl := range project.Config {
		v, ok := decl["default"]
		if !ok {
			v, ok = decl["value"]
		}
		if ok {
			s, err := configString(v)
			if err != nil {
				return nil, fmt.Errorf("%s: config %s: %w", projectFile, key, err)
			}
			cfg[full(key)] = s
		}
	}
	for key, v := range stack.Config {
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			return nil, fmt.Errorf("%s: config %s is encrypted; the plan cannot read secrets", stackFile, key)
		}
		s, err := configString(v)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", stackFile, key, err)
		}
		cfg[full(key)] = s
	}
	return cfg, nil
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// configString is a config value as the engine hands it to a program.
func configString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case map[string]any, []any:
		b, err := json.Marshal(t)
		return string(b), err
	default:
		return fmt.Sprint(t), nil
	}
}
