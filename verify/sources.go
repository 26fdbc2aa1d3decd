package verify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// source is where a consumer's paths (P1, P3, F2) start: a client
// instance, or — in an existing VPC the stack connects without a client —
// each connected subnet, for an instance of the consumer's own there.
type source struct {
	Name  string // the client's name, or the subnet's
	Title string // how path titles name it
	VPC   string
	Inst  *Instance // nil for an instance of the consumer's own
	Node  *node
}

// stopped is the failed hop of a client the graph knows is not running.
func (s *source) stopped() []Hop {
	if s.Inst == nil {
		return nil
	}
	return stoppedHop(s.Inst)
}

// sources are the clients, then a source per connected subnet of each
// existing VPC that has no client (and no load balancer).
func (m *Model) sources() []*source {
	var out []*source
	withClient := map[string]bool{}
	for _, c := range m.clients() {
		vpc := m.instVPC(c)
		withClient[vpc] = true
		out = append(out, &source{Name: c.Name, Title: fmt.Sprintf("%s (VPC %s)", c.Name, m.vpcName(vpc)), VPC: vpc, Inst: c, Node: m.instNode(c)})
	}
	for _, v := range m.consumerVPCs() {
		if !v.Existing || withClient[v.ID] {
			continue
		}
		for _, s := range m.subnetsOf(v.ID) {
			n := &node{Label: fmt.Sprintf("an instance of %s's own in subnet %s (%s)", v.Name, s.Name, s.CIDR), VPC: v.ID, Subnet: s, Addr: s.CIDR, OwnGroups: true}
			out = append(out, &source{Name: s.Name, Title: fmt.Sprintf("subnet %s (VPC %s, an instance of the consumer's own)", s.Name, v.Name), VPC: v.ID, Node: n})
		}
	}
	return out
}

// subnetsOf returns a VPC's subnets, by id.
func (m *Model) subnetsOf(vpc string) []*Subnet {
	var out []*Subnet
	for _, id := range sortedKeys(m.Subnets) {
		if s := m.Subnets[id]; s.VPC == vpc {
			out = append(out, s)
		}
	}
	return out
}

// consumerRole is the role an instance of a consumer's own would invoke
// the function with: one the stack made in the consumer's account, held
// by an instance profile and trusting EC2 — one whose policies allow the
// call if any does. The hop says which, or that there is none.
func (m *Model) consumerRole(c *source, fn *Function) (*Role, Hop) {
	h := Hop{Step: "IAM role"}
	acct := m.vpcAccount(c.VPC)
	var cands []*Role
	profileOf := map[*Role]string{}
	for _, k := range sortedKeys(m.acctProfiles) {
		ro := m.acctProfiles[k]
		a, name, _ := strings.Cut(k, "|")
		if a != acct || ro.Account != acct || !trusts(ro.Trust, "ec2.amazonaws.com") || strings.HasPrefix(name, "arn:") {
			continue
		}
		if _, seen := profileOf[ro]; !seen {
			profileOf[ro] = name
			cands = append(cands, ro)
		}
	}
	slices.SortStableFunc(cands, func(a, b *Role) int { return slices.Index(m.roleObjs, a) - slices.Index(m.roleObjs, b) })
	if len(cands) == 0 {
		h.Detail = fmt.Sprintf("no instance profile of account %s (VPC %s's) holds a role that trusts ec2.amazonaws.com: an instance of the consumer's own has no role of the stack's to invoke %s with", firstNonEmpty(acct, "of the stack"), m.vpcName(c.VPC), fn.Name)
		return nil, h
	}
	pick := cands[0]
	for _, ro := range cands {
		stmts, _, _ := roleStatements(ro)
		if allowed(stmts, "lambda:InvokeFunction", firstNonEmpty(fn.ARN, "*")) {
			pick = ro
			break
		}
	}
	h.OK = true
	h.Detail = fmt.Sprintf("an instance of %s's own takes instance profile %s (role %s, account %s): the consumer attaches it", m.vpcName(c.VPC), profileOf[pick], pick.Name, firstNonEmpty(pick.Account, "of the stack"))
	return pick, h
}

// functionPolicy is the function's resource policy as a document: one
// Allow per aws:lambda/permission on it ("" when there is none).
func (m *Model) functionPolicy(fn *Function) string {
	var stmts []any
	for _, p := range m.LambdaPerms {
		if !m.permissionOn(p, fn) {
			continue
		}
		st := map[string]any{"Sid": p.Name, "Effect": "Allow", "Action": firstNonEmpty(p.Action, "lambda:InvokeFunction")}
		switch {
		case p.Principal == "*":
			st["Principal"] = "*"
		case strings.HasSuffix(p.Principal, ".amazonaws.com"):
			st["Principal"] = map[string]any{"Service": p.Principal}
		default:
			st["Principal"] = map[string]any{"AWS": p.Principal}
		}
		if fn.ARN != "" {
			st["Resource"] = fn.ARN
		}
		cond, eq := map[string]any{}, map[string]any{}
		if p.SourceAccount != "" {
			eq["AWS:SourceAccount"] = p.SourceAccount
		}
		if p.PrincipalOrg != "" {
			eq["aws:PrincipalOrgID"] = p.PrincipalOrg
		}
		if len(eq) > 0 {
			cond["StringEquals"] = eq
		}
		if p.SourceArn != "" {
			cond["ArnLike"] = map[string]any{"AWS:SourceArn": p.SourceArn}
		}
		if len(cond) > 0 {
			st["Condition"] = cond
		}
		stmts = append(stmts, st)
	}
	if len(stmts) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

// permissionOn reports whether a permission is on the function: its
// function names it by name or ARN (a qualified ARN too).
func (m *Model) permissionOn(p *LambdaPermission, fn *Function) bool {
	f := p.Function
	return f == fn.Name || (fn.ARN != "" && (f == fn.ARN || strings.HasPrefix(f, fn.ARN+":"))) ||
		strings.HasSuffix(f, ":function:"+fn.Name) || strings.Contains(f, ":function:"+fn.Name+":")
}
