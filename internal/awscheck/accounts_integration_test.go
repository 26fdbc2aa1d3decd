//go:build integration

package awscheck

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/ram"
	ramtypes "github.com/aws/aws-sdk-go-v2/service/ram/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/internal-alb/internal-alb/internal/localrun"
)

const (
	region       = "us-east-1"
	consumerRole = "arn:aws:iam::" + otherAccount + ":role/internal-alb-consumer"
	serviceCidr  = "10.0.0.0/16"
	consumerCidr = "10.9.0.0/16"
)

// emulator starts a moto server for one test and returns the service
// account's clients (moto's default account) and the consumer account's,
// through AssumeRole.
func emulator(t *testing.T) (context.Context, *Clients, *Clients) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, "emulator", "moto", "launch.py")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	m, err := localrun.StartMoto(ctx, repo, filepath.Join(t.TempDir(), "moto.log"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	service := New(m.URL, region)
	consumer, err := service.AssumeRole(ctx, consumerRole)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, service, consumer
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssumeRoleActsInTheRolesAccount(t *testing.T) {
	ctx, service, consumer := emulator(t)
	for _, c := range []struct {
		clients *Clients
		want    string
	}{{service, serviceAccount}, {consumer, otherAccount}} {
		got, err := c.clients.AccountID(ctx)
		must(t, err)
		if got != c.want {
			t.Errorf("account %s, want %s", got, c.want)
		}
	}
	if consumer.Region != region {
		t.Errorf("assumed clients in %s, want %s", consumer.Region, region)
	}
	vpc, err := consumer.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(consumerCidr)})
	must(t, err)
	if o := aws.ToString(vpc.Vpc.OwnerId); o != otherAccount {
		t.Errorf("the consumer's VPC is owned by %s", o)
	}
	if _, err := service.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{aws.ToString(vpc.Vpc.VpcId)}}); err == nil {
		t.Errorf("the service account sees the consumer's VPC")
	}
	// S3 keeps to path-style addressing on the emulator.
	_, err = consumer.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("consumer-bucket")})
	must(t, err)
	left, err := consumer.Leftovers(ctx)
	must(t, err)
	if !slices.Contains(left, "s3-bucket consumer-bucket") || !slices.Contains(left, "vpc "+aws.ToString(vpc.Vpc.VpcId)) {
		t.Errorf("the consumer's leftovers %v lack its bucket and VPC", left)
	}
	left, err = service.Leftovers(ctx)
	must(t, err)
	if len(left) != 0 {
		t.Errorf("the service account holds %v", left)
	}
}

// existing is a VPC of the consumer's account as it is before any stack:
// a private subnet on the main table, a public one with its own table to an
// internet gateway, DNS on, a Name tag.
type existing struct {
	vpc, private, public, mainTable, publicTable string
}

func makeExisting(t *testing.T, ctx context.Context, c *Clients, cidr string) existing {
	t.Helper()
	var e existing
	v, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr), TagSpecifications: []ec2types.TagSpecification{{
		ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("work")}},
	}}})
	must(t, err)
	e.vpc = aws.ToString(v.Vpc.VpcId)
	_, err = c.EC2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &e.vpc, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	must(t, err)
	prefix := strings.TrimSuffix(cidr, ".0.0/16")
	for i, dst := range []*string{&e.private, &e.public} {
		s, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.vpc,
			CidrBlock: aws.String(fmt.Sprintf("%s.%d.0/24", prefix, i+1)), AvailabilityZone: aws.String(region + "a")})
		must(t, err)
		*dst = aws.ToString(s.Subnet.SubnetId)
	}
	rts, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{e.vpc}}}})
	must(t, err)
	e.mainTable = aws.ToString(rts.RouteTables[0].RouteTableId)
	igw, err := c.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(t, err)
	_, err = c.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: &e.vpc})
	must(t, err)
	pub, err := c.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &e.vpc})
	must(t, err)
	e.publicTable = aws.ToString(pub.RouteTable.RouteTableId)
	_, err = c.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.publicTable, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
	must(t, err)
	_, err = c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.publicTable, SubnetId: &e.public})
	must(t, err)
	return e
}

