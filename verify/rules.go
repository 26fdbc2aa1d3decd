package verify

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/ipam"
)

// Rule statuses.
const (
	Pass   = "PASS"
	Fail   = "FAIL"
	Warn   = "WARN"   // advisory: does not fail the report
	Waived = "WAIVED" // does not apply to this design; the note says why
)

// RuleResult is one security rule's verdict.
type RuleResult struct {
	ID       string   `json:"id"`
	Ref      string   `json:"ref,omitempty"` // equivalent checkov / trivy / awsguard / Security Hub ids
	Title    string   `json:"title"`
	Why      string   `json:"why"` // one-line reason the rule exists
	Status   string   `json:"status"`
	Findings []string `json:"findings,omitempty"`
	Note     string   `json:"note,omitempty"`
}

type ruleDef struct {
	id, ref, title, why string
	check               func(m *Model, o Options) (status string, findings []string, note string)
}

// RuleIDs lists every rule the verifier runs, in order.
func RuleIDs() []string {
	var out []string
	for _, r := range ruleDefs {
		out = append(out, r.id)
	}
	return out
}

// Rules runs every security rule.
func (m *Model) Rules(o Options) []RuleResult {
	o = o.withDefaults()
	out := make([]RuleResult, 0, len(ruleDefs))
	for _, d := range ruleDefs {
		st, f, note := d.check(m, o)
		out = append(out, RuleResult{ID: d.id, Ref: d.ref, Title: d.title, Why: d.why, Status: st, Findings: f, Note: note})
	}
	return out
}

// verdict fails when there are findings.
func verdict(f []string) string {
	if len(f) > 0 {
		return Fail
	}
	return Pass
}

