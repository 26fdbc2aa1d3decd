package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/network"
)

const (
	roleB = "arn:aws:iam::210987654321:role/internal-alb-deployer"
	vpcB  = "vpc-0a1b2c3d4e5f60718"
	subA  = "subnet-0a1b2c3d4e5f60718"
	subB  = "subnet-1234abcd"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// Every shape a consumer can take loads as written: a VPC the stack
// creates, an existing one (with or without its subnets and a client), in
// the stack's account or another one.
func TestConsumerShapesLoad(t *testing.T) {
	cases := []struct {
		name, consumers string
		want            []Vpc
		clients         []bool // WantsClient of each
	}{
		{"created", `[{"name":"bar","cidr":"10.3.0.0/16"}]`,
			[]Vpc{{Name: "bar", Cidr: "10.3.0.0/16"}}, []bool{true}},
		{"created without a client", `[{"name":"bar","cidr":"10.3.0.0/16","client":false}]`,
			[]Vpc{{Name: "bar", Cidr: "10.3.0.0/16", Client: no()}}, []bool{false}},
		{"existing", `[{"name":"bar","vpcId":"` + vpcB + `"}]`,
			[]Vpc{{Name: "bar", VpcID: vpcB}}, []bool{false}},
		{"existing, short id, its subnets and a client", `[{"name":"bar","vpcId":"vpc-1234abcd","subnetIds":["` + subA + `","` + subB + `"],"client":true}]`,
			[]Vpc{{Name: "bar", VpcID: "vpc-1234abcd", SubnetIDs: []string{subA, subB}, Client: yes()}}, []bool{true}},
		{"created, in another account", `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + roleB + `"}}]`,
			[]Vpc{{Name: "bar", Cidr: "10.3.0.0/16", Account: &Account{RoleArn: roleB}}}, []bool{true}},
		{"existing, in another account, its region named", `[{"name":"bar","vpcId":"` + vpcB + `","account":{"roleArn":"arn:aws-us-gov:iam::210987654321:role/ops/deployer","region":"us-gov-west-1"}}]`,
			[]Vpc{{Name: "bar", VpcID: vpcB, Account: &Account{RoleArn: "arn:aws-us-gov:iam::210987654321:role/ops/deployer", Region: "us-gov-west-1"}}}, []bool{false}},
		{"all of them, two in one other account", `[{"name":"bar","cidr":"10.3.0.0/16"},` +
			`{"name":"baz","vpcId":"` + vpcB + `","subnetIds":["` + subA + `"],"account":{"roleArn":"` + roleB + `"}},` +
			`{"name":"qux","cidr":"10.4.0.0/16","nat":"single","account":{"roleArn":"` + roleB + `","region":"ap-northeast-1"}}]`,
			[]Vpc{
				{Name: "bar", Cidr: "10.3.0.0/16"},
				{Name: "baz", VpcID: vpcB, SubnetIDs: []string{subA}, Account: &Account{RoleArn: roleB}},
				{Name: "qux", Cidr: "10.4.0.0/16", Nat: network.NatSingle, Account: &Account{RoleArn: roleB, Region: "ap-northeast-1"}},
			}, []bool{true, false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(lookup(map[string]string{"consumerVpcs": c.consumers}))
			require.NoError(t, err)
			assert.Equal(t, c.want, cfg.ConsumerVpcs)
			var clients []bool
			for _, v := range cfg.ConsumerVpcs {
				clients = append(clients, v.WantsClient())
			}
			assert.Equal(t, c.clients, clients)

			// What loads is what a stack file writes back.
			b, err := json.Marshal(cfg.ConsumerVpcs)
			require.NoError(t, err)
			assert.JSONEq(t, c.consumers, string(b))
		})
	}
}

// Every bad consumer or service VPC gets an error naming its key, its value
// and what to do, every problem at once.
func TestLoadRefusesBadVpcs(t *testing.T) {
	shape := `{name, cidr?, nat?, vpcId?, subnetIds?, client?, account?}`
	cases := []struct {
		name      string
		overrides map[string]string
		want      []string
	}{
		// The service VPC is the stack's own.
		{"service vpc that exists", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","vpcId":"` + vpcB + `"}`},
			[]string{`internal-alb:serviceVpc.vpcId: "vpc-0a1b2c3d4e5f60718" is refused: the stack creates the service VPC, with its ALB and web servers; remove vpcId and give cidr (an existing VPC can be one of internal-alb:consumerVpcs)`}},
		{"service vpc with only a vpc id", map[string]string{"serviceVpc": `{"name":"foo","vpcId":"` + vpcB + `"}`},
			[]string{
				`internal-alb:serviceVpc.vpcId: "vpc-0a1b2c3d4e5f60718" is refused: the stack creates the service VPC, with its ALB and web servers; remove vpcId and give cidr (an existing VPC can be one of internal-alb:consumerVpcs)`,
				`internal-alb:serviceVpc.cidr: "": not a CIDR block`,
			}},
		{"service vpc subnets, client and account", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","subnetIds":["` + subA + `"],"client":true,"account":{"roleArn":"` + roleB + `"}}`},
			[]string{
				`internal-alb:serviceVpc.subnetIds: ["subnet-0a1b2c3d4e5f60718"] is refused: the stack creates the service VPC and lays out its subnets (internal-alb:azCount, internal-alb:subnetPrefixLength); remove subnetIds`,
				`internal-alb:serviceVpc.client: true is refused: the stack creates the service VPC with web servers and no client instance; remove client`,
				`internal-alb:serviceVpc.account: {"roleArn":"arn:aws:iam::210987654321:role/internal-alb-deployer"} is refused: the stack creates the service VPC in the account it runs with (the aws provider's credentials); remove account, or run the stack with that account's credentials`,
			}},
		{"service vpc client false", map[string]string{"serviceVpc": `{"name":"foo","cidr":"10.2.0.0/16","client":false}`},
			[]string{`internal-alb:serviceVpc.client: false is refused: the stack creates the service VPC with web servers and no client instance; remove client`}},

		// A consumer is created or existing, not both, not neither.
		{"cidr and vpc id", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","vpcId":"` + vpcB + `"}]`},
			[]string{`internal-alb:consumerVpcs[0]: cidr "10.3.0.0/16" and vpcId "vpc-0a1b2c3d4e5f60718" are both set; set cidr for a VPC the stack creates, or vpcId for an existing one, not both`}},
		{"neither", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz"}]`},
			[]string{`internal-alb:consumerVpcs[1]: one of cidr and vpcId is required; set cidr for a VPC the stack creates, or vpcId for an existing one`}},

		// Ids as AWS writes them, each VPC once.
		{"vpc id upper case", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-0A1B2C3D4E5F60718"}]`},
			[]string{`internal-alb:consumerVpcs[0].vpcId: "vpc-0A1B2C3D4E5F60718" is not a VPC id; give it as aws ec2 describe-vpcs shows it: vpc- and 8 or 17 lowercase hex digits, like vpc-0a1b2c3d4e5f60718`}},
		{"vpc id of another length", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"vpc-0a1b2c3d4e"}]`},
			[]string{`internal-alb:consumerVpcs[0].vpcId: "vpc-0a1b2c3d4e" is not a VPC id; give it as aws ec2 describe-vpcs shows it: vpc- and 8 or 17 lowercase hex digits, like vpc-0a1b2c3d4e5f60718`}},
		{"a vpc name for an id", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"bar"}]`},
			[]string{`internal-alb:consumerVpcs[0].vpcId: "bar" is not a VPC id; give it as aws ec2 describe-vpcs shows it: vpc- and 8 or 17 lowercase hex digits, like vpc-0a1b2c3d4e5f60718`}},
		{"one vpc twice", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `"},{"name":"baz","vpcId":"` + vpcB + `","account":{"roleArn":"` + roleB + `"}}]`},
			[]string{`internal-alb:consumerVpcs[1].vpcId: "vpc-0a1b2c3d4e5f60718" is already the VPC of internal-alb:consumerVpcs[0]; list each existing VPC once`}},

		// Subnets only of an existing VPC.
		{"subnets of a created vpc", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","subnetIds":["` + subA + `"]}]`},
			[]string{`internal-alb:consumerVpcs[0].subnetIds: ["subnet-0a1b2c3d4e5f60718"] is set without vpcId; the stack lays out the subnets of a VPC it creates, and subnetIds chooses among an existing VPC's; remove subnetIds, or give vpcId`}},
		{"no subnets", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `","subnetIds":[]}]`},
			[]string{`internal-alb:consumerVpcs[0].subnetIds: [] lists no subnet; list the subnets whose route tables get the routes to the service VPC, or remove subnetIds for the VPC's private subnets`}},
		{"bad and repeated subnets", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `","subnetIds":["` + subA + `","sub-1234abcd","` + subA + `"]}]`},
			[]string{
				`internal-alb:consumerVpcs[0].subnetIds[1]: "sub-1234abcd" is not a subnet id; give it as aws ec2 describe-subnets shows it: subnet- and 8 or 17 lowercase hex digits, like subnet-0a1b2c3d4e5f60718`,
				`internal-alb:consumerVpcs[0].subnetIds[2]: "subnet-0a1b2c3d4e5f60718" is already internal-alb:consumerVpcs[0].subnetIds[0]; list each subnet once`,
			}},
		{"nat of an existing vpc", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `","nat":"single"}]`},
			[]string{`internal-alb:consumerVpcs[0].nat: "single" is set on an existing VPC, whose NAT is its own: the stack adds no NAT gateway there; remove nat`}},

		// Another account: a role to assume, in the stack's region.
		{"a user arn", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::210987654321:user/deployer"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "arn:aws:iam::210987654321:user/deployer" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"an account id alone", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"210987654321"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "210987654321" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"a short account", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws:iam::21098765432:role/deployer"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "arn:aws:iam::21098765432:role/deployer" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"another partition", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"arn:aws-iso:iam::210987654321:role/deployer"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "arn:aws-iso:iam::210987654321:role/deployer" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"no role", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.roleArn: "" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`}},
		{"a zone for a region", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + roleB + `","region":"ap-northeast-1a"}}]`},
			[]string{`internal-alb:consumerVpcs[0].account.region: "ap-northeast-1a" is not an AWS Region code like us-east-1; give the consumer's Region, which must be the stack's aws:region, or remove region`}},

		// Configured blocks overlap wherever the VPCs are.
		{"two consumers of one other account overlap", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + roleB + `"}},{"name":"baz","cidr":"10.3.128.0/17","account":{"roleArn":"` + roleB + `"}}]`},
			[]string{`internal-alb:consumerVpcs[1].cidr: "10.3.128.0/17" overlaps internal-alb:consumerVpcs[0].cidr "10.3.0.0/16"; routed VPCs need distinct blocks`}},

		// Field names exactly as documented, at every depth.
		{"a field in the wrong case", map[string]string{"consumerVpcs": `[{"name":"bar","vpcid":"` + vpcB + `"}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"vpcid\":\"vpc-0a1b2c3d4e5f60718\"}]" is not a list of objects ` + shape + `: unknown field "vpcid" in internal-alb:consumerVpcs[0] (did you mean "vpcId"?)`}},
		{"an account field in the wrong case", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"rolearn":"` + roleB + `"}}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\",\"account\":{\"rolearn\":\"arn:aws:iam::210987654321:role/internal-alb-deployer\"}}]" is not a list of objects ` + shape + `: unknown field "rolearn" in internal-alb:consumerVpcs[0].account (did you mean "roleArn"?)`}},
		{"an acronym in capitals", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","cidr":"10.4.0.0/16","account":{"roleARN":"` + roleB + `"}}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\"},{\"name\":\"baz\",\"cidr\":\"10.4.0.0/16\",\"account\":{\"roleARN\":\"arn:aws:iam::210987654321:role/internal-alb-deployer\"}}]" is not a list of objects ` + shape + `: unknown field "roleARN" in internal-alb:consumerVpcs[1].account (did you mean "roleArn"?)`}},
		{"an unknown account field", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":{"roleArn":"` + roleB + `","accountId":"210987654321"}}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\",\"account\":{\"roleArn\":\"arn:aws:iam::210987654321:role/internal-alb-deployer\",\"accountId\":\"210987654321\"}}]" is not a list of objects ` + shape + `: unknown field "accountId" in internal-alb:consumerVpcs[0].account`}},
		{"the service vpc's name in capitals", map[string]string{"serviceVpc": `{"Name":"foo","cidr":"10.2.0.0/16"}`},
			[]string{`internal-alb:serviceVpc: "{\"Name\":\"foo\",\"cidr\":\"10.2.0.0/16\"}" is not an object ` + shape + `: unknown field "Name" (did you mean "name"?)`}},
		{"a string where the account goes", map[string]string{"consumerVpcs": `[{"name":"bar","cidr":"10.3.0.0/16","account":"` + roleB + `"}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"cidr\":\"10.3.0.0/16\",\"account\":\"arn:aws:iam::210987654321:role/internal-alb-deployer\"}]" is not a list of objects ` + shape + `: account is a string, not an object {roleArn, region?}`}},
		{"a string where client goes", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `","client":"yes"}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"client\":\"yes\"}]" is not a list of objects ` + shape + `: client is a string, not true or false`}},
		{"a string where subnets go", map[string]string{"consumerVpcs": `[{"name":"bar","vpcId":"` + vpcB + `","subnetIds":"` + subA + `"}]`},
			[]string{`internal-alb:consumerVpcs: "[{\"name\":\"bar\",\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"subnetIds\":\"subnet-0a1b2c3d4e5f60718\"}]" is not a list of objects ` + shape + `: subnetIds is a string, not a list of strings`}},

		{"every problem of a consumer at once", map[string]string{"consumerVpcs": `[{"name":"Bar","subnetIds":["x"],"account":{"roleArn":"r","region":"tokyo"}}]`},
			[]string{
				`internal-alb:consumerVpcs[0].name: "Bar" must be 1-20 lowercase letters, digits or hyphens, starting with a letter`,
				`internal-alb:consumerVpcs[0]: one of cidr and vpcId is required; set cidr for a VPC the stack creates, or vpcId for an existing one`,
				`internal-alb:consumerVpcs[0].subnetIds: ["x"] is set without vpcId; the stack lays out the subnets of a VPC it creates, and subnetIds chooses among an existing VPC's; remove subnetIds, or give vpcId`,
				`internal-alb:consumerVpcs[0].subnetIds[0]: "x" is not a subnet id; give it as aws ec2 describe-subnets shows it: subnet- and 8 or 17 lowercase hex digits, like subnet-0a1b2c3d4e5f60718`,
				`internal-alb:consumerVpcs[0].account.roleArn: "r" is not an IAM role ARN; give the role the deployment assumes in that account, as arn:aws:iam::<12-digit account id>:role/<name> (or role/<path>/<name>; the partition is aws-cn or aws-us-gov in those partitions)`,
				`internal-alb:consumerVpcs[0].account.region: "tokyo" is not an AWS Region code like us-east-1; give the consumer's Region, which must be the stack's aws:region, or remove region`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(lookup(c.overrides))
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n"))
		})
	}
}