// peer requests a connection from the service VPC to the consumer's and
// accepts it in the consumer's account.
func peer(t *testing.T, ctx context.Context, service, consumer *Clients, serviceVpc, consumerVpc string) string {
	t.Helper()
	p, err := service.EC2.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{
		VpcId: &serviceVpc, PeerVpcId: &consumerVpc, PeerOwnerId: aws.String(otherAccount),
	})
	must(t, err)
	_, err = consumer.EC2.AcceptVpcPeeringConnection(ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: p.VpcPeeringConnection.VpcPeeringConnectionId})
	must(t, err)
	return aws.ToString(p.VpcPeeringConnection.VpcPeeringConnectionId)
}

func newVpc(t *testing.T, ctx context.Context, c *Clients, cidr string) string {
	t.Helper()
	v, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	must(t, err)
	return aws.ToString(v.Vpc.VpcId)
}

// A snapshot taken before a stack connects an existing VPC shows what the
// stack adds while up and, once it has removed it all, equals the one
// taken after; LeftoversIn, told to keep what the snapshot saw, then finds
// nothing.
func TestSnapshotOfAnExistingVpc(t *testing.T) {
	ctx, service, consumer := emulator(t)
	e := makeExisting(t, ctx, consumer, consumerCidr)
	before, err := consumer.SnapshotVpc(ctx, e.vpc)
	must(t, err)
	if !before.Vpc.DNSHostnames || !before.Vpc.DNSSupport || before.Vpc.Tags["Name"] != "work" || before.Vpc.Owner != otherAccount {
		t.Errorf("VPC facts %+v", before.Vpc)
	}
	if len(before.Subnets) != 2 || len(before.RouteTables) != 2 || len(before.InternetGateways) != 1 ||
		len(before.SecurityGroups) != 1 || len(before.NetworkAcls) != 1 {
		t.Fatalf("snapshot:\n%s", before)
	}
	if r := before.RoutesTo("0.0.0.0/0"); len(r) != 1 || !strings.HasPrefix(r[e.publicTable].Target, "igw-") {
		t.Errorf("default routes %v, want the public table's to the internet gateway", r)
	}
	if left, err := consumer.LeftoversIn(ctx, before.IDs()); err != nil || len(left) != 0 {
		t.Fatalf("before the stack, leftovers %v (%v)", left, err)
	}

	// What a stack adds: a route through a peering connection in the
	// private subnet's (main) table, a group of its own, a tag.
	pcx := peer(t, ctx, service, consumer, newVpc(t, ctx, service, serviceCidr), e.vpc)
	_, err = consumer.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.mainTable, DestinationCidrBlock: aws.String(serviceCidr), VpcPeeringConnectionId: &pcx})
	must(t, err)
	sg, err := consumer.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &e.vpc, GroupName: aws.String("endpoint"), Description: aws.String("endpoint")})
	must(t, err)
	_, err = consumer.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.private}, Tags: []ec2types.Tag{{Key: aws.String("Tier"), Value: aws.String("private")}}})
	must(t, err)
	during, err := consumer.SnapshotVpc(ctx, e.vpc)
	must(t, err)
	if r := during.RoutesTo(serviceCidr); len(r) != 1 || r[e.mainTable] != (Route{serviceCidr, pcx, "active"}) {
		t.Errorf("routes to the service %v, want the main table's through %s", r, pcx)
	}
	diff := Diff(before, during)
	for _, want := range []string{
		fmt.Sprintf("+ route-table %s: route %s → %s (active)", e.mainTable, serviceCidr, pcx),
		fmt.Sprintf("+ subnet %s: tag Tier=private", e.private),
		fmt.Sprintf(`+ security-group %s: name "endpoint", description "endpoint"`, aws.ToString(sg.GroupId)),
	} {
		if !slices.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, strings.Join(diff, "\n"))
		}
	}
	left, err := consumer.LeftoversIn(ctx, before.IDs())
	must(t, err)
	if !slices.Contains(left, "security-group "+aws.ToString(sg.GroupId)) || !slices.Contains(left, "peering-connection "+pcx) {
		t.Errorf("leftovers while up %v, want the group and the connection", left)
	}

	// What its destroy removes.
	_, err = consumer.EC2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &e.mainTable, DestinationCidrBlock: aws.String(serviceCidr)})
	must(t, err)
	_, err = consumer.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	must(t, err)
	_, err = consumer.EC2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{e.private}, Tags: []ec2types.Tag{{Key: aws.String("Tier")}}})
	must(t, err)
	_, err = service.EC2.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: &pcx})
	must(t, err)
	after, err := consumer.SnapshotVpc(ctx, e.vpc)
	must(t, err)
	if d := Diff(before, after); len(d) != 0 {
		t.Errorf("after the stack, the VPC differs:\n%s", strings.Join(d, "\n"))
	}
	if left, err := consumer.LeftoversIn(ctx, before.IDs()); err != nil || len(left) != 0 {
		t.Errorf("after the stack, leftovers %v (%v)", left, err)
	}
}

