package verify

import (
	"encoding/json"
	"strings"
)

// statement is one IAM policy statement, normalised.
type statement struct {
	Effect                 string
	Actions, NotActions    []string
	Resources, NotResource []string
	Principals             map[string][]string // "Service", "AWS", "Federated", "*"
	HasCondition           bool
}

func parsePolicy(doc string) ([]statement, error) {
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, err
	}
	var list []map[string]any
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var one map[string]any
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return nil, err
		}
		list = []map[string]any{one}
	} else if len(raw.Statement) > 0 {
		if err := json.Unmarshal(raw.Statement, &list); err != nil {
			return nil, err
		}
	}
	var out []statement
	for _, s := range list {
		st := statement{Effect: asString(s["Effect"]), Actions: asStrings(s["Action"]), NotActions: asStrings(s["NotAction"]),
			Resources: asStrings(s["Resource"]), NotResource: asStrings(s["NotResource"]), HasCondition: s["Condition"] != nil}
		switch p := s["Principal"].(type) {
		case string:
			st.Principals = map[string][]string{"*": {p}}
		case map[string]any:
			st.Principals = map[string][]string{}
			for k, v := range p {
				st.Principals[k] = asStrings(v)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if wildMatch(strings.ToLower(p), strings.ToLower(s)) {
				return true
			}
		} else if wildMatch(p, s) {
			return true
		}
	}
	return false
}

func (st statement) covers(action, resource string) bool {
	if len(st.Actions) > 0 && !matchAny(st.Actions, action, true) {
		return false
	}
	if len(st.NotActions) > 0 && matchAny(st.NotActions, action, true) {
		return false
	}
	if len(st.Actions) == 0 && len(st.NotActions) == 0 {
		return false
	}
	if len(st.Resources) > 0 && !matchAny(st.Resources, resource, false) {
		return false
	}
	if len(st.NotResource) > 0 && matchAny(st.NotResource, resource, false) {
		return false
	}
	return true
}

// managedGrants is what a few AWS managed policies grant, for the checks that
// need it; other managed policies are treated as granting nothing checked.
var managedGrants = map[string][]statement{
	"AdministratorAccess":          {{Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}}},
	"AWSLambdaRole":                {{Effect: "Allow", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{"*"}}},
	"AWSLambda_FullAccess":         {{Effect: "Allow", Actions: []string{"lambda:*"}, Resources: []string{"*"}}},
	"AWSLambdaBasicExecutionRole":  {{Effect: "Allow", Actions: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{"*"}}},
	"AmazonSSMManagedInstanceCore": {{Effect: "Allow", Actions: []string{"ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"}, Resources: []string{"*"}}},
}

// roleStatements returns the role's permission statements with their source.
func roleStatements(ro *Role) (stmts []statement, srcs []string, errs []string) {
	for _, p := range ro.Policies {
		ss, err := parsePolicy(p.JSON)
		if err != nil {
			errs = append(errs, p.Name+": "+err.Error())
			continue
		}
		for range ss {
			srcs = append(srcs, p.Name)
		}
		stmts = append(stmts, ss...)
	}
	for _, a := range ro.ManagedArns {
		name := a[strings.LastIndex(a, "/")+1:]
		for _, s := range managedGrants[name] {
			stmts = append(stmts, s)
			srcs = append(srcs, name)
		}
	}
	return
}

// allowed evaluates identity policies: an explicit Deny wins, then any Allow.
func allowed(stmts []statement, action, resource string) bool {
	ok := false
	for _, s := range stmts {
		if !s.covers(action, resource) {
			continue
		}
		if strings.EqualFold(s.Effect, "Deny") {
			return false
		}
		if strings.EqualFold(s.Effect, "Allow") {
			ok = true
		}
	}
	return ok
}

// trusts reports whether a trust policy lets the service assume the role.
func trusts(doc, service string) bool {
	ss, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	for _, s := range ss {
		if !strings.EqualFold(s.Effect, "Allow") || !matchAny(s.Actions, "sts:AssumeRole", true) {
			continue
		}
		if slicesContainsFold(s.Principals["Service"], service) {
			return true
		}
	}
	return false
}

func slicesContainsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