// consumers returns n created consumers c1…cn with distinct blocks that
// overlap neither each other nor the service VPC: /16s from 10.10.0.0 up
// to 200, /24s of 172.16.0.0/12 beyond (with /27 subnets, which fit).
func consumers(n int) string {
	var vs []string
	for i := range n {
		cidr := fmt.Sprintf("10.%d.0.0/16", 10+i)
		if n > 200 {
			cidr = fmt.Sprintf("172.%d.%d.0/24", 16+i/256, i%256)
		}
		vs = append(vs, fmt.Sprintf(`{"name":"c%d","cidr":%q}`, i+1, cidr))
	}
	return "[" + strings.Join(vs, ",") + "]"
}

// The consumer list is held to AWS's default quotas, before anything is
// created: peering connections per VPC in peering mode, routes per route
// table and VPCs per private hosted zone in both modes.
func TestQuotas(t *testing.T) {
	peering51 := `internal-alb:consumerVpcs: 51 consumers in peering mode need 51 peering connections on the service VPC, over AWS's default quota of 50 active VPC peering connections per VPC; set internal-alb:connectivity to transitGateway (one attachment per VPC), list fewer consumers, or raise the quota (up to 125) in Service Quotas and config.PeeringQuota with it`
	routes := func(n, r int) string {
		return fmt.Sprintf(`internal-alb:consumerVpcs: %d consumers need %d routes in each private route table of the service VPC (the local route, one per consumer in either internal-alb:connectivity, and one each for the S3 gateway endpoint and NAT when on), over AWS's default quota of 500 routes per route table; list fewer consumers, or raise the quota (up to 1,000) in Service Quotas and config.RouteQuota with it`, n, r)
	}
	zone := func(n int) string {
		return fmt.Sprintf(`internal-alb:consumerVpcs: %d consumers and the service VPC make %d VPC associations of the private hosted zone (internal-alb:zoneName), over Route 53's default quota of 300 VPCs per private hosted zone; list fewer consumers, or raise the quota in Service Quotas (Route 53, in us-east-1) and config.ZoneVpcQuota with it`, n, n+1)
	}
	small := map[string]string{"subnetPrefixLength": "27"} // /24 consumers hold 2 AZs of /27s
	with := func(o map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range o {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name      string
		overrides map[string]string
		want      []string // nil: loads
	}{
		{"50 peered", map[string]string{"consumerVpcs": consumers(50)}, nil},
		{"51 peered", map[string]string{"consumerVpcs": consumers(51)}, []string{peering51}},
		{"51 through a transit gateway", map[string]string{"consumerVpcs": consumers(51), "connectivity": "transitGateway"}, nil},
		{"299 through a transit gateway", with(small, "consumerVpcs", consumers(299), "connectivity", "transitGateway"), nil},
		{"300 through a transit gateway", with(small, "consumerVpcs", consumers(300), "connectivity", "transitGateway"), []string{zone(300)}},
		// 1 local + 498 + 1 S3 = 500 routes: at the quota.
		{"498 with S3", with(small, "consumerVpcs", consumers(498), "connectivity", "transitGateway"), []string{zone(498)}},
		{"498 with S3 and NAT", with(small, "consumerVpcs", consumers(498), "connectivity", "transitGateway", "natMode", "single"), []string{routes(498, 501), zone(498)}},
		{"499 without S3", with(small, "consumerVpcs", consumers(499), "connectivity", "transitGateway", "s3GatewayEndpoint", "false"), []string{zone(499)}},
		{"500 peered: every quota", with(small, "consumerVpcs", consumers(500)), []string{
			strings.ReplaceAll(peering51, "51", "500"), routes(500, 502), zone(500),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(lookup(c.overrides))
			if c.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n"))
		})
	}
	assert.Equal(t, []int{50, 500, 300}, []int{PeeringQuota, RouteQuota, ZoneVpcQuota})
}

// The service VPC's private route tables: the local route, one per
// consumer, and the S3 and NAT routes when the stack makes them.
func TestServiceRoutes(t *testing.T) {
	c := Default()
	assert.Equal(t, 3, c.ServiceRoutes(), "local, bar, S3")
	c.S3GatewayEndpoint = false
	assert.Equal(t, 2, c.ServiceRoutes())
	c.NatMode = network.NatSingle
	assert.Equal(t, 3, c.ServiceRoutes(), "NAT")
	c.ServiceVpc.Nat = network.NatNone
	assert.Equal(t, 2, c.ServiceRoutes(), "the service VPC's own nat wins")
	c.ConsumerVpcs = append(c.ConsumerVpcs, Vpc{Name: "baz", VpcID: vpcB})
	assert.Equal(t, 3, c.ServiceRoutes(), "an existing consumer is routed too")
}

func TestVpcHelpers(t *testing.T) {
	created := Vpc{Name: "bar", Cidr: "10.3.0.0/16"}
	existing := Vpc{Name: "baz", VpcID: vpcB}
	assert.False(t, created.Existing())
	assert.True(t, existing.Existing())
	assert.True(t, created.WantsClient(), "a created VPC has a client unless told")
	assert.False(t, existing.WantsClient(), "an existing VPC has none unless told")
	created.Client, existing.Client = no(), yes()
	assert.False(t, created.WantsClient())
	assert.True(t, existing.WantsClient())

	for arn, want := range map[string]string{
		roleB: "210987654321",
		"arn:aws-cn:iam::123456789012:role/a/b/deployer":  "123456789012",
		"arn:aws-us-gov:iam::000000000001:role/x+=,.@-_y": "000000000001",
		"arn:aws:iam::210987654321:user/deployer":         "",
		"arn:aws:iam::210987654321:role/":                 "",
		"arn:aws:sts::210987654321:assumed-role/r/s":      "",
		"": "",
	} {
		assert.Equal(t, want, (&Account{RoleArn: arn}).ID(), arn)
	}
	var none *Account
	assert.Equal(t, "", none.ID(), "the stack's own account")

	c := Default()
	assert.Equal(t, "internal-alb:consumerVpcs[0]", c.ConsumerKey(0))
	assert.Equal(t, "internal-alb:consumerVpcs[12]", c.ConsumerKey(12))
	assert.Equal(t, Key("serviceVpc"), c.vpcKey(0))
	assert.Equal(t, c.ConsumerKey(0), c.vpcKey(1))
}

// After the look-ups: every consumer in the stack's region, and no two
// blocks overlapping, looked-up ones included.
func TestCheckResolved(t *testing.T) {
	cfg := func(consumers string) Config {
		t.Helper()
		c, err := Load(lookup(map[string]string{"consumerVpcs": consumers}))
		require.NoError(t, err)
		return c
	}
	mixed := cfg(`[{"name":"bar","cidr":"10.3.0.0/16"},{"name":"baz","vpcId":"` + vpcB + `","account":{"roleArn":"` + roleB + `","region":"ap-northeast-1"}},{"name":"qux","vpcId":"vpc-1234abcd"}]`)
	cases := []struct {
		name   string
		c      Config
		region string
		cidrs  []string
		want   []string // nil: passes
	}{
		{"the dev stack", cfg(`[{"name":"bar","cidr":"10.3.0.0/16"}]`), "ap-northeast-1", []string{"10.3.0.0/16"}, nil},
		{"existing vpcs apart", mixed, "ap-northeast-1", []string{"10.3.0.0/16", "172.31.0.0/16", "192.168.0.0/20"}, nil},
		{"an existing vpc over the service vpc", mixed, "ap-northeast-1", []string{"10.3.0.0/16", "10.2.0.0/16", "192.168.0.0/20"},
			[]string{`internal-alb:consumerVpcs[1].vpcId "vpc-0a1b2c3d4e5f60718" (block 10.2.0.0/16, looked up from the VPC id) overlaps internal-alb:serviceVpc.cidr "10.2.0.0/16"; routed VPCs need distinct blocks: give internal-alb:serviceVpc.cidr a block that overlaps no other`}},
		{"an existing vpc over a created one", mixed, "ap-northeast-1", []string{"10.3.0.0/16", "10.3.4.0/22", "192.168.0.0/20"},
			[]string{`internal-alb:consumerVpcs[1].vpcId "vpc-0a1b2c3d4e5f60718" (block 10.3.4.0/22, looked up from the VPC id) overlaps internal-alb:consumerVpcs[0].cidr "10.3.0.0/16"; routed VPCs need distinct blocks: give internal-alb:consumerVpcs[0].cidr a block that overlaps no other`}},
		{"two existing vpcs, in two accounts, over each other", mixed, "ap-northeast-1", []string{"10.3.0.0/16", "172.31.0.0/16", "172.31.0.0/16"},
			[]string{`internal-alb:consumerVpcs[2].vpcId "vpc-1234abcd" (block 172.31.0.0/16, looked up from the VPC id) overlaps internal-alb:consumerVpcs[1].vpcId "vpc-0a1b2c3d4e5f60718" (block 172.31.0.0/16, looked up from the VPC id); routed VPCs need distinct blocks: an existing VPC's block is its own: connect only one of the two`}},
		{"a created vpc after an existing one", cfg(`[{"name":"baz","vpcId":"` + vpcB + `"},{"name":"bar","cidr":"10.3.0.0/16"}]`), "ap-northeast-1", []string{"10.3.0.0/20", "10.3.0.0/16"},
			[]string{`internal-alb:consumerVpcs[1].cidr "10.3.0.0/16" overlaps internal-alb:consumerVpcs[0].vpcId "vpc-0a1b2c3d4e5f60718" (block 10.3.0.0/20, looked up from the VPC id); routed VPCs need distinct blocks: give internal-alb:consumerVpcs[1].cidr a block that overlaps no other`}},
		{"another region", mixed, "us-east-1", []string{"10.3.0.0/16", "172.31.0.0/16", "192.168.0.0/20"},
			[]string{`internal-alb:consumerVpcs[1].account.region: "ap-northeast-1" is not the stack's region us-east-1 (aws:region); consumers in another region are not supported: the stack builds no inter-Region peering or Transit Gateway peering; deploy the consumer in us-east-1, or run a stack in ap-northeast-1 for it`}},
		{"another region and an overlap at once", mixed, "us-east-1", []string{"10.3.0.0/16", "10.2.0.0/24", "192.168.0.0/20"},
			[]string{
				`internal-alb:consumerVpcs[1].account.region: "ap-northeast-1" is not the stack's region us-east-1 (aws:region); consumers in another region are not supported: the stack builds no inter-Region peering or Transit Gateway peering; deploy the consumer in us-east-1, or run a stack in ap-northeast-1 for it`,
				`internal-alb:consumerVpcs[1].vpcId "vpc-0a1b2c3d4e5f60718" (block 10.2.0.0/24, looked up from the VPC id) overlaps internal-alb:serviceVpc.cidr "10.2.0.0/16"; routed VPCs need distinct blocks: give internal-alb:serviceVpc.cidr a block that overlaps no other`,
			}},
		{"a block the look-up got wrong", mixed, "ap-northeast-1", []string{"10.3.0.0/16", "", "192.168.0.0/20"},
			[]string{`internal-alb:consumerVpcs[1].vpcId "vpc-0a1b2c3d4e5f60718": the block looked up from the VPC id, "": not a CIDR block`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.c.CheckResolved(c.region, c.cidrs)
			if c.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, c.want, strings.Split(err.Error(), "\n"))
		})
	}
	assert.EqualError(t, mixed.CheckResolved("ap-northeast-1", []string{"10.3.0.0/16"}), "config: CheckResolved: 1 blocks for 3 consumers")
}