// connected is a consumer in the other account connected the way the
// program connects one, built call by call in both accounts.
type connected struct {
	exp            ConsumerExpect
	serviceVpc     string
	zoneID         string
	endpointID     string
	consumerTables []string
}

// connect builds the service side (VPC, private zone, function) and the
// consumer side (VPC e, its routes, the invoker, the Lambda endpoint, the
// zone association); link joins the two VPCs and returns the target of the
// consumer's routes to the service.
func connect(t *testing.T, ctx context.Context, service, consumer *Clients, e existing, connectivity string,
	link func(serviceVpc string) string) connected {
	t.Helper()
	c := connected{serviceVpc: newVpc(t, ctx, service, serviceCidr), consumerTables: []string{e.mainTable}}

	// The function, and its permission for the consumer's invoker role.
	exec, err := service.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-exec"),
		AssumeRolePolicyDocument: aws.String(trustDoc("lambda.amazonaws.com"))})
	must(t, err)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, err := zw.Create("index.py")
	must(t, err)
	_, _ = f.Write([]byte("def handler(event, context):\n    return 1\n"))
	must(t, zw.Close())
	fn, err := service.Lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("hello"),
		Runtime: lambdatypes.RuntimePython312, Role: exec.Role.Arn, Handler: aws.String("index.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}})
	must(t, err)
	fnArn := aws.ToString(fn.FunctionArn)

	role, err := consumer.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-invoker-" + otherAccount),
		Path: aws.String("/internal-alb/"), AssumeRolePolicyDocument: aws.String(trustDoc("ec2.amazonaws.com"))})
	must(t, err)
	roleName, roleArn := aws.ToString(role.Role.RoleName), aws.ToString(role.Role.Arn)
	_, err = consumer.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &roleName, PolicyName: aws.String("invoke"),
		PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":%q}]}`, fnArn))})
	must(t, err)
	_, err = consumer.IAM.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: &roleName, Path: aws.String("/internal-alb/")})
	must(t, err)
	_, err = consumer.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: &roleName, RoleName: &roleName})
	must(t, err)
	_, err = service.Lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("hello"),
		StatementId: aws.String("InvokeFrom" + otherAccount), Action: aws.String("lambda:InvokeFunction"), Principal: &roleArn})
	must(t, err)

	// The consumer's routes to the service, and its endpoint.
	target := link(c.serviceVpc)
	route := &ec2.CreateRouteInput{RouteTableId: &e.mainTable, DestinationCidrBlock: aws.String(serviceCidr)}
	if strings.HasPrefix(target, "tgw-") {
		route.TransitGatewayId = &target
	} else {
		route.VpcPeeringConnectionId = &target
	}
	_, err = consumer.EC2.CreateRoute(ctx, route)
	must(t, err)
	ep, err := consumer.EC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &e.vpc,
		ServiceName: aws.String("com.amazonaws." + region + ".lambda"), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		PrivateDnsEnabled: aws.Bool(true), SubnetIds: []string{e.private}, PolicyDocument: aws.String(endpointDoc(`{"AWS":"`+roleArn+`"}`, fnArn))})
	must(t, err)
	c.endpointID = aws.ToString(ep.VpcEndpoint.VpcEndpointId)

	// The zone, authorized for the consumer's VPC, associated from there.
	zone, err := service.R53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("home"),
		CallerReference: aws.String("home"), VPC: &r53types.VPC{VPCId: &c.serviceVpc, VPCRegion: region}})
	must(t, err)
	c.zoneID = strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	vpc := &r53types.VPC{VPCId: &e.vpc, VPCRegion: region}
	_, err = service.R53.CreateVPCAssociationAuthorization(ctx, &route53.CreateVPCAssociationAuthorizationInput{HostedZoneId: &c.zoneID, VPC: vpc})
	must(t, err)
	_, err = consumer.R53.AssociateVPCWithHostedZone(ctx, &route53.AssociateVPCWithHostedZoneInput{HostedZoneId: &c.zoneID, VPC: vpc})
	must(t, err)

	c.exp = ConsumerExpect{
		Name: "bar", VpcID: e.vpc, Cidr: consumerCidr, ServiceCidr: serviceCidr,
		ServiceAccount: serviceAccount, Account: otherAccount, Connectivity: connectivity,
		FunctionArn: fnArn, ZoneName: "home", InvokerRoleArn: roleArn,
	}
	return c
}

