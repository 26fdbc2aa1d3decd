package verify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/graph"
)

// Account is an AWS account that resources of the graph live in, reached
// through an explicit provider that assumes a role there. Resources of the
// default provider live in the stack's own account (Model.Account).
type Account struct {
	ID       string // 12 digits ("" when neither the role nor the provider's name says)
	Provider string // URN of the provider resource
	RoleArn  string // the role the provider assumes ("" for none)
	Region   string // the provider's region ("" when it sets none: the stack's)
}

// providerName names an explicit provider for an account: account-<12 digits>.
var providerName = regexp.MustCompile(`^account-(\d{12})$`)

// readAccounts reads the explicit providers and the stack's own account,
// before anything else: every other kind files its resources under the
// account their provider acts in.
func (m *Model) readAccounts(rs resourcesByType) {
	rs.each(awstype.Provider, func(r *graph.Resource) {
		a := &Account{Provider: r.URN, RoleArn: assumedRole(r), Region: str(r, "region")}
		a.ID = accountOf(a.RoleArn)
		if mm := providerName.FindStringSubmatch(r.Name); mm != nil && a.ID == "" {
			a.ID = mm[1]
		}
		m.providers[r.URN] = a
		if a.ID != "" {
			m.Accounts = append(m.Accounts, a)
		}
	})
	m.Account = m.serviceAccount()
}

// noteRegions notes the providers that act in another region than the
// stack's (once the region is known).
func (m *Model) noteRegions() {
	for _, a := range m.Accounts {
		if a.Region != "" && m.Region != "" && a.Region != m.Region {
			m.note("provider %s acts in region %s, not the stack's %s: cross-region consumers are not modelled", a.Provider[strings.LastIndex(a.Provider, "::")+2:], a.Region, m.Region)
		}
	}
}

// assumedRole is the role ARN an aws provider assumes: from assumeRoles
// (a list) or assumeRole (one object), either of which a bridged
// provider's state may hold as a JSON string.
func assumedRole(r *graph.Resource) string {
	for _, k := range []string{"assumeRoles", "assumeRole"} {
		v := prop(r, k)
		if s, ok := v.(string); ok {
			var x any
			if json.Unmarshal([]byte(s), &x) != nil {
				continue
			}
			v = x
		}
		for _, e := range append(asList(v), asMap(v)) {
			if arn := asString(asMap(e)["roleArn"]); arn != "" {
				return arn
			}
		}
	}
	return ""
}

// providerURN is the URN in a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i >= 0 && strings.Count(ref, "::") > 3 {
		return ref[:i]
	}
	return ref
}

// explicitAccount is the account of the explicit provider that made r, ""
// for the default provider (or one the graph does not name an account for).
func (m *Model) explicitAccount(r *graph.Resource) string {
	if r.Provider == "" {
		return ""
	}
	urn := providerURN(r.Provider)
	if a := m.providers[urn]; a != nil {
		return a.ID
	}
	if mm := providerName.FindStringSubmatch(urn[strings.LastIndex(urn, "::")+2:]); mm != nil {
		return mm[1]
	}
	return ""
}

// acct is the account a resource lives in: its explicit provider's, else
// the stack's own.
func (m *Model) acct(r *graph.Resource) string {
	return firstNonEmpty(m.explicitAccount(r), m.Account)
}

// serviceAccount is the stack's own account: the one the ARNs of the
// resources its default provider made name (roles first, then functions,
// then any). Plans under mocks and state exports both carry such ARNs.
func (m *Model) serviceAccount() string {
	for _, typ := range []string{awstype.Role, awstype.Function, ""} {
		for i := range m.Graph {
			r := &m.Graph[i]
			if (typ != "" && r.Type != typ) || m.explicitAccount(r) != "" {
				continue
			}
			if a := accountOf(str(r, "arn")); a != "" {
				return a
			}
		}
	}
	return ""
}

// crossAccount reports whether two known accounts differ.
func crossAccount(a, b string) bool { return a != "" && b != "" && a != b }

// vpcAccount is the account a VPC is in ("" when it is not in the graph).
func (m *Model) vpcAccount(id string) string {
	if v := m.VPCs[id]; v != nil {
		return v.Account
	}
	return ""
}

