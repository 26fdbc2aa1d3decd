package awscheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

const (
	serviceAccount = "123456789012"
	otherAccount   = "111111111111"
	fnArn          = "arn:aws:lambda:us-east-1:123456789012:function:hello"
	invokerArn     = "arn:aws:iam::111111111111:role/internal-alb/fn-invoker-111111111111"
)

func expectation() ConsumerExpect {
	return ConsumerExpect{
		Name: "bar", VpcID: "vpc-1", Cidr: "10.9.0.0/16", ServiceCidr: "10.0.0.0/16",
		ServiceAccount: serviceAccount, Account: otherAccount, Connectivity: "peering",
		FunctionArn: fnArn, ZoneName: "home",
	}
}

func TestRoleAccount(t *testing.T) {
	for arn, want := range map[string]string{
		invokerArn: "111111111111",
		"arn:aws-us-gov:iam::222222222222:role/x":    "222222222222",
		"arn:aws:iam::111111111111:root":             "",
		"arn:aws:iam::111111111111:user/alice":       "",
		"111111111111":                               "",
		"arn:aws:sts::111111111111:assumed-role/x/y": "",
	} {
		got, err := roleAccount(arn)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("roleAccount(%q) = %q, %v; want %q", arn, got, err, want)
		}
	}
}

func TestPrincipalAccount(t *testing.T) {
	for _, tc := range []struct {
		p       string
		account string
		whole   bool
	}{
		{invokerArn, otherAccount, false},
		{"arn:aws:iam::111111111111:root", otherAccount, true},
		{"111111111111", otherAccount, true},
		{"lambda.amazonaws.com", "", false},
	} {
		if a, w := principalAccount(tc.p); a != tc.account || w != tc.whole {
			t.Errorf("principalAccount(%q) = %q, %v; want %q, %v", tc.p, a, w, tc.account, tc.whole)
		}
	}
}

func TestEndpointInvoker(t *testing.T) {
	doc := func(principal, action, resource string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":%q,"Resource":%q}]}`, principal, action, resource)
	}
	good := doc(`{"AWS":"`+invokerArn+`"}`, "lambda:InvokeFunction", fnArn)
	for _, tc := range []struct {
		name, doc string
		exp       func(*ConsumerExpect)
		problem   string // "" when the role is returned
	}{
		{"the program's policy", good, nil, ""},
		{"the expected invoker", good, func(e *ConsumerExpect) { e.InvokerRoleArn = invokerArn }, ""},
		{"URL-encoded as the API may return it", strings.ReplaceAll(good, "\"", "%22"), nil, ""},
		{"another invoker expected", good, func(e *ConsumerExpect) { e.InvokerRoleArn = "arn:aws:iam::111111111111:role/other" }, "want the invoker role"},
		{"everyone", doc(`"*"`, "lambda:InvokeFunction", fnArn), nil, "not a role"},
		{"the whole account", doc(`{"AWS":"arn:aws:iam::111111111111:root"}`, "lambda:InvokeFunction", fnArn), nil, "not a role"},
		{"a role of another account", doc(`{"AWS":"arn:aws:iam::123456789012:role/x"}`, "lambda:InvokeFunction", fnArn), nil, "not of the consumer's"},
		{"two roles", doc(`{"AWS":["`+invokerArn+`","arn:aws:iam::111111111111:role/y"]}`, "lambda:InvokeFunction", fnArn), nil, "want one role"},
		{"every action", doc(`{"AWS":"`+invokerArn+`"}`, "lambda:*", fnArn), nil, "does not allow lambda:InvokeFunction on"},
		{"every function", doc(`{"AWS":"`+invokerArn+`"}`, "lambda:InvokeFunction", "*"), nil, "does not allow lambda:InvokeFunction on"},
		{"full access (no policy set)", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, nil, "does not allow"},
		{"two statements", `{"Statement":[{"Effect":"Allow"},{"Effect":"Allow"}]}`, nil, "2 statements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := expectation()
			if tc.exp != nil {
				tc.exp(&exp)
			}
			role, problem := endpointInvoker(decodePolicy(tc.doc), exp)
			if tc.problem == "" {
				if problem != "" || role != invokerArn {
					t.Fatalf("got %q, %q; want the invoker role", role, problem)
				}
				return
			}
			if !strings.Contains(problem, tc.problem) || role != "" {
				t.Fatalf("got %q, %q; want a problem with %q", role, problem, tc.problem)
			}
		})
	}
}