func trustDoc(service string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":%q},"Action":"sts:AssumeRole"}]}`, service)
}

func endpointDoc(principal, fnArn string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"InvokeThisFunctionOnly","Effect":"Allow","Principal":%s,"Action":"lambda:InvokeFunction","Resource":%q}]}`, principal, fnArn)
}

// wantOnly fails unless errs are exactly one error per substring, in order.
func wantOnly(t *testing.T, what string, errs []error, want ...string) {
	t.Helper()
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.Contains(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s: errors\n  %s\nwant one each with\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestCrossAccountPeeringChecks(t *testing.T) {
	ctx, service, consumer := emulator(t)
	e := makeExisting(t, ctx, consumer, consumerCidr)
	var pcx string
	c := connect(t, ctx, service, consumer, e, "peering", func(serviceVpc string) string {
		pcx = peer(t, ctx, service, consumer, serviceVpc, e.vpc)
		return pcx
	})
	exp := c.exp
	wantOnly(t, "connected, consumer side", consumer.ConsumerAccountChecks(ctx, exp))
	wantOnly(t, "connected, service side", service.ServiceAccountChecks(ctx, exp))

	t.Run("the clients of the wrong account", func(t *testing.T) {
		errs := service.ConsumerAccountChecks(ctx, exp)
		wantOnly(t, "consumer checks from the service account", errs, "consumer bar: describe VPC "+e.vpc)
	})
	t.Run("configured subnets", func(t *testing.T) {
		with := exp
		with.SubnetIDs = []string{e.public}
		wantOnly(t, "the public subnet configured", consumer.ConsumerAccountChecks(ctx, with),
			fmt.Sprintf("routes to the service: route table %s has no route to %s", e.publicTable, serviceCidr))
	})
	t.Run("a VPC found by its block", func(t *testing.T) {
		by := exp
		by.VpcID = ""
		id, err := consumer.ConsumerVpcID(ctx, by)
		must(t, err)
		if id != e.vpc {
			t.Errorf("found %s, want %s", id, e.vpc)
		}
		// A VPC the stack created routes from its tables tagged private.
		wantOnly(t, "untagged tables", consumer.ConsumerAccountChecks(ctx, by),
			"routes to the service: VPC "+e.vpc+" has no connected route table")
		_, err = consumer.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.mainTable}, Tags: []ec2types.Tag{{Key: aws.String("Tier"), Value: aws.String("private")}}})
		must(t, err)
		wantOnly(t, "tagged tables", consumer.ConsumerAccountChecks(ctx, by))
	})
	t.Run("a route removed", func(t *testing.T) {
		_, err := consumer.EC2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &e.mainTable, DestinationCidrBlock: aws.String(serviceCidr)})
		must(t, err)
		wantOnly(t, "consumer", consumer.ConsumerAccountChecks(ctx, exp),
			fmt.Sprintf("consumer bar, consumer account: routes to the service: route table %s has no route to %s", e.mainTable, serviceCidr))
		_, err = consumer.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.mainTable, DestinationCidrBlock: aws.String(serviceCidr), VpcPeeringConnectionId: &pcx})
		must(t, err)
	})
	t.Run("an endpoint open to everyone", func(t *testing.T) {
		_, err := consumer.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &c.endpointID, PolicyDocument: aws.String(endpointDoc(`"*"`, exp.FunctionArn))})
		must(t, err)
		wantOnly(t, "consumer", consumer.ConsumerAccountChecks(ctx, exp), "Lambda endpoint: "+c.endpointID+"'s policy allows *, not a role")
		_, err = consumer.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: &c.endpointID, PolicyDocument: aws.String(endpointDoc(`{"AWS":"`+exp.InvokerRoleArn+`"}`, exp.FunctionArn))})
		must(t, err)
	})
	t.Run("an invoker with a second right", func(t *testing.T) {
		name := exp.InvokerRoleArn[strings.LastIndex(exp.InvokerRoleArn, "/")+1:]
		_, err := consumer.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("more"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
		must(t, err)
		wantOnly(t, "consumer", consumer.ConsumerAccountChecks(ctx, exp), "invoker role: role "+name+" has 2 inline and 0 managed policies")
		_, err = consumer.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &name, PolicyName: aws.String("more")})
		must(t, err)
	})
	t.Run("the whole account allowed to invoke", func(t *testing.T) {
		_, err := service.Lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("hello"),
			StatementId: aws.String("everyone-there"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(otherAccount)})
		must(t, err)
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp),
			`function policy: statement "everyone-there" allows the whole account `+otherAccount,
			`function policy: statement "everyone-there" allows arn:aws:iam::`+otherAccount+":root, want the invoker role",
			"function policy: 2 statements name account "+otherAccount)
		_, err = service.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("everyone-there")})
		must(t, err)
	})
	t.Run("the authorization removed", func(t *testing.T) {
		vpc := &r53types.VPC{VPCId: &e.vpc, VPCRegion: region}
		_, err := service.R53.DeleteVPCAssociationAuthorization(ctx, &route53.DeleteVPCAssociationAuthorizationInput{HostedZoneId: &c.zoneID, VPC: vpc})
		must(t, err)
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp), "zone authorization: zone home ("+c.zoneID+") does not authorize "+e.vpc)
		_, err = service.R53.CreateVPCAssociationAuthorization(ctx, &route53.CreateVPCAssociationAuthorizationInput{HostedZoneId: &c.zoneID, VPC: vpc})
		must(t, err)
	})
	t.Run("the zone disassociated", func(t *testing.T) {
		vpc := &r53types.VPC{VPCId: &e.vpc, VPCRegion: region}
		_, err := consumer.R53.DisassociateVPCFromHostedZone(ctx, &route53.DisassociateVPCFromHostedZoneInput{HostedZoneId: &c.zoneID, VPC: vpc})
		must(t, err)
		wantOnly(t, "consumer", consumer.ConsumerAccountChecks(ctx, exp), "zone association: VPC "+e.vpc+" is not associated with zone home of account "+serviceAccount)
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp), "zone: zone home ("+c.zoneID+") is not associated with "+e.vpc)
		_, err = consumer.R53.AssociateVPCWithHostedZone(ctx, &route53.AssociateVPCWithHostedZoneInput{HostedZoneId: &c.zoneID, VPC: vpc})
		must(t, err)
	})
	t.Run("expected through a transit gateway", func(t *testing.T) {
		tgw := exp
		tgw.Connectivity = "transitGateway"
		wantOnly(t, "consumer", consumer.ConsumerAccountChecks(ctx, tgw),
			fmt.Sprintf("routes to the service: route table %s sends %s to %s, want a tgw-… target", e.mainTable, serviceCidr, pcx))
	})
	t.Run("the connection deleted", func(t *testing.T) {
		_, err := service.EC2.DeleteVpcPeeringConnection(ctx, &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: &pcx})
		must(t, err)
		errs := consumer.ConsumerAccountChecks(ctx, exp)
		if len(errs) == 0 || !strings.Contains(joined(errs), "peering connection: "+pcx+" is deleted, want active") {
			t.Errorf("consumer: %s", joined(errs))
		}
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp), "peering connection: no active connection from the service VPC")
	})
}

func joined(errs []error) string {
	var s []string
	for _, err := range errs {
		s = append(s, err.Error())
	}
	return strings.Join(s, "\n")
}

func TestCrossAccountTransitGatewayChecks(t *testing.T) {
	ctx, service, consumer := emulator(t)
	e := makeExisting(t, ctx, consumer, consumerCidr)
	var shareArn, attID string
	c := connect(t, ctx, service, consumer, e, "transitGateway", func(serviceVpc string) string {
		gw, err := service.EC2.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{Options: &ec2types.TransitGatewayRequestOptions{
			AutoAcceptSharedAttachments:  ec2types.AutoAcceptSharedAttachmentsValueDisable,
			DefaultRouteTableAssociation: ec2types.DefaultRouteTableAssociationValueDisable,
			DefaultRouteTablePropagation: ec2types.DefaultRouteTablePropagationValueDisable}})
		must(t, err)
		gwID := aws.ToString(gw.TransitGateway.TransitGatewayId)
		share, err := service.RAM.CreateResourceShare(ctx, &ram.CreateResourceShareInput{Name: aws.String("tgw"), AllowExternalPrincipals: aws.Bool(true)})
		must(t, err)
		shareArn = aws.ToString(share.ResourceShare.ResourceShareArn)
		_, err = service.RAM.AssociateResourceShare(ctx, &ram.AssociateResourceShareInput{ResourceShareArn: &shareArn,
			ResourceArns: []string{aws.ToString(gw.TransitGateway.TransitGatewayArn)}, Principals: []string{otherAccount}})
		must(t, err)
		inv, err := consumer.RAM.GetResourceShareInvitations(ctx, &ram.GetResourceShareInvitationsInput{ResourceShareArns: []string{shareArn}})
		must(t, err)
		for _, i := range inv.ResourceShareInvitations {
			if i.Status == ramtypes.ResourceShareInvitationStatusPending {
				_, err := consumer.RAM.AcceptResourceShareInvitation(ctx, &ram.AcceptResourceShareInvitationInput{ResourceShareInvitationArn: i.ResourceShareInvitationArn})
				must(t, err)
			}
		}
		att, err := consumer.EC2.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{
			TransitGatewayId: &gwID, VpcId: &e.vpc, SubnetIds: []string{e.private}})
		must(t, err)
		attID = aws.ToString(att.TransitGatewayVpcAttachment.TransitGatewayAttachmentId)
		_, err = service.EC2.AcceptTransitGatewayVpcAttachment(ctx, &ec2.AcceptTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: &attID})
		must(t, err)
		return gwID
	})
	exp := c.exp
	wantOnly(t, "connected, consumer side", consumer.ConsumerAccountChecks(ctx, exp))
	wantOnly(t, "connected, service side", service.ServiceAccountChecks(ctx, exp))

	left, err := service.LeftoversIn(ctx, nil)
	must(t, err)
	if !slices.Contains(left, "resource-share "+shareArn) {
		t.Errorf("the service account's leftovers %v lack the share", left)
	}
	t.Run("the consumer's account left out of the share", func(t *testing.T) {
		_, err := service.RAM.DisassociateResourceShare(ctx, &ram.DisassociateResourceShareInput{ResourceShareArn: &shareArn, Principals: []string{otherAccount}})
		must(t, err)
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp), "resource share: the shares ["+shareArn+"]")
	})
	t.Run("the attachment deleted", func(t *testing.T) {
		_, err := consumer.EC2.DeleteTransitGatewayVpcAttachment(ctx, &ec2.DeleteTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: &attID})
		must(t, err)
		wantOnly(t, "service", service.ServiceAccountChecks(ctx, exp), "transit gateway: no available attachment of "+e.vpc)
	})
}