// consumerAccounts are the accounts of the VPCs that host no load
// balancer node: the consumers'.
func (m *Model) consumerAccounts() map[string]bool {
	out := map[string]bool{}
	for _, v := range m.consumerVPCs() {
		if v.Account != "" {
			out[v.Account] = true
		}
	}
	return out
}

// consumerVPCs are the VPCs that host no load balancer node, in graph order.
func (m *Model) consumerVPCs() []*VPC {
	albVPC := map[string]bool{}
	for _, lb := range m.lbList {
		for _, n := range m.lbNodes(lb) {
			albVPC[n.VPC] = true
		}
	}
	var out []*VPC
	for _, v := range m.vpcList {
		if !albVPC[v.ID] {
			out = append(out, v)
		}
	}
	return out
}

// principalAccount is the account a resource policy's AWS principal
// names: a role of the graph's (in its account), else the account an ARN
// or a bare id names.
func (m *Model) principalAccount(p string) string {
	if ro := m.Roles[p]; ro != nil && ro.Account != "" && ro.ARN == p {
		return ro.Account
	}
	return accountOf(p)
}

// readRAM reads the Resource Access Manager shares: which resources (by
// ARN) each share holds, and with which principals, in which account.
func (m *Model) readRAM(rs resourcesByType) {
	shares := map[string]*ramShare{}
	var list []*ramShare
	rs.each(awstype.RamResourceShare, func(r *graph.Resource) {
		s := &ramShare{Name: firstNonEmpty(str(r, "name"), r.Name), Account: m.acct(r)}
		list = append(list, s)
		for _, k := range []string{str(r, "arn"), resID(r), r.URN} {
			if k != "" {
				shares[k] = s
			}
		}
	})
	// share finds the share an association names (in a plan the ARN may be
	// unknown: the only share then).
	share := func(arn string) *ramShare {
		if s := shares[arn]; s != nil {
			return s
		}
		if arn == "" && len(list) == 1 {
			return list[0]
		}
		return nil
	}
	rs.each(awstype.RamResourceAssociation, func(r *graph.Resource) {
		if s := share(str(r, "resourceShareArn")); s != nil {
			s.Resources = append(s.Resources, str(r, "resourceArn"))
		} else {
			m.note("RAM resource association %s: share %q not in the graph", r.Name, str(r, "resourceShareArn"))
		}
	})
	rs.each(awstype.RamPrincipalAssociation, func(r *graph.Resource) {
		if s := share(str(r, "resourceShareArn")); s != nil {
			s.Principals = append(s.Principals, str(r, "principal"))
		} else {
			m.note("RAM principal association %s: share %q not in the graph", r.Name, str(r, "resourceShareArn"))
		}
	})
	m.shares = list
}

// ramShare is a RAM resource share with its associations.
type ramShare struct {
	Name, Account         string
	Resources, Principals []string
}

// sharedWith says whether a resource of owner's (ARN or id) is shared with
// account, and if not, what is missing.
func (m *Model) sharedWith(resource, id, owner, account string) (bool, string) {
	var holding []string
	for _, s := range m.shares {
		if crossAccount(s.Account, owner) {
			continue
		}
		held := false
		for _, x := range s.Resources {
			if x != "" && (x == resource || x == id) {
				held = true
			}
		}
		if !held {
			continue
		}
		holding = append(holding, s.Name)
		for _, p := range s.Principals {
			// An account id or an IAM ARN of it; organizations and OUs
			// are not resolved to their accounts.
			if p == account || strings.HasPrefix(p, "arn:aws:iam::"+account+":") {
				return true, fmt.Sprintf("shared with account %s by RAM share %s", account, s.Name)
			}
		}
	}
	if len(holding) == 0 {
		return false, fmt.Sprintf("no RAM resource share of account %s holds it (aws:ram/resourceShare with an aws:ram/resourceAssociation of its ARN)", owner)
	}
	return false, fmt.Sprintf("RAM share %s holds it but names no principal %s (no aws:ram/principalAssociation for that account)", strings.Join(holding, ", "), account)
}
