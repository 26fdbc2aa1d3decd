package verify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// statement is one IAM policy statement, normalised.
type statement struct {
	Sid                    string
	Effect                 string
	Actions, NotActions    []string
	Resources, NotResource []string
	Principals             map[string][]string // "Service", "AWS", "Federated", "*"; nil when the statement names none
	NotPrincipals          map[string][]string
	HasCondition           bool
	// Conditions: operator (as written, e.g. "StringEquals") → key → values.
	Conditions map[string]map[string][]string
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
		st := statement{Sid: asString(s["Sid"]), Effect: asString(s["Effect"]), Actions: asStrings(s["Action"]), NotActions: asStrings(s["NotAction"]),
			Resources: asStrings(s["Resource"]), NotResource: asStrings(s["NotResource"]), HasCondition: s["Condition"] != nil,
			Principals: principalMap(s["Principal"]), NotPrincipals: principalMap(s["NotPrincipal"])}
		for op, kv := range asMap(s["Condition"]) {
			if st.Conditions == nil {
				st.Conditions = map[string]map[string][]string{}
			}
			st.Conditions[op] = map[string][]string{}
			for k, v := range asMap(kv) {
				st.Conditions[op][k] = condValues(v)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func principalMap(v any) map[string][]string {
	switch p := v.(type) {
	case string:
		return map[string][]string{"*": {p}}
	case map[string]any:
		out := map[string][]string{}
		for k, v := range p {
			out[k] = asStrings(v)
		}
		return out
	}
	return nil
}

// condValues reads a condition's values: a string, a bool or a list of them.
func condValues(v any) []string {
	if b, ok := v.(bool); ok {
		return []string{fmt.Sprint(b)}
	}
	var out []string
	for _, e := range asList(v) {
		if b, ok := e.(bool); ok {
			out = append(out, fmt.Sprint(b))
		} else if s := asString(e); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		if s := asString(v); s != "" {
			out = []string{s}
		}
	}
	return out
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

func (st statement) coversAction(action string) bool {
	if len(st.Actions) > 0 && !matchAny(st.Actions, action, true) {
		return false
	}
	if len(st.NotActions) > 0 && matchAny(st.NotActions, action, true) {
		return false
	}
	return len(st.Actions) > 0 || len(st.NotActions) > 0
}

func (st statement) covers(action, resource string) bool {
	return st.coversResource(action, resource, func(p string) bool { return wildMatch(p, resource) })
}

// coversResource is covers with the resource match given as a function (a
// plan may not know the resource's ARN; see Access.Match).
func (st statement) coversResource(action, resource string, match func(pattern string) bool) bool {
	if !st.coversAction(action) {
		return false
	}
	any := func(ps []string) bool {
		for _, p := range ps {
			if match(p) {
				return true
			}
		}
		return false
	}
	if len(st.Resources) > 0 && !any(st.Resources) {
		return false
	}
	if len(st.NotResource) > 0 && any(st.NotResource) {
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
	"AmazonS3FullAccess":           {{Effect: "Allow", Actions: []string{"s3:*"}, Resources: []string{"*"}}},
	"AmazonS3ReadOnlyAccess":       {{Effect: "Allow", Actions: []string{"s3:Get*", "s3:List*"}, Resources: []string{"*"}}},
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
// Conditions are not evaluated (the rules use it on whole documents).
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

// Access is one API call to authorize: who makes it, what and on which
// resource, and the request context the conditions see.
type Access struct {
	Action   string
	Resource string
	// Match decides whether a policy's resource pattern names Resource
	// (default: IAM wildcard match). A plan that does not know an ARN
	// passes a looser test.
	Match func(pattern string) bool
	// Principal is the caller's ARN (a role); Account its account ("" when
	// unknown).
	Principal, Account string
	// ResourceAccount is the account the resource is in ("" when unknown).
	// From another account than the caller's, the resource's policy must
	// allow the call too; within one, it can only deny it.
	ResourceAccount string
	// Ctx holds the condition keys the verifier knows for this call,
	// lower-case (aws:securetransport, aws:sourcevpce, …). A condition on a
	// key not in Ctx cannot be evaluated: an Allow under it does not count,
	// a Deny under it is taken to apply (a proof must hold either way).
	Ctx map[string]string
}

func (a Access) match(p string) bool {
	if a.Match != nil {
		return a.Match(p)
	}
	return wildMatch(p, a.Resource)
}

// decision is the verdict of one policy document on an Access.
type decision struct {
	Allowed, Denied bool
	Why             string // the deciding statement, or why none applies
}

// decide evaluates a document. withPrincipal: the document is a resource or
// endpoint policy whose statements name principals; identity policies name
// none.
func decide(stmts []statement, a Access, withPrincipal bool) decision {
	var d decision
	for _, s := range stmts {
		if !s.coversResource(a.Action, a.Resource, a.match) {
			continue
		}
		if withPrincipal && !s.principalMatches(a) {
			continue
		}
		ok, unknown := s.conditionsHold(a.Ctx)
		deny := strings.EqualFold(s.Effect, "Deny")
		switch {
		case deny && (ok || unknown != ""):
			d.Denied, d.Allowed = true, false
			d.Why = "statement " + firstNonEmpty(s.Sid, "(no Sid)") + " denies it"
			if unknown != "" {
				d.Why += " unless its condition on " + unknown + " (which the verifier cannot evaluate) is false"
			}
			return d
		case !deny && ok:
			d.Allowed = true
			if d.Why == "" {
				d.Why = "statement " + firstNonEmpty(s.Sid, "(no Sid)") + " allows it"
			}
		case !deny && unknown != "" && d.Why == "":
			d.Why = "statement " + firstNonEmpty(s.Sid, "(no Sid)") + " allows it only under a condition on " + unknown + ", which the verifier cannot evaluate"
		}
	}
	return d
}

// principalMatches reports whether the statement's Principal (and
// NotPrincipal) take in the caller. A resource policy naming an account
// (its root or its id) delegates to that account's IAM: the caller's own
// identity policy decides.
func (st statement) principalMatches(a Access) bool {
	in := func(pm map[string][]string) bool {
		for k, vs := range pm {
			for _, v := range vs {
				if v == "*" && (k == "*" || k == "AWS") {
					return true
				}
				if k != "AWS" {
					continue
				}
				if a.Principal != "" && (v == a.Principal || wildMatch(v, a.Principal)) {
					return true
				}
				if a.Account != "" && (v == a.Account || v == "arn:aws:iam::"+a.Account+":root") {
					return true
				}
				if role := roleNameOf(a.Principal); role != "" && strings.HasPrefix(v, "arn:aws:sts::") && strings.Contains(v, ":assumed-role/"+role+"/") {
					return true
				}
			}
		}
		return false
	}
	if st.NotPrincipals != nil {
		return !in(st.NotPrincipals)
	}
	if st.Principals == nil {
		return true
	}
	return in(st.Principals)
}

func roleNameOf(arn string) string {
	if i := strings.Index(arn, ":role/"); i >= 0 {
		return arn[strings.LastIndex(arn, "/")+1:]
	}
	return ""
}

// conditionsHold evaluates the statement's conditions against ctx. unknown
// names a key the verifier has no value for ("" when all could be
// evaluated).
func (st statement) conditionsHold(ctx map[string]string) (ok bool, unknown string) {
	ok = true
	for op, kv := range st.Conditions {
		base := op
		if i := strings.Index(base, ":"); i >= 0 { // ForAnyValue:/ForAllValues:
			base = base[i+1:]
		}
		ifExists := strings.HasSuffix(base, "IfExists")
		base = strings.TrimSuffix(base, "IfExists")
		for k, vals := range kv {
			v, have := ctx[strings.ToLower(k)]
			if !have {
				if ifExists {
					continue
				}
				if unknown == "" {
					unknown = k
				}
				continue
			}
			if !condOp(base, v, vals) {
				ok = false
			}
		}
	}
	if !ok {
		return false, ""
	}
	return unknown == "", unknown
}

func condOp(op, v string, vals []string) bool {
	anyOf := func(f func(p string) bool) bool {
		for _, p := range vals {
			if f(p) {
				return true
			}
		}
		return false
	}
	switch op {
	case "StringEquals", "ArnEquals":
		return anyOf(func(p string) bool { return p == v })
	case "StringEqualsIgnoreCase":
		return anyOf(func(p string) bool { return strings.EqualFold(p, v) })
	case "StringLike", "ArnLike":
		return anyOf(func(p string) bool { return wildMatch(p, v) })
	case "StringNotEquals", "ArnNotEquals":
		return !anyOf(func(p string) bool { return p == v })
	case "StringNotLike", "ArnNotLike":
		return !anyOf(func(p string) bool { return wildMatch(p, v) })
	case "Bool":
		return anyOf(func(p string) bool { return strings.EqualFold(p, v) })
	}
	return false
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

var accountInArn = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):`)

// accountOf returns the account id an ARN or a bare id names ("" for none).
func accountOf(s string) string {
	if len(s) == 12 && strings.Trim(s, "0123456789") == "" {
		return s
	}
	if m := accountInArn.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// AccessHops is the one IAM evaluation of a call made with the credentials
// of an EC2 instance's role ro: the trust of ec2.amazonaws.com, the role's
// identity policies (an explicit Deny wins), the policy of the endpoint the
// call goes through (ep; none when nil or without a policy), and the policy
// of the resource (resPolicy, named resName; "" for none). Within one
// account an identity Allow suffices unless the resource policy denies;
// from another account (a.ResourceAccount) the resource policy must allow
// the caller (its ARN, or its account) as well. P3 (InvokeHops) and P5
// prove their calls with it.
func (m *Model) AccessHops(ro *Role, a Access, ep *Endpoint, resName, resPolicy string) []Hop {
	var hops []Hop
	th := Hop{Step: "IAM trust", OK: trusts(ro.Trust, "ec2.amazonaws.com")}
	if th.OK {
		th.Detail = "role " + ro.Name + " trusts ec2.amazonaws.com"
	} else {
		th.Detail = "role " + ro.Name + "'s trust policy does not let ec2.amazonaws.com assume it"
	}
	hops = append(hops, th)
	if a.Principal == "" {
		a.Principal = firstNonEmpty(ro.ARN, fmt.Sprintf("arn:aws:iam::%s:role/%s", firstNonEmpty(ro.Account, m.Account, "*"), ro.Name))
	}
	if a.Account == "" {
		a.Account = firstNonEmpty(ro.Account, accountOf(a.Principal), m.Account)
	}
	stmts, _, errs := roleStatements(ro)
	d := decide(stmts, a, false)
	ph := Hop{Step: "IAM permission", OK: d.Allowed && !d.Denied}
	switch {
	case ph.OK:
		ph.Detail = fmt.Sprintf("role %s allows %s on %s", ro.Name, a.Action, a.Resource)
	case d.Denied:
		ph.Detail = fmt.Sprintf("role %s denies %s on %s: %s", ro.Name, a.Action, a.Resource, d.Why)
	default:
		ph.Detail = fmt.Sprintf("no policy of role %s allows %s on %s", ro.Name, a.Action, a.Resource)
		if d.Why != "" {
			ph.Detail += " (" + d.Why + ")"
		}
		if len(errs) > 0 {
			ph.Detail += " (unreadable: " + strings.Join(errs, "; ") + ")"
		}
	}
	hops = append(hops, ph)
	if ep != nil && ep.Policy != "" {
		ss, err := parsePolicy(ep.Policy)
		ed := decide(ss, a, true)
		eh := Hop{Step: "endpoint policy", OK: err == nil && ed.Allowed && !ed.Denied}
		switch {
		case err != nil:
			eh.Detail = "endpoint " + ep.Name + "'s policy is unreadable: " + err.Error()
		case eh.OK:
			eh.Detail = fmt.Sprintf("endpoint %s's policy allows %s on %s for %s (%s)", ep.Name, a.Action, a.Resource, a.Principal, ed.Why)
		case ed.Denied:
			eh.Detail = fmt.Sprintf("endpoint %s's policy denies %s on %s: %s", ep.Name, a.Action, a.Resource, ed.Why)
		default:
			eh.Detail = fmt.Sprintf("endpoint %s's policy does not allow %s on %s for %s", ep.Name, a.Action, a.Resource, a.Principal)
			if ed.Why != "" {
				eh.Detail += " (" + ed.Why + ")"
			}
		}
		hops = append(hops, eh)
	}
	cross := crossAccount(a.Account, a.ResourceAccount)
	grant := "a statement naming that role or its account"
	if strings.HasPrefix(resName, "function ") {
		grant = "an aws:lambda/permission naming that role or its account"
	}
	if cross && resName != "" && resPolicy == "" {
		hops = append(hops, Hop{Step: "resource policy", Detail: fmt.Sprintf("%s has no resource policy, and the caller %s is in account %s, the resource in %s: a call from another account needs the resource policy to allow it (%s)", resName, a.Principal, a.Account, a.ResourceAccount, grant)})
	}
	if cross && resPolicy != "" {
		ss, err := parsePolicy(resPolicy)
		rd := decide(ss, a, true)
		rh := Hop{Step: "resource policy", OK: err == nil && rd.Allowed && !rd.Denied}
		switch {
		case err != nil:
			rh.Detail = resName + "'s resource policy is unreadable: " + err.Error()
		case rd.Denied:
			rh.Detail = fmt.Sprintf("%s's resource policy denies %s on %s: %s", resName, a.Action, a.Resource, rd.Why)
		case rh.OK:
			rh.Detail = fmt.Sprintf("%s's resource policy allows %s for %s of account %s, another account than the resource's %s (%s)", resName, a.Action, a.Principal, a.Account, a.ResourceAccount, rd.Why)
		default:
			rh.Detail = fmt.Sprintf("%s's resource policy does not allow %s for %s: the caller is in account %s, the resource in %s, so it needs %s", resName, a.Action, a.Principal, a.Account, a.ResourceAccount, grant)
			if rd.Why != "" {
				rh.Detail += " (" + rd.Why + ")"
			}
		}
		hops = append(hops, rh)
	}
	if !cross && resPolicy != "" {
		ss, err := parsePolicy(resPolicy)
		rd := decide(ss, a, true)
		rh := Hop{Step: "resource policy", OK: err == nil && !rd.Denied}
		switch {
		case err != nil:
			rh.Detail = resName + "'s policy is unreadable: " + err.Error()
		case rd.Denied:
			rh.Detail = fmt.Sprintf("%s's policy denies %s on %s: %s", resName, a.Action, a.Resource, rd.Why)
		default:
			rh.Detail = fmt.Sprintf("%s's policy does not deny the call (same account: the role's Allow suffices)", resName)
		}
		hops = append(hops, rh)
	}
	return hops
}