var ruleDefs = []ruleDef{
	{"ALB-INTERNAL", "AVD-AWS-0053", "load balancers are internal",
		"the service is for the VPCs only; an internet-facing ALB exposes it",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, lb := range m.lbList {
				if !lb.Internal {
					f = append(f, lb.Name+" is internet-facing (internal=false)")
				}
			}
			return verdict(f), f, ""
		}},
	{"ALB-DROP-INVALID-HEADERS", "CKV_AWS_131, AVD-AWS-0052", "ALBs drop invalid HTTP header fields",
		"malformed headers are a request-smuggling vector to the targets",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, lb := range m.lbList {
				if lb.Type == "application" && !lb.DropInvalid {
					f = append(f, lb.Name+" has dropInvalidHeaderFields off")
				}
			}
			return verdict(f), f, ""
		}},
	{"ALB-MULTI-AZ", "Security Hub ELB.13", "ALBs span at least two Availability Zones",
		"one AZ's outage must not take the service down (AWS also requires two subnets)",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, lb := range m.lbList {
				azs := map[string]bool{}
				for _, s := range lb.Subnets {
					if sn := m.Subnets[s]; sn != nil {
						azs[sn.AZ] = true
					}
				}
				if len(azs) < 2 {
					f = append(f, fmt.Sprintf("%s spans %d AZ(s)", lb.Name, len(azs)))
				}
			}
			return verdict(f), f, ""
		}},
	{"ALB-HTTPS-ONLY", "CKV_AWS_2, CKV_AWS_103, CKV2_AWS_20, AVD-AWS-0054, ELB.1, awsguard alb-http-to-https-redirection", "listeners use HTTPS (or redirect to it)",
		"plain HTTP can be read and altered on the way",
		func(m *Model, o Options) (string, []string, string) {
			var f, internalHTTP []string
			for _, lb := range m.lbList {
				for _, l := range lb.Listeners {
					if l.Protocol == "HTTP" && !l.Redirect {
						if lb.Internal {
							internalHTTP = append(internalHTTP, fmt.Sprintf("%s:%d", lb.Name, l.Port))
						} else {
							f = append(f, fmt.Sprintf("internet-facing %s serves plain HTTP on %d", lb.Name, l.Port))
						}
					}
				}
			}
			if len(f) > 0 {
				return Fail, f, ""
			}
			if len(internalHTTP) > 0 {
				return Waived, nil, "the mission is HTTP:80 on an internal ALB reached only over private routes (" + strings.Join(internalHTTP, ", ") + "); a redirect to HTTPS would break curl http://alb.home and needs a certificate for a private name"
			}
			return Pass, nil, ""
		}},
	{"ALB-WAF", "CKV2_AWS_28, ELB.16", "public ALBs have a WAF web ACL",
		"a WAF filters hostile internet requests",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, lb := range m.lbList {
				if !lb.Internal && len(m.Graph.OfType(awstype.WebAclAssociation)) == 0 {
					f = append(f, "internet-facing "+lb.Name+" has no WAF association")
				}
			}
			if len(f) > 0 {
				return Fail, f, ""
			}
			return Waived, nil, "internal ALBs take no internet traffic; the scanners pass internal ALBs"
		}},
	{"ALB-ACCESS-LOGS", "CKV_AWS_91, awsguard elb-logging-enabled, ELB.5", "ALB access logs are on",
		"request logs are the audit trail of who called the service",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, lb := range m.lbList {
				switch al := lb.AccessLogs; {
				case !al.Enabled:
					f = append(f, lb.Name+" has access logs off")
				case al.Bucket == "":
					f = append(f, lb.Name+" has access logs on but names no bucket")
				}
			}
			return logsVerdict(o, f)
		}},
	{"ALB-DELETION-PROTECTION", "CKV_AWS_150, awsguard elb-deletion-protection-enabled, ELB.6", "ALB deletion protection",
		"guards a production ALB against accidental destroy",
		func(m *Model, o Options) (string, []string, string) {
			for _, lb := range m.lbList {
				if !boolOr(prop(lb.Res, "enableDeletionProtection"), false) {
					return Waived, nil, "production stacks only: it blocks `pulumi destroy` of this blueprint"
				}
			}
			return Pass, nil, ""
		}},
	{"TG-HEALTH-CHECK-PATH", "CKV_AWS_261", "target groups health-check HTTP with a path",
		"without a real HTTP check a dead web server keeps receiving traffic",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, tg := range m.tgList() {
				hc := tg.HC
				switch {
				case !hc.Enabled:
					f = append(f, tg.Name+": health check disabled")
				case !strings.HasPrefix(strings.ToUpper(hc.Protocol), "HTTP"):
					f = append(f, tg.Name+": health check protocol "+hc.Protocol+" is not HTTP")
				case hc.Path == "":
					f = append(f, tg.Name+": health check has no path")
				}
			}
			return verdict(f), f, ""
		}},
	{"SG-NO-ADMIN-PORTS-FROM-INTERNET", "CKV_AWS_24, CKV_AWS_25, AVD-AWS-0107, EC2.13, EC2.14, CIS 5.3", fmt.Sprintf("no SSH (22) or RDP (3389) from a public range broader than /%d", ipam.AdminPrefixLimit),
		"admin ports open to the world are scanned and brute-forced within minutes; a /16 is already more than one organisation's egress range",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, sg := range m.sgList() {
				for _, r := range sg.Rules {
					if r.Egress || !broadPublic(r.CIDR) || !protoOK(r.Proto) {
						continue
					}
					for _, p := range []int{22, 3389} {
						if _, t := portMatch(r.Proto, r.From, r.To, port(p)); t {
							f = append(f, fmt.Sprintf("%s: %q admits port %d from %s", sg.Name, firstNonEmpty(r.Desc, r.Res), p, r.CIDR))
						}
					}
				}
			}
			return sshVerdict(o, f)
		}},
	{"SG-NO-OPEN-INGRESS", "CKV_AWS_260, CKV_AWS_277, EC2.18, EC2.19", "no HTTP or all-ports ingress from 0.0.0.0/0 or ::/0",
		"nothing in this design serves the internet",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, sg := range m.sgList() {
				for _, r := range sg.Rules {
					if r.Egress || !isAnywhere(r.CIDR) {
						continue
					}
					if _, t := portMatch(r.Proto, r.From, r.To, port(80)); t || r.Proto == "-1" || (r.From <= 0 && r.To >= 65535) || (r.From <= 8080 && r.To >= 8080) {
						f = append(f, fmt.Sprintf("%s: %q admits %s %d-%d from %s", sg.Name, firstNonEmpty(r.Desc, r.Res), r.Proto, r.From, r.To, r.CIDR))
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"SG-DESCRIPTIONS", "CKV_AWS_23, AVD-AWS-0099, AVD-AWS-0124", "security groups and rules have descriptions",
		"a reviewer must see why each opening exists",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, sg := range m.sgList() {
				if sg.Default {
					continue
				}
				if d := strings.TrimSpace(sg.Desc); d == "" || d == "Managed by Pulumi" || d == "Managed by Terraform" {
					f = append(f, sg.Name+": group has no description of its own")
				}
				for _, r := range sg.Rules {
					if strings.TrimSpace(r.Desc) == "" {
						f = append(f, sg.Name+": rule "+r.Res+" has no description")
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"SG-ATTACHED", "CKV2_AWS_5", "every security group is attached to something",
		"an unused group is dead configuration that hides intent",
		func(m *Model, o Options) (string, []string, string) {
			used := map[string]bool{}
			for _, in := range m.instList {
				for _, s := range in.SGs {
					used[s] = true
				}
			}
			for _, lb := range m.lbList {
				for _, s := range lb.SGs {
					used[s] = true
				}
			}
			for _, e := range m.Vpces {
				for _, s := range e.SGs {
					used[s] = true
				}
			}
			for _, fn := range m.Funcs {
				for _, s := range asStrings(asMapOrFirst(prop(fn.Res, "vpcConfig"))["securityGroupIds"]) {
					used[s] = true
				}
			}
			for _, e := range m.EICEs {
				for _, s := range e.SGs {
					used[s] = true
				}
			}
			var f []string
			for _, sg := range m.sgList() {
				if !sg.Default && !used[sg.ID] {
					f = append(f, sg.Name+" is attached to no instance, load balancer, endpoint, instance connect endpoint or function")
				}
			}
			return verdict(f), f, ""
		}},
	{"SG-EGRESS-SCOPED", "CKV_AWS_382, AVD-AWS-0104", "egress to 0.0.0.0/0 only where justified",
		"open egress lets a compromised host exfiltrate anywhere; from a private subnet without NAT it serves nothing but that",
		func(m *Model, o Options) (string, []string, string) {
			var f, w []string
			for _, sg := range m.sgList() {
				for _, r := range sg.Rules {
					if !r.Egress || !isAnywhere(r.CIDR) {
						continue
					}
					what := fmt.Sprintf("%s: %q allows %s %d-%d to %s", sg.Name, firstNonEmpty(r.Desc, r.Res), r.Proto, r.From, r.To, r.CIDR)
					var stuck []string
					if r.CIDR.Addr().Is4() {
						for _, in := range m.instList {
							s := m.Subnets[in.Subnet]
							if slices.Contains(in.SGs, sg.ID) && s != nil && m.isPrivate(s) && !m.natDefault(s) {
								stuck = append(stuck, in.Name+" (subnet "+s.Name+")")
							}
						}
					}
					if len(stuck) > 0 {
						f = append(f, what+", and is attached to "+strings.Join(stuck, ", ")+" in a private subnet whose route table sends 0.0.0.0/0 to no NAT gateway")
					} else {
						w = append(w, what)
					}
				}
			}
			if len(f) > 0 {
				return Fail, append(f, w...), "a private subnet without a NAT route reaches nothing on the internet; only prefix lists (S3 through the gateway endpoint) or VPC ranges are justified there"
			}
			if len(w) == 0 {
				return Pass, nil, ""
			}
			return Warn, w, "kept where a host needs package mirrors or AWS APIs through NAT or public endpoints; the description must say why"
		}},
	{"DEFAULT-SG-NO-RULES", "CKV2_AWS_12, EC2.2, CIS 5.5", "every VPC's default security group is managed with no rules",
		"AWS's default group allows all traffic among its members and all egress; anything launched without a group lands in it",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, v := range m.vpcList {
				if v.Existing {
					continue // not the stack's to manage
				}
				var d *SG
				for _, sg := range m.SGs {
					if sg.Default && sg.VPC == v.ID {
						d = sg
					}
				}
				switch {
				case d == nil:
					f = append(f, "VPC "+v.Name+": default security group not managed (aws:ec2/defaultSecurityGroup missing), so AWS's allow rules stay")
				case len(d.Rules) > 0:
					f = append(f, fmt.Sprintf("VPC %s: default security group has %d rule(s)", v.Name, len(d.Rules)))
				}
			}
			return verdict(f), f, ""
		}},
	{"NACL-NO-ADMIN-PORTS-FROM-INTERNET", "CKV_AWS_232, CKV_AWS_231, AVD-AWS-0105, EC2.21", fmt.Sprintf("no network ACL admits SSH (22) or RDP (3389) from a public range broader than /%d", ipam.AdminPrefixLimit),
		"the subnet's stateless guard must not be the open door a security group slip walks through; entries are read in rule-number order, as AWS does",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, n := range m.naclList() {
				f = append(f, naclAdminFindings(n)...)
			}
			for _, v := range m.vpcList {
				var open []string
				for _, s := range m.subnetList() {
					if s.VPC == v.ID && m.NACLs[s.NACL] == nil {
						open = append(open, s.Name)
					}
				}
				if len(open) > 0 {
					f = append(f, fmt.Sprintf("VPC %s: subnet(s) %s use the VPC's default network ACL, not managed here, which admits all inbound traffic (22 and 3389 from 0.0.0.0/0 included)", v.Name, strings.Join(open, ", ")))
				}
			}
			return sshVerdict(o, f)
		}},
	{"EC2-IMDSV2", "CKV_AWS_79, AVD-AWS-0028, EC2.8", "instances require IMDSv2 tokens",
		"IMDSv1 lets SSRF bugs read the instance role's credentials",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, in := range m.instList {
				md := asMapOrFirst(prop(in.Res, "metadataOptions"))
				if asString(md["httpEndpoint"]) == "disabled" {
					continue
				}
				if asString(md["httpTokens"]) != "required" {
					f = append(f, in.Name+": metadataOptions.httpTokens is not \"required\"")
				}
			}
			return verdict(f), f, ""
		}},
	{"EC2-EBS-ENCRYPTED", "CKV_AWS_8, AVD-AWS-0131, awsguard encrypted-volumes", "EBS volumes are encrypted, set explicitly",
		"unencrypted volumes and snapshots leak data when shared or mishandled",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, in := range m.instList {
				rb := asMapOrFirst(prop(in.Res, "rootBlockDevice"))
				if !boolOr(rb["encrypted"], false) {
					f = append(f, in.Name+": rootBlockDevice.encrypted is not true")
				}
				for _, e := range asList(prop(in.Res, "ebsBlockDevices")) {
					if !boolOr(asMap(e)["encrypted"], false) {
						f = append(f, in.Name+": an ebsBlockDevice is not encrypted")
					}
				}
			}
			for _, r := range m.Graph.OfType(awstype.EbsVolume) {
				if !boolOr(r.Prop("encrypted"), false) {
					f = append(f, "volume "+r.Name+" is not encrypted")
				}
			}
			return verdict(f), f, ""
		}},
	{"EC2-NO-PUBLIC-IP", "CKV_AWS_88, awsguard ec2-instance-no-public-ip, EC2.9", "only bastions have public IPs",
		"a public address is reachable from the internet the moment a rule or route slips",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, in := range m.instList {
				if in.PublicIP && in.Role != "bastion" {
					f = append(f, in.Name+" (role "+firstNonEmpty(in.Role, "none")+") gets a public IP")
				}
			}
			return verdict(f), f, ""
		}},
	{"EC2-NO-USERDATA-SECRETS", "CKV_AWS_46, AVD-AWS-0029", "no secrets in user data",
		"user data is readable by anyone who can describe the instance and from IMDS",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, in := range m.instList {
				ud := str(in.Res, "userData")
				for _, re := range secretPatterns {
					if re.MatchString(ud) {
						f = append(f, in.Name+": user data matches "+re.String())
						break
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"EC2-CLIENT-ROLE", "CKV2_AWS_41", "client instances have an IAM instance profile",
		"clients call Lambda with role credentials, never with stored keys",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, in := range m.clients() {
				if m.roleOfInstance(in) == nil {
					f = append(f, in.Name+" has no instance profile with a role in the graph")
				}
			}
			return verdict(f), f, ""
		}},
	{"SUBNET-PRIVATE-NO-AUTO-PUBLIC-IP", "CKV_AWS_130", "private subnets do not auto-assign public IPs",
		"an instance in a private subnet must not get an internet address by default",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, s := range m.subnetList() {
				if m.isPrivate(s) && s.MapPublicIP {
					f = append(f, s.Name+" is private and has mapPublicIpOnLaunch on")
				}
			}
			return verdict(f), f, "public subnets auto-assign by design (bastions)"
		}},
	{"VPC-FLOW-LOGS", "CKV2_AWS_11, EC2.6, CIS 3.7", "VPC flow logs are on",
		"flow logs are the record of who talked to whom, needed after an incident",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, v := range m.vpcList {
				if !m.Flows[v.ID] && !v.Existing {
					f = append(f, "VPC "+v.Name+" has no flow log")
				}
			}
			st, f, note := logsVerdict(o, f)
			if st == Warn {
				note += "; " + flowLogCostNote(o, len(f))
			}
			return st, f, note
		}},
	{"PEERING-ROUTES-SCOPED", "CIS 5.6", "peering/TGW routes go only to the peer VPCs' CIDRs",
		"a broad route over a peering or TGW opens more than the mission needs",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, rt := range m.rtList() {
				for _, r := range rt.Routes {
					switch r.Kind {
					case "pcx":
						p := m.Peers[r.Target]
						other := ""
						if p != nil {
							other = p.Peer
							if p.Peer == rt.VPC {
								other = p.VPC
							}
						}
						if !m.withinVPC(r.Dest, other) {
							f = append(f, fmt.Sprintf("%s: %s via peering is not within the peer VPC's CIDRs", rt.Name, r.Dest))
						}
					case "tgw":
						ok := false
						for _, a := range m.Attachs {
							if a.TGW == r.Target && a.VPC != rt.VPC && m.withinVPC(r.Dest, a.VPC) {
								ok = true
							}
						}
						if !ok {
							f = append(f, fmt.Sprintf("%s: %s via transit gateway is not within an attached VPC's CIDRs", rt.Name, r.Dest))
						}
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"TGW-NO-AUTO-ACCEPT", "CKV_AWS_331", "transit gateways do not auto-accept shared attachments",
		"auto-accept lets any account the TGW is shared with join the network",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, t := range m.tgwList() {
				if t.AutoAccept {
					f = append(f, t.Name+" has autoAcceptSharedAttachments enabled")
				}
			}
			return verdict(f), f, ""
		}},
	{"TGW-NO-DEFAULT-ROUTE-TABLE", "", "transit gateways do not auto-associate/propagate into a default route table",
		"with the default table every attachment reaches every other; hub-and-spoke tables keep consumers apart",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, t := range m.tgwList() {
				if t.DefaultAssoc {
					f = append(f, t.Name+" has defaultRouteTableAssociation enabled")
				}
				if t.DefaultProp {
					f = append(f, t.Name+" has defaultRouteTablePropagation enabled")
				}
			}
			return verdict(f), f, ""
		}},
	{"IAM-NO-WILDCARD-ACTION", "CKV_AWS_62, CKV_AWS_63, AVD-AWS-0057, IAM.1", "no \"*\" or \"service:*\" actions",
		"wildcard actions grant far more than the function needs, including future actions",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, ro := range m.roleList() {
				for _, p := range ro.Policies {
					ss, err := parsePolicy(p.JSON)
					if err != nil {
						f = append(f, ro.Name+"/"+p.Name+": unreadable policy: "+err.Error())
						continue
					}
					for _, s := range ss {
						if !strings.EqualFold(s.Effect, "Allow") {
							continue
						}
						for _, a := range s.Actions {
							if a == "*" || strings.HasSuffix(a, ":*") {
								f = append(f, fmt.Sprintf("%s/%s allows action %q", ro.Name, p.Name, a))
							}
						}
						if len(s.NotActions) > 0 {
							f = append(f, fmt.Sprintf("%s/%s uses NotAction with Allow", ro.Name, p.Name))
						}
					}
				}
				for _, a := range ro.ManagedArns {
					if strings.HasSuffix(a, "/AdministratorAccess") {
						f = append(f, ro.Name+" has AdministratorAccess attached")
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"IAM-NO-WILDCARD-RESOURCE", "CKV_AWS_355", "no \"*\" resource where the action supports a specific one",
		"lambda:InvokeFunction on \"*\" lets the client call every function in the account",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, ro := range m.roleList() {
				for _, p := range ro.Policies {
					ss, err := parsePolicy(p.JSON)
					if err != nil {
						continue
					}
					for _, s := range ss {
						if !strings.EqualFold(s.Effect, "Allow") || !slices.Contains(s.Resources, "*") {
							continue
						}
						for _, a := range s.Actions {
							if !resourceStarOnly(a) {
								f = append(f, fmt.Sprintf("%s/%s allows %s on \"*\"", ro.Name, p.Name, a))
							}
						}
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"IAM-TRUST-SCOPED", "CKV_AWS_60, CKV_AWS_61", "role trust policies name the one service that uses the role",
		"a trust open to \"*\" or to more principals than needed lets others assume the role",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			needs := map[string]string{}
			for _, k := range sortedKeys(m.Profile) {
				needs[m.Profile[k]] = "ec2.amazonaws.com"
			}
			for _, fn := range m.Funcs {
				if ro := m.Roles[fn.Role]; ro != nil {
					needs[ro.Name] = "lambda.amazonaws.com"
				}
			}
			for _, ro := range m.roleList() {
				ss, err := parsePolicy(ro.Trust)
				if err != nil {
					f = append(f, ro.Name+": unreadable trust policy")
					continue
				}
				for _, s := range ss {
					if !strings.EqualFold(s.Effect, "Allow") {
						continue
					}
					for k, ps := range s.Principals {
						for _, p := range ps {
							if p == "*" || (k == "AWS" && p == "*") {
								f = append(f, ro.Name+": trust allows principal \"*\"")
							} else if k == "AWS" && !s.HasCondition {
								f = append(f, ro.Name+": trust allows AWS principal "+p+" without a condition")
							}
						}
					}
				}
				if svc := needs[ro.Name]; svc != "" {
					if !trusts(ro.Trust, svc) {
						f = append(f, ro.Name+": used by "+svc+" but its trust does not name it")
					}
					for _, s := range ss {
						for _, other := range s.Principals["Service"] {
							if !strings.EqualFold(other, svc) {
								f = append(f, ro.Name+": trust also names "+other)
							}
						}
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"ENDPOINT-SG-SCOPED", "", "interface endpoint groups admit only their own VPC",
		"an endpoint answering outside its VPC widens who can use the VPC's private path to AWS APIs",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, e := range m.vpceList() {
				if !strings.EqualFold(e.Type, "Interface") {
					continue
				}
				if len(e.SGs) == 0 {
					f = append(f, e.Name+": no security group (the VPC default group applies)")
				}
				for _, id := range e.SGs {
					sg := m.SGs[id]
					if sg == nil {
						continue
					}
					if sg.VPC != e.VPC {
						f = append(f, fmt.Sprintf("%s: group %s is in VPC %s", e.Name, sg.Name, m.vpcName(sg.VPC)))
					}
					for _, r := range sg.Rules {
						if r.Egress {
							continue
						}
						if r.CIDR.IsValid() && !m.withinVPC(r.CIDR, e.VPC) {
							f = append(f, fmt.Sprintf("%s: group %s admits %s, outside VPC %s", e.Name, sg.Name, r.CIDR, m.vpcName(e.VPC)))
						}
						if r.RefSG != "" {
							if ref := m.SGs[r.RefSG]; ref != nil && ref.VPC != e.VPC {
								f = append(f, fmt.Sprintf("%s: group %s admits group %s of VPC %s", e.Name, sg.Name, ref.Name, m.vpcName(ref.VPC)))
							}
						}
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"ENDPOINT-POLICY-SCOPED", "", "every VPC endpoint has a policy, and each Allow names its resources",
		"without a policy (or with Resource \"*\") an endpoint carries calls to any bucket or function of any account: a way out for data that bypasses every other control",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, e := range m.vpceList() {
				if strings.TrimSpace(e.Policy) == "" {
					f = append(f, e.Name+": no policy (AWS's default allows every action on every resource of "+shortService(e.Service)+")")
					continue
				}
				ss, err := parsePolicy(e.Policy)
				if err != nil {
					f = append(f, e.Name+": unreadable policy: "+err.Error())
					continue
				}
				for i, s := range ss {
					if !strings.EqualFold(s.Effect, "Allow") {
						continue
					}
					sid := firstNonEmpty(s.Sid, fmt.Sprintf("statement %d", i+1))
					switch {
					case len(s.NotResource) > 0:
						f = append(f, fmt.Sprintf("%s: %s allows with NotResource (everything but a list)", e.Name, sid))
					case len(s.Resources) == 0:
						f = append(f, fmt.Sprintf("%s: %s allows without a Resource", e.Name, sid))
					case slices.Contains(s.Resources, "*"):
						f = append(f, fmt.Sprintf("%s: %s allows %s on Resource \"*\"", e.Name, sid, strings.Join(s.Actions, ", ")))
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-BLOCK-PUBLIC-ACCESS", "CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56, S3.8", "every bucket has all four Block Public Access settings on",
		"Block Public Access is the bucket's own guard against a public policy or ACL added later by mistake",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				var off []string
				for _, k := range PABKeys {
					if !b.PAB[k] {
						off = append(off, k)
					}
				}
				switch {
				case len(off) == len(PABKeys):
					f = append(f, b.Name+": no public access block (aws:s3/bucketPublicAccessBlock) with all four settings on")
				case len(off) > 0:
					f = append(f, b.Name+": public access block has "+strings.Join(off, ", ")+" off")
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-OWNERSHIP-ENFORCED", "CKV2_AWS_65, S3.12", "every bucket's object ownership is BucketOwnerEnforced",
		"it turns ACLs off: objects written by log delivery belong to the bucket owner, and no ACL can grant access",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				if b.Ownership != "BucketOwnerEnforced" {
					f = append(f, fmt.Sprintf("%s: object ownership is %q, not BucketOwnerEnforced", b.Name, firstNonEmpty(b.Ownership, "unset")))
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-DEFAULT-ENCRYPTION", "CKV_AWS_19, AVD-AWS-0088", "every bucket sets default encryption explicitly",
		"objects at rest are encrypted whoever writes them; set in code, a reviewer sees it",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				if b.SSE == "" {
					f = append(f, b.Name+": no server-side encryption configuration")
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-TLS-ONLY", "Security Hub S3.5", "every bucket policy denies requests without TLS",
		"aws:SecureTransport false must be refused, or logs can be read or written in clear text",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				if !deniesInsecure(b) {
					f = append(f, b.Name+": its policy has no Deny for everyone of s3:* on the bucket and its objects when aws:SecureTransport is false")
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-NO-PUBLIC-POLICY", "CKV_AWS_70, Security Hub S3.2, S3.3", "no bucket policy allows Principal \"*\"",
		"a public grant is one Block Public Access change away from the internet",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				ss, err := parsePolicy(b.Policy)
				if b.Policy != "" && err != nil {
					f = append(f, b.Name+": unreadable policy: "+err.Error())
					continue
				}
				for i, s := range ss {
					if strings.EqualFold(s.Effect, "Allow") && (publicPrincipal(s.Principals) || s.NotPrincipals != nil) {
						f = append(f, fmt.Sprintf("%s: %s allows %s to Principal \"*\"", b.Name, firstNonEmpty(s.Sid, fmt.Sprintf("statement %d", i+1)), strings.Join(s.Actions, ", ")))
					}
				}
			}
			return verdict(f), f, ""
		}},
	{"S3-NO-OUTSIDE-READ", "Security Hub S3.6", "nothing outside the stack's account can read a bucket",
		"the logs map the network and its callers; only the account's own principals, through their identity policies, may read them",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, b := range m.bucketList {
				f = append(f, m.outsideReaders(b)...)
			}
			note := ""
			if m.Account == "" {
				note = "the stack's account is unknown (no ARN in the graph names it): only public grants were checked"
			}
			return verdict(f), f, note
		}},
	{"LAMBDA-PERMISSION-SCOPED", "CKV_AWS_301, CKV_AWS_364, AVD-AWS-0067, Lambda.1", "function resource policies name their caller, and nothing wider than a consumer's role or account",
		"a wildcard principal lets any account invoke the function; a service principal without sourceArn/sourceAccount lets that service do it for any account (confused deputy); an account that is no consumer's has no business calling it",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			consumers := m.consumerAccounts()
			names := strings.Join(sortedKeys(consumers), ", ")
			for _, p := range m.LambdaPerms {
				act := firstNonEmpty(p.Action, "lambda:InvokeFunction")
				switch {
				case p.Principal == "*" && p.SourceAccount == "":
					f = append(f, fmt.Sprintf("%s: %s on %s to principal \"*\": any principal of any account with the permission in its own policies may call it; name the consumer's invoker role", p.Name, act, p.Function))
				case p.Principal == "*" && len(consumers) > 0 && !consumers[p.SourceAccount]:
					f = append(f, fmt.Sprintf("%s: %s on %s to principal \"*\" from sourceAccount %s, which is no consumer's (%s)", p.Name, act, p.Function, p.SourceAccount, names))
				case strings.HasSuffix(p.Principal, ".amazonaws.com") && p.SourceArn == "" && p.SourceAccount == "":
					f = append(f, fmt.Sprintf("%s: service principal %s without sourceArn or sourceAccount", p.Name, p.Principal))
				case p.Principal != "*" && !strings.HasSuffix(p.Principal, ".amazonaws.com") && len(consumers) > 0:
					if a := m.principalAccount(p.Principal); a != "" && !consumers[a] {
						f = append(f, fmt.Sprintf("%s: %s on %s to %s, in account %s, which is no consumer's (%s)", p.Name, act, p.Function, p.Principal, a, names))
					}
				}
				if strings.EqualFold(p.FunctionURLAuthType, "NONE") {
					f = append(f, p.Name+": grants the function URL with authType NONE (unauthenticated)")
				}
			}
			return verdict(f), f, ""
		}},
	{"ZONE-ASSOCIATION-AUTHORIZED", "", "a private zone's association with another account's VPC is authorized by the zone's account",
		"Route 53 refuses to associate a VPC of another account unless the zone's owner authorized that VPC and the VPC's owner makes the association: without both, the names do not resolve there",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, za := range m.ZoneAssocs {
				if !za.InForce {
					f = append(f, za.Why)
				}
			}
			return verdict(f), f, ""
		}},
	{"LAMBDA-URL-AUTH", "CKV_AWS_258", "function URLs require IAM auth",
		"authorizationType NONE puts the function on the internet for anyone, around the private endpoint",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, u := range m.FuncURLs {
				if !strings.EqualFold(u.AuthType, "AWS_IAM") {
					f = append(f, fmt.Sprintf("%s: function URL of %s has authorizationType %q", u.Name, u.Function, firstNonEmpty(u.AuthType, "unset")))
				}
			}
			return verdict(f), f, ""
		}},
	{"LAMBDA-LOG-RETENTION", "", "every function's log group has a retention period",
		"without retention logs are kept (and billed) forever",
		func(m *Model, o Options) (string, []string, string) {
			var f []string
			for _, fn := range m.Funcs {
				lg := firstNonEmpty(asString(asMapOrFirst(prop(fn.Res, "loggingConfig"))["logGroup"]), "/aws/lambda/"+fn.Name)
				days, ok := m.Logs[lg]
				switch {
				case !ok:
					f = append(f, fn.Name+": log group "+lg+" is not managed, so Lambda creates it with no retention")
				case days <= 0:
					f = append(f, fn.Name+": log group "+lg+" has no retentionInDays")
				}
			}
			return verdict(f), f, ""
		}},
	{"LAMBDA-RUNTIME-SUPPORTED", "CKV_AWS_363", "functions use a runtime AWS still supports",
		"deprecated runtimes get no security patches and soon cannot be updated",
		func(m *Model, o Options) (string, []string, string) {
			var f, w []string
			for _, fn := range m.Funcs {
				if fn.Runtime == "" {
					continue // container image
				}
				d, ok := runtimeDeprecation[fn.Runtime]
				if !ok {
					w = append(w, fn.Name+": runtime "+fn.Runtime+" is not in the verifier's table")
					continue
				}
				dep, _ := time.Parse("2006-01-02", d)
				if !o.Now.Before(dep) {
					f = append(f, fmt.Sprintf("%s: runtime %s deprecated since %s", fn.Name, fn.Runtime, d))
				} else if dep.Sub(o.Now) < 180*24*time.Hour {
					w = append(w, fmt.Sprintf("%s: runtime %s is deprecated on %s", fn.Name, fn.Runtime, d))
				}
			}
			if len(f) > 0 {
				return Fail, f, ""
			}
			if len(w) > 0 {
				return Warn, w, "plan the runtime upgrade"
			}
			return Pass, nil, ""
		}},
}

// logsVerdict fails logging findings, or warns when the stack turned its
// logs off on purpose.
func logsVerdict(o Options, f []string) (string, []string, string) {
	return optedOut(o.LogsOff, f, "the stack turned its logs off (internal-alb:logs false); set it to true (the default) to record them")
}

// sshVerdict fails admin-port findings, or warns when the stack allows SSH
// from anywhere on purpose.
func sshVerdict(o Options, f []string) (string, []string, string) {
	return optedOut(o.AllowSshFromAnywhere, f, "the stack sets internal-alb:allowSshFromAnywhere: the owner chose to open admin access this wide")
}

// optedOut fails findings, or warns with why when the stack's config chose
// them on purpose.
func optedOut(chosen bool, f []string, why string) (string, []string, string) {
	switch {
	case len(f) == 0:
		return Pass, nil, ""
	case chosen:
		return Warn, f, why
	}
	return Fail, f, ""
}

// broadPublic reports whether p reaches into the internet more broadly than
// an organisation's egress range: public IPv4 addresses in a block broader
// than ipam.AdminPrefixLimit, or all of IPv6.
func broadPublic(p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	if p.Addr().Is4() {
		return p.Bits() < ipam.AdminPrefixLimit && hasPublic(p)
	}
	return p.Bits() == 0
}

// naclAdminFindings reads a NACL's inbound entries in rule-number order and
// reports each allow of 22 or 3389 from a broad public range that no earlier
// deny of that port covers.
func naclAdminFindings(n *NACL) []string {
	var f []string
	for _, p := range []int{22, 3389} {
		var denied []netip.Prefix
		for _, r := range n.Rules {
			if r.Egress || !protoOK(r.Proto) {
				continue
			}
			if full, _ := portMatch(r.Proto, r.From, r.To, port(p)); !full || !r.CIDR.IsValid() {
				continue
			}
			if !r.Allow {
				denied = append(denied, r.CIDR)
				continue
			}
			if !broadPublic(r.CIDR) || slices.ContainsFunc(denied, func(d netip.Prefix) bool { return contains(d, r.CIDR) }) {
				continue
			}
			f = append(f, fmt.Sprintf("NACL %s inbound rule %d allows %s %d-%d from %s: port %d is admitted", n.Name, r.Num, r.Proto, r.From, r.To, r.CIDR, p))
		}
	}
	return f
}

// natDefault reports whether the subnet's route table sends 0.0.0.0/0 to a
// NAT gateway.
func (m *Model) natDefault(s *Subnet) bool {
	r, _, ok := m.lookup(s.RouteTable, netip.MustParsePrefix("0.0.0.0/0"))
	return ok && r.Kind == "nat"
}

func publicPrincipal(pm map[string][]string) bool {
	return slices.Contains(pm["*"], "*") || slices.Contains(pm["AWS"], "*")
}

// deniesInsecure reports whether the bucket's policy denies every principal
// all of S3 on the bucket and its objects when aws:SecureTransport is false.
func deniesInsecure(b *Bucket) bool {
	ss, err := parsePolicy(b.Policy)
	if err != nil {
		return false
	}
	insecure := map[string]string{"aws:securetransport": "false"}
	for _, s := range ss {
		if !strings.EqualFold(s.Effect, "Deny") || !publicPrincipal(s.Principals) {
			continue
		}
		if ok, unknown := s.conditionsHold(insecure); !ok || unknown != "" || len(s.Conditions) == 0 {
			continue
		}
		if s.covers("s3:GetObject", b.ARN+"/x") && s.covers("s3:PutObject", b.ARN+"/x") && s.covers("s3:ListBucket", b.ARN) {
			return true
		}
	}
	return false
}

// readAction reports whether an action pattern takes in reading: a Get or
// List of S3, or everything.
func readAction(a string) bool {
	a = strings.ToLower(a)
	return a == "*" || strings.HasPrefix(a, "s3:get") || strings.HasPrefix(a, "s3:list") ||
		wildMatch(a, "s3:getobject") || wildMatch(a, "s3:listbucket")
}

// outsideReaders lists who outside the stack's account could read the
// bucket: a public ACL that ownership and Block Public Access leave in
// force, a policy Allow of a read to "*" that restrictPublicBuckets does not
// neutralise, to another account, or to a service principal not held to
// this account by aws:SourceAccount / aws:SourceArn.
func (m *Model) outsideReaders(b *Bucket) []string {
	var f []string
	if acl := strings.ToLower(b.ACL); (acl == "public-read" || acl == "public-read-write" || acl == "authenticated-read") &&
		b.Ownership != "BucketOwnerEnforced" && !b.PAB["ignorePublicAcls"] {
		f = append(f, b.Name+": canned ACL "+b.ACL+" is in force (ACLs enabled, ignorePublicAcls off)")
	}
	ss, err := parsePolicy(b.Policy)
	if err != nil {
		return f
	}
	for i, s := range ss {
		if !strings.EqualFold(s.Effect, "Allow") || !(s.coversAction("s3:GetObject") || s.coversAction("s3:ListBucket") || slices.ContainsFunc(s.Actions, readAction)) {
			continue
		}
		sid := firstNonEmpty(s.Sid, fmt.Sprintf("statement %d", i+1))
		acts := strings.Join(s.Actions, ", ")
		if acts == "" {
			acts = "do all but " + strings.Join(s.NotActions, ", ")
		}
		if publicPrincipal(s.Principals) || s.NotPrincipals != nil {
			if !b.PAB["restrictPublicBuckets"] {
				f = append(f, fmt.Sprintf("%s: %s lets anyone %s (restrictPublicBuckets off)", b.Name, sid, acts))
			}
			continue
		}
		for _, p := range append(s.Principals["AWS"], s.Principals["CanonicalUser"]...) {
			if a := accountOf(p); m.Account != "" && a != m.Account {
				f = append(f, fmt.Sprintf("%s: %s lets %s, outside account %s, %s", b.Name, sid, p, m.Account, acts))
			}
		}
		for _, p := range s.Principals["Federated"] {
			f = append(f, fmt.Sprintf("%s: %s lets federated principal %s %s", b.Name, sid, p, acts))
		}
		for _, svc := range s.Principals["Service"] {
			if !m.heldToAccount(s) {
				f = append(f, fmt.Sprintf("%s: %s lets service %s %s for any account (no aws:SourceAccount or aws:SourceArn condition naming %s)", b.Name, sid, svc, acts, firstNonEmpty(m.Account, "the stack's account")+m.otherAccounts()))
			}
		}
	}
	return f
}

// otherAccounts lists the accounts the stack deploys consumers into, as
// " or a, b" ("" when none).
func (m *Model) otherAccounts() string {
	var ids []string
	for _, a := range m.Accounts {
		ids = append(ids, a.ID)
	}
	if len(ids) == 0 {
		return ""
	}
	return " or " + strings.Join(ids, ", ")
}

// heldToAccount reports whether a statement's conditions hold a service
// principal to one of the stack's accounts: its own, or one it deploys a
// consumer into (whose flow logs, say, the service delivers).
func (m *Model) heldToAccount(s statement) bool {
	ours := func(a string) bool {
		if m.Account == "" || a == m.Account {
			return true
		}
		for _, x := range m.Accounts {
			if x.ID == a {
				return true
			}
		}
		return false
	}
	for op, kv := range s.Conditions {
		if strings.Contains(op, "Not") {
			continue
		}
		for k, vals := range kv {
			for _, v := range vals {
				switch strings.ToLower(k) {
				case "aws:sourceaccount", "aws:sourceowner":
					if ours(v) {
						return true
					}
				case "aws:sourcearn":
					if a := accountOf(v); a != "" && ours(a) {
						return true
					}
				}
			}
		}
	}
	return false
}

var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`(?i)aws_secret_access_key`),
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	// a literal value (not a $variable or $(command)) of 8+ characters
	regexp.MustCompile(`(?i)(password|passwd|secret|token|api[_-]?key)\s*[=:]\s*["']?[^\s"'$]{8,}`),
}

// runtimeDeprecation holds Lambda's deprecation dates (AWS "Lambda runtimes"
// page, deprecation column; checked 2026-11-25). A runtime is failed from its
// date on and warned about 180 days before.
var runtimeDeprecation = map[string]string{
	"nodejs": "2016-10-31", "nodejs4.3": "2020-03-05", "nodejs6.10": "2019-08-12", "nodejs8.10": "2020-03-06",
	"nodejs10.x": "2021-07-30", "nodejs12.x": "2023-03-31", "nodejs14.x": "2023-12-04", "nodejs16.x": "2024-06-12",
	"nodejs18.x": "2025-09-01", "nodejs20.x": "2026-04-30", "nodejs22.x": "2027-04-30", "nodejs24.x": "2028-04-30",
	"python2.7": "2021-07-15", "python3.6": "2022-07-18", "python3.7": "2023-12-04", "python3.8": "2024-10-14",
	"python3.9": "2025-12-15", "python3.10": "2026-10-31", "python3.11": "2027-06-30", "python3.12": "2028-10-31",
	"python3.13": "2029-06-30", "python3.14": "2029-06-30",
	"java8": "2024-01-08", "java8.al2": "2026-06-30", "java11": "2026-06-30", "java17": "2026-06-30", "java21": "2029-06-30", "java25": "2029-06-30",
	"go1.x": "2024-01-08", "provided": "2024-01-08", "provided.al2": "2026-06-30", "provided.al2023": "2029-06-30",
	"ruby2.7": "2023-12-07", "ruby3.2": "2026-03-31", "ruby3.3": "2027-03-31", "ruby3.4": "2028-03-31",
	"dotnet6": "2024-12-20", "dotnet8": "2026-11-10", "dotnet10": "2028-11-14",
}

// resourceStarOnly lists actions that support no resource-level permission,
// where "*" is the only possible resource.
func resourceStarOnly(action string) bool {
	a := strings.ToLower(action)
	for _, p := range []string{"ec2:describe", "ec2:createnetworkinterface", "ec2:deletenetworkinterface", "ec2:assignprivateipaddresses", "ec2:unassignprivateipaddresses",
		"xray:put", "cloudwatch:putmetricdata", "sts:getcalleridentity", "logs:describe", "lambda:list", "s3:listallmybuckets", "ssm:updateinstanceinformation", "ssmmessages:", "ec2messages:"} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

func (m *Model) withinVPC(p netip.Prefix, vpcID string) bool {
	v := m.VPCs[vpcID]
	if v == nil {
		return false
	}
	for _, c := range v.CIDRs {
		if contains(c, p) {
			return true
		}
	}
	return false
}

// inGraphOrder returns the modelled objects of the given resource types in
// the graph's order, skipping those the model could not build.
func inGraphOrder[T any](m *Model, byID map[string]*T, types ...string) []*T {
	var out []*T
	for _, r := range m.Graph {
		if slices.Contains(types, r.Type) {
			if x := byID[resID(&r)]; x != nil {
				out = append(out, x)
			}
		}
	}
	return out
}

func (m *Model) sgList() []*SG {
	return inGraphOrder(m, m.SGs, awstype.SecurityGroup, awstype.DefaultSecurityGroup)
}
func (m *Model) tgList() []*TargetGroup { return inGraphOrder(m, m.TGs, awstype.TargetGroup) }
func (m *Model) subnetList() []*Subnet  { return inGraphOrder(m, m.Subnets, awstype.Subnet) }
func (m *Model) tgwList() []*TGW        { return inGraphOrder(m, m.TGWs, awstype.TransitGateway) }
func (m *Model) roleList() []*Role      { return m.roleObjs }

// naclList returns the NACLs in graph order (a managed default NACL under
// the id it manages).
func (m *Model) naclList() []*NACL {
	var out []*NACL
	for _, r := range m.Graph {
		id := resID(&r)
		if r.Type == awstype.DefaultNetworkAcl {
			id = firstNonEmpty(str(&r, "defaultNetworkAclId"), id)
		} else if r.Type != awstype.NetworkAcl {
			continue
		}
		if n := m.NACLs[id]; n != nil {
			out = append(out, n)
		}
	}
	return out
}

func (m *Model) rtList() []*RouteTable {
	out := make([]*RouteTable, 0, len(m.RTs))
	for _, rt := range m.RTs {
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedKeys[V any](mp map[string]V) []string {
	return slices.Sorted(maps.Keys(mp))
}

// valuesByKey returns mp's values in the order of their keys (the ids the
// model files them under).
func valuesByKey[V any](mp map[string]V) []V {
	out := make([]V, 0, len(mp))
	for _, k := range sortedKeys(mp) {
		out = append(out, mp[k])
	}
	return out
}