func TestFunctionPolicyProblems(t *testing.T) {
	stmt := func(sid, principal, action, resource string) string {
		return fmt.Sprintf(`{"Sid":%q,"Effect":"Allow","Principal":%s,"Action":%q,"Resource":%q}`, sid, principal, action, resource)
	}
	policy := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	ours := stmt("InvokeFrom111111111111", `{"AWS":"`+invokerArn+`"}`, "lambda:InvokeFunction", fnArn)
	for _, tc := range []struct {
		name     string
		doc      string
		invoker  string
		problems []string // each a substring of one problem, in order
	}{
		{"the program's permission", policy(ours), "", nil},
		{"as the emulator stores it (a bare ARN)", policy(stmt("s", `"`+invokerArn+`"`, "lambda:InvokeFunction", fnArn)), invokerArn, nil},
		{"beside another consumer's", policy(ours, stmt("InvokeFrom222222222222", `{"AWS":"arn:aws:iam::222222222222:role/r"}`, "lambda:InvokeFunction", fnArn)), "", nil},
		{"beside a service's", policy(ours, stmt("logs", `{"Service":"logs.amazonaws.com"}`, "lambda:InvokeFunction", fnArn)), "", nil},
		{"no permission", policy(), "", []string{"0 statements name account 111111111111"}},
		{"another role than the invoker", policy(ours), "arn:aws:iam::111111111111:role/other", []string{"want the invoker role arn:aws:iam::111111111111:role/other"}},
		{"the whole account", policy(stmt("s", `{"AWS":"arn:aws:iam::111111111111:root"}`, "lambda:InvokeFunction", fnArn)), "",
			[]string{"the whole account 111111111111", "not a role"}},
		{"a bare account id", policy(stmt("s", `{"AWS":"111111111111"}`, "lambda:InvokeFunction", fnArn)), "",
			[]string{"the whole account 111111111111", "not a role"}},
		{"everyone beside", policy(ours, stmt("open", `"*"`, "lambda:InvokeFunction", fnArn)), "", []string{`"open" allows everyone`}},
		{"everyone as AWS *", policy(ours, stmt("open", `{"AWS":"*"}`, "lambda:InvokeFunction", fnArn)), "", []string{`"open" allows everyone`}},
		{"every action", policy(stmt("s", `{"AWS":"`+invokerArn+`"}`, "lambda:*", fnArn)), "", []string{"want lambda:InvokeFunction on"}},
		{"twice", policy(ours, ours), "", []string{"2 statements name account"}},
		{"the role with another", policy(stmt("s", `{"AWS":["`+invokerArn+`","arn:aws:iam::111111111111:role/y"]}`, "lambda:InvokeFunction", fnArn)), "",
			[]string{"want the invoker role alone"}},
		{"not JSON", "nope", "", []string{"does not parse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := expectation()
			exp.InvokerRoleArn = tc.invoker
			got := FunctionPolicyProblems(tc.doc, exp)
			if len(got) != len(tc.problems) {
				t.Fatalf("problems %q, want %d: %q", got, len(tc.problems), tc.problems)
			}
			for i, want := range tc.problems {
				if !strings.Contains(got[i], want) {
					t.Errorf("problem %d is %q, want one with %q", i, got[i], want)
				}
			}
		})
	}
}

func TestTablesOf(t *testing.T) {
	table := func(id string, main bool, subnets []string, routes ...string) ec2types.RouteTable {
		rt := ec2types.RouteTable{RouteTableId: aws.String(id)}
		if main {
			rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{Main: aws.Bool(true)})
		}
		for _, s := range subnets {
			rt.Associations = append(rt.Associations, ec2types.RouteTableAssociation{SubnetId: aws.String(s)})
		}
		for _, gw := range routes {
			rt.Routes = append(rt.Routes, ec2types.Route{DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(gw)})
		}
		return rt
	}
	tables := []ec2types.RouteTable{
		table("rtb-main", true, nil, "local"),
		table("rtb-pub", false, []string{"subnet-pub"}, "igw-1"),
		table("rtb-priv", false, []string{"subnet-p1", "subnet-p2"}, "local"),
		table("rtb-unused", false, nil, "local"),
	}
	ids := func(rts []ec2types.RouteTable) []string {
		var out []string
		for _, rt := range rts {
			out = append(out, aws.ToString(rt.RouteTableId))
		}
		return out
	}
	all := []string{"subnet-pub", "subnet-p1", "subnet-p2", "subnet-implicit"}
	for _, tc := range []struct {
		name        string
		subnets     []string
		privateOnly bool
		want        []string
	}{
		{"the private subnets by default", all, true, []string{"rtb-main", "rtb-priv"}},
		{"configured subnets, public too", []string{"subnet-pub"}, false, []string{"rtb-pub"}},
		{"an implicitly associated subnet takes the main table", []string{"subnet-implicit"}, false, []string{"rtb-main"}},
		{"a table once for its many subnets", []string{"subnet-p1", "subnet-p2"}, false, []string{"rtb-priv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tablesOf(tables, tc.subnets, tc.privateOnly)); !slices.Equal(got, tc.want) {
				t.Errorf("tables %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExcluding(t *testing.T) {
	left := []string{"vpc vpc-1", "subnet subnet-a", "iam-role OrganizationAccountAccessRole", "vpc vpc-2", "resource-share arn:aws:ram:x"}
	got := Excluding(left, []string{"vpc-1", "subnet-a", "iam-role OrganizationAccountAccessRole"})
	want := []string{"vpc vpc-2", "resource-share arn:aws:ram:x"}
	if !slices.Equal(got, want) {
		t.Errorf("Excluding = %v, want %v", got, want)
	}
}

func TestServiceAccountChecksNeedTheVpcID(t *testing.T) {
	exp := expectation()
	exp.VpcID = ""
	errs := New("http://127.0.0.1:1", "us-east-1").ServiceAccountChecks(t.Context(), exp)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "consumer bar, service account: consumer VPC: the VPC id is unknown") {
		t.Fatalf("errors %v, want the one that asks for the VPC id", errs)
	}
}

func TestAssumeRoleRefusesWhatIsNotARole(t *testing.T) {
	_, err := New("http://127.0.0.1:1", "us-east-1").AssumeRole(t.Context(), "arn:aws:iam::111111111111:user/alice")
	if err == nil || !strings.Contains(err.Error(), "is not an IAM role ARN") {
		t.Fatalf("err = %v, want the ARN refused before any call", err)
	}
}
