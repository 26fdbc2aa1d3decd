package devtools

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/awstype"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// Recovery is what Recover works on: the stack (its state in a file
// backend at StateDir), the AWS clients of the account it deploys to, and
// where the engine's output and Recover's decisions go.
type Recovery struct {
	Stack    auto.Stack
	StateDir string
	Clients  *awscheck.Clients
	// TagValue is the stack's stacktag.Stack value.
	TagValue string
	// Destroy finishes an interrupted destroy; else an interrupted up.
	Destroy bool
	// Engine receives the engine's output; Decide each decision, one line.
	Engine io.Writer
	Decide func(string)
}

// RecoverReport is what Recover did.
type RecoverReport struct {
	Decisions []string
	Imported  []optrefresh.PendingCreate
	Cleared   []string // URNs of pending creates AWS has nothing of
	Orphans   []awscheck.Tagged
	Took      time.Duration
}

// Recover brings a stack whose last up or destroy was interrupted back to
// agreeing with AWS: it removes the backend's lock when no live pulumi
// process holds it, resolves each pending create (imported when AWS has
// the resource, by the stack's tags or by its natural key; cleared when it
// has none), refreshes, runs up (or destroy), and lists the orphans that
// remain. Every decision goes to r.Decide and into the report.
func Recover(ctx context.Context, r Recovery) (*RecoverReport, error) {
	start := time.Now()
	rep := &RecoverReport{}
	decide := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		rep.Decisions = append(rep.Decisions, s)
		if r.Decide != nil {
			r.Decide(s)
		}
	}
	if err := repairSidecars(r.StateDir, decide); err != nil {
		return rep, err
	}
	if err := r.unlock(ctx, decide); err != nil {
		return rep, err
	}

	dep, err := r.Stack.Export(ctx)
	if err != nil {
		return rep, fmt.Errorf("recover: export the state: %w", err)
	}
	pending, ids, err := pendingOps(dep.Deployment)
	if err != nil {
		return rep, err
	}
	tagged, err := r.Clients.Tagged(ctx, r.TagValue)
	if err != nil {
		return rep, fmt.Errorf("recover: list what carries the stack's tags: %w", err)
	}
	if len(pending) == 0 {
		decide("no pending operations in the state")
	}
	for _, op := range pending {
		if op.Type != "creating" {
			decide("pending %s of %s: refresh settles it", op.Type, op.Resource.URN)
			continue
		}
		id, how, err := r.find(ctx, op.Resource, tagged, ids)
		if err != nil {
			return rep, fmt.Errorf("recover: look up the pending create of %s: %w", op.Resource.URN, err)
		}
		if id == "" {
			rep.Cleared = append(rep.Cleared, op.Resource.URN)
			decide("pending create of %s: %s; cleared", op.Resource.URN, how)
			continue
		}
		ids[id] = true // a second pending create must not take it too
		rep.Imported = append(rep.Imported, optrefresh.PendingCreate{URN: op.Resource.URN, ID: id})
		decide("pending create of %s: %s %s; imported", op.Resource.URN, how, id)
	}

	// optrefresh.ImportPendingCreates turns each into an "importing"
	// pending operation that the 3.274.1 engine drops without reading it
	// (the state keeps only pending creates): up then creates the resource
	// again. So the found ones are moved into the state's resources here,
	// with their recorded inputs, for the refresh to read.
	if len(rep.Imported) > 0 {
		if err := importPending(ctx, r.Stack, rep.Imported); err != nil {
			return rep, err
		}
		decide("moved %d found resources from the pending creates into the state (pulumi stack import), for the refresh to read", len(rep.Imported))
	}
	refresh := []optrefresh.Option{optrefresh.ProgressStreams(r.Engine), optrefresh.ErrorProgressStreams(r.Engine)}
	if len(rep.Cleared) > 0 {
		refresh = append(refresh, optrefresh.ClearPendingCreates())
	}
	if _, err := r.Stack.Refresh(ctx, refresh...); err != nil {
		return rep, fmt.Errorf("recover: refresh: %w", err)
	}
	decide("refreshed")
	if r.Destroy {
		if _, err := r.Stack.Destroy(ctx, optdestroy.ProgressStreams(r.Engine), optdestroy.ErrorProgressStreams(r.Engine)); err != nil {
			return rep, fmt.Errorf("recover: destroy: %w", err)
		}
		decide("destroyed")
	} else {
		if _, err := r.Stack.Up(ctx, optup.ProgressStreams(r.Engine), optup.ErrorProgressStreams(r.Engine)); err != nil {
			return rep, fmt.Errorf("recover: up: %w", err)
		}
		decide("up done")
	}

	dep, err = r.Stack.Export(ctx)
	if err != nil {
		return rep, fmt.Errorf("recover: export the state: %w", err)
	}
	if _, ids, err = pendingOps(dep.Deployment); err != nil {
		return rep, err
	}
	rep.Orphans, err = FindOrphans(ctx, r.Clients, r.TagValue, ids)
	if err != nil {
		return rep, fmt.Errorf("recover: list the orphans: %w", err)
	}
	decide("%d orphans left", len(rep.Orphans))
	rep.Took = time.Since(start)
	return rep, nil
}

// unlock removes the stack's lock in the file backend when the process
// that took it is gone, and refuses when it is alive.
func (r Recovery) unlock(ctx context.Context, decide func(string, ...any)) error {
	locks, err := stackLocks(r.StateDir, r.Stack.Name())
	if err != nil {
		return err
	}
	if len(locks) == 0 {
		decide("no lock on the stack")
		return nil
	}
	host, _ := os.Hostname()
	for _, l := range locks {
		if l.Hostname == host && pulumiAlive(l.Pid) {
			return fmt.Errorf("recover: the stack is locked by a running pulumi (pid %d, %s): wait for it to end, or stop it (kill -INT %d) and run this again", l.Pid, l.file, l.Pid)
		}
	}
	if err := r.Stack.Cancel(ctx); err != nil {
		return fmt.Errorf("recover: pulumi cancel: %w", err)
	}
	for _, l := range locks {
		decide("stale lock %s (pid %d on %s, %s, is gone): removed with pulumi cancel", filepath.Base(l.file), l.Pid, l.Hostname, l.Timestamp.Format(time.RFC3339))
	}
	return nil
}

type lockFile struct {
	file      string
	Pid       int       `json:"pid"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
}

// stackLocks are the file backend's lock files of stack
// (.pulumi/locks/<org>/<project>/<stack>/*.json).
func stackLocks(stateDir, stack string) ([]lockFile, error) {
	root := filepath.Join(stateDir, ".pulumi", "locks")
	var out []lockFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.SkipDir
		} else if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".json" || filepath.Base(filepath.Dir(p)) != stack {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		l := lockFile{file: p}
		// A lock cut short by a kill holds no pid: stale.
		_ = json.Unmarshal(b, &l)
		out = append(out, l)
		return nil
	})
	return out, err
}

// pulumiAlive reports whether pid is a running pulumi CLI on this machine.
func pulumiAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && strings.HasPrefix(filepath.Base(exe), "pulumi")
}

// pendingOp is one of a checkpoint's pending_operations.
type pendingOp struct {
	Type     string `json:"type"`
	Resource struct {
		URN    string         `json:"urn"`
		Type   string         `json:"type"`
		Inputs map[string]any `json:"inputs"`
	} `json:"resource"`
}

// pendingOps reads a deployment's pending operations and the ids it holds.
func pendingOps(raw json.RawMessage) ([]pendingOp, map[string]bool, error) {
	var d struct {
		Pending []pendingOp `json:"pending_operations"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("recover: the state: %w", err)
	}
	ids, err := StateIDsOf([]byte(`{"deployment":` + string(raw) + `}`))
	if err != nil {
		return nil, nil, err
	}
	return d.Pending, ids, nil
}

// find looks up in AWS what a pending create made: by the stack's tags and
// its name for a type that takes tags, by its natural key otherwise. It
// returns the id to import ("" when AWS has none) and how it was found.
func (r Recovery) find(ctx context.Context, res struct {
	URN    string         `json:"urn"`
	Type   string         `json:"type"`
	Inputs map[string]any `json:"inputs"`
}, tagged []awscheck.Tagged, inState map[string]bool) (string, string, error) {
	name := res.URN[strings.LastIndex(res.URN, "::")+2:]
	in := func(k string) string { s, _ := res.Inputs[k].(string); return s }
	if kind := awscheck.KindOf(res.Type); kind != "" {
		var found []string
		for _, t := range tagged {
			if t.Kind == kind && t.Resource == name && !inState[t.ID] {
				found = append(found, t.ID)
			}
		}
		switch len(found) {
		case 0:
			// Some are tagged by a second call after the create: a kill
			// in between leaves them untagged, found by their name.
			id, how, err := r.findByName(ctx, kind, res.Inputs, inState)
			if err != nil || id != "" {
				return id, how, err
			}
			return "", fmt.Sprintf("no %s tagged %s=%s in AWS%s", kind, stacktag.Resource, name, how), nil
		case 1:
			return found[0], fmt.Sprintf("found by its tags (%s=%s):", stacktag.Resource, name), nil
		default:
			// The first; the others stay orphans, listed at the end.
			return found[0], fmt.Sprintf("%d %s tagged %s=%s (the others are orphans):", len(found), kind, stacktag.Resource, name), nil
		}
	}
	c := r.Clients
	switch res.Type {
	case awstype.Route:
		rtb, dest := in("routeTableId"), in("destinationCidrBlock")
		out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtb}})
		if err != nil {
			return "", "", err
		}
		for _, t := range out.RouteTables {
			for _, rt := range t.Routes {
				if aws.ToString(rt.DestinationCidrBlock) == dest && rt.Origin == ec2types.RouteOriginCreateRoute {
					// The provider's id of a route: table and a hash of the destination.
					return fmt.Sprintf("r-%s%d", rtb, crc32.ChecksumIEEE([]byte(dest))), fmt.Sprintf("route %s in %s found:", dest, rtb), nil
				}
			}
		}
		return "", fmt.Sprintf("no route %s in %s", dest, rtb), nil
	case awstype.RouteTableAssociation:
		rtb, subnet := in("routeTableId"), in("subnetId")
		out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtb}})
		if err != nil {
			return "", "", err
		}
		for _, t := range out.RouteTables {
			for _, a := range t.Associations {
				if aws.ToString(a.SubnetId) == subnet {
					return aws.ToString(a.RouteTableAssociationId), fmt.Sprintf("%s associated with %s:", subnet, rtb), nil
				}
			}
		}
		return "", fmt.Sprintf("%s not associated with %s", subnet, rtb), nil
	case awstype.DefaultSecurityGroup:
		vpc := in("vpcId")
		out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{"default"}},
		}})
		if err != nil {
			return "", "", err
		}
		if len(out.SecurityGroups) == 1 {
			return aws.ToString(out.SecurityGroups[0].GroupId), fmt.Sprintf("the default group of %s:", vpc), nil
		}
		return "", fmt.Sprintf("%s has no default group", vpc), nil
	case awstype.ZoneAssociation:
		zone, vpc := in("zoneId"), in("vpcId")
		out, err := c.R53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)})
		if err != nil {
			return "", "", err
		}
		for _, v := range out.VPCs {
			if aws.ToString(v.VPCId) == vpc {
				return zone + ":" + vpc, fmt.Sprintf("%s associated with %s:", vpc, zone), nil
			}
		}
		return "", fmt.Sprintf("%s not associated with %s", vpc, zone), nil
	case awstype.TargetGroupAttachment:
		tg, target := in("targetGroupArn"), in("targetId")
		out, err := c.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return "", "", err
		}
		for _, h := range out.TargetHealthDescriptions {
			if h.Target != nil && aws.ToString(h.Target.Id) == target && (h.TargetHealth == nil || h.TargetHealth.State != elbtypes.TargetHealthStateEnumDraining) {
				// The provider reads an attachment by its group and target;
				// its id is the group's ARN and a unique suffix.
				return tg + "-" + strconv.FormatInt(time.Now().UnixNano(), 10), fmt.Sprintf("%s registered in %s:", target, tg), nil
			}
		}
		return "", fmt.Sprintf("%s not registered in %s", target, tg), nil
	case awstype.Record:
		zone, rname, typ := in("zoneId"), in("name"), in("type")
		out, err := c.R53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
		if err != nil {
			return "", "", err
		}
		for _, rr := range out.ResourceRecordSets {
			if strings.TrimSuffix(aws.ToString(rr.Name), ".") == strings.TrimSuffix(rname, ".") && string(rr.Type) == typ {
				return zone + "_" + rname + "_" + typ, fmt.Sprintf("record %s %s in %s:", rname, typ, zone), nil
			}
		}
		return "", fmt.Sprintf("no record %s %s in %s", rname, typ, zone), nil
	case awstype.TgwRouteTableAssociation, awstype.TgwRouteTablePropagation:
		rtb, att := in("transitGatewayRouteTableId"), in("transitGatewayAttachmentId")
		filter := []ec2types.Filter{{Name: aws.String("transit-gateway-attachment-id"), Values: []string{att}}}
		var n int
		if res.Type == awstype.TgwRouteTableAssociation {
			out, err := c.EC2.GetTransitGatewayRouteTableAssociations(ctx, &ec2.GetTransitGatewayRouteTableAssociationsInput{TransitGatewayRouteTableId: aws.String(rtb), Filters: filter})
			if err != nil {
				return "", "", err
			}
			n = len(out.Associations)
		} else {
			out, err := c.EC2.GetTransitGatewayRouteTablePropagations(ctx, &ec2.GetTransitGatewayRouteTablePropagationsInput{TransitGatewayRouteTableId: aws.String(rtb), Filters: filter})
			if err != nil {
				return "", "", err
			}
			n = len(out.TransitGatewayRouteTablePropagations)
		}
		if n > 0 {
			return rtb + "_" + att, fmt.Sprintf("%s in %s:", att, rtb), nil
		}
		return "", fmt.Sprintf("%s not in %s", att, rtb), nil
	}
	// What remains (role policies, bucket settings, route table
	// propagations…) is a put that up repeats without harm.
	return "", fmt.Sprintf("%s is not looked up (up puts it again without harm)", res.Type), nil
}

// recoverCmd is `local recover`: Recover on the local emulator's stack.
func recoverCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose interrupted run is recovered")
	destroy := fs.Bool("destroy", false, "finish an interrupted destroy (default: an interrupted up)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		msg, cut := localrun.Short(err)
		if cut {
			msg += " (the engine's output is above)"
		}
		fmt.Fprintf(stderr, "local recover: %s\n", msg)
		return 1
	}
	repo, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	clients, url, _, err := localClients(repo, *stack, "", "")
	if err != nil {
		return fail(err)
	}
	env, err := localrun.LoadEnv(repo)
	if err != nil {
		return fail(err)
	}
	project, err := workspace.LoadProject(filepath.Join(repo, "Pulumi.yaml"))
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	opts := LocalStackOptions(env, *stack, url)
	s, err := env.Stack(ctx, program, opts)
	if err != nil {
		return fail(err)
	}
	rep, err := Recover(ctx, Recovery{
		Stack: s, StateDir: opts.StateDir, Clients: clients,
		TagValue: stacktag.Value(project.Name.String(), *stack), Destroy: *destroy,
		Engine: stdout, Decide: func(d string) { fmt.Fprintln(stdout, "recover: "+d) },
	})
	if err != nil {
		return fail(err)
	}
	export := LocalExport(env.Cache, *stack)
	if *destroy {
		_ = os.Remove(export)
	} else if err := writeExport(ctx, s, export); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "\nlocal recover: done in %s: %d imported, %d cleared, %d orphans\n",
		rep.Took.Round(time.Second), len(rep.Imported), len(rep.Cleared), len(rep.Orphans))
	for _, o := range rep.Orphans {
		fmt.Fprintf(stdout, "  orphan %s\n", o)
	}
	if len(rep.Orphans) > 0 {
		fmt.Fprintf(stdout, "delete them with: make orphans DELETE=1%s\n", map[bool]string{true: "", false: " STACK=" + *stack}[*stack == "dev"])
		return 1
	}
	return 0
}

// importPending moves each pending create in found into the state's
// resources with its id, its recorded inputs standing for its outputs until
// the refresh reads them. Nothing in the state depends on a resource that
// was being created, and what it depends on is there already, so appending
// keeps the state's order valid.
func importPending(ctx context.Context, s auto.Stack, found []optrefresh.PendingCreate) error {
	dep, err := s.Export(ctx)
	if err != nil {
		return fmt.Errorf("recover: export the state: %w", err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return fmt.Errorf("recover: the state: %w", err)
	}
	ids := map[string]string{}
	for _, f := range found {
		ids[f.URN] = f.ID
	}
	var keep []apitype.OperationV2
	for _, op := range d.PendingOperations {
		id, ok := ids[string(op.Resource.URN)]
		if !ok || op.Type != apitype.OperationTypeCreating {
			keep = append(keep, op)
			continue
		}
		res := op.Resource
		res.ID = resource.ID(id)
		if len(res.Outputs) == 0 {
			res.Outputs = map[string]any{}
			for k, v := range res.Inputs {
				res.Outputs[k] = v
			}
		}
		d.Resources = append(d.Resources, res)
	}
	d.PendingOperations = keep
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("recover: the state: %w", err)
	}
	if err := s.Import(ctx, apitype.UntypedDeployment{Version: dep.Version, Deployment: raw}); err != nil {
		return fmt.Errorf("recover: pulumi stack import: %w", err)
	}
	return nil
}

// findByName looks a resource that takes tags up by its name, for the
// kinds whose name the inputs hold: the zone (by name and first VPC), the
// bucket, IAM roles and instance profiles, the function and its log group.
// how is empty when the kind has no name look-up.
func (r Recovery) findByName(ctx context.Context, kind string, inputs map[string]any, inState map[string]bool) (string, string, error) {
	str := func(k string) string { s, _ := inputs[k].(string); return s }
	c := r.Clients
	var name string
	var exists func() (string, error)
	switch kind {
	case "hosted-zone":
		name = strings.TrimSuffix(str("name"), ".")
		// The provider creates the zone with one of its VPCs (a set: not
		// necessarily the first) and associates the others after.
		vpcs := map[string]bool{}
		if vs, ok := inputs["vpcs"].([]any); ok {
			for _, v := range vs {
				if v, ok := v.(map[string]any); ok {
					id, _ := v["vpcId"].(string)
					vpcs[id] = id != ""
				}
			}
		}
		exists = func() (string, error) {
			out, err := c.R53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(name)})
			if err != nil {
				return "", err
			}
			for _, z := range out.HostedZones {
				id := strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/")
				if strings.TrimSuffix(aws.ToString(z.Name), ".") != name || inState[id] {
					continue
				}
				got, err := c.R53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(id)})
				if err != nil {
					return "", err
				}
				for _, v := range got.VPCs {
					if vpcs[aws.ToString(v.VPCId)] {
						return id, nil
					}
				}
			}
			return "", nil
		}
	case "s3-bucket":
		name = str("bucket")
		exists = func() (string, error) {
			_, err := c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
			return ifFound(name, err)
		}
	case "iam-role":
		name = str("name")
		exists = func() (string, error) {
			_, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			return ifFound(name, err)
		}
	case "instance-profile":
		name = str("name")
		exists = func() (string, error) {
			_, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
			return ifFound(name, err)
		}
	case "lambda-function":
		name = str("name")
		exists = func() (string, error) {
			_, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
			return ifFound(name, err)
		}
	case "log-group":
		name = str("name")
		exists = func() (string, error) {
			out, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
			if err != nil {
				return "", err
			}
			for _, g := range out.LogGroups {
				if aws.ToString(g.LogGroupName) == name {
					return name, nil
				}
			}
			return "", nil
		}
	default:
		return "", "", nil
	}
	if name == "" {
		return "", "", nil
	}
	id, err := exists()
	if err != nil {
		return "", "", err
	}
	if id == "" || inState[id] {
		return "", fmt.Sprintf(", nor one named %s", name), nil
	}
	return id, fmt.Sprintf("found untagged by its name %s:", name), nil
}

// ifFound is name when err is nil, "" when err says there is no such
// resource, and err otherwise.
func ifFound(name string, err error) (string, error) {
	if err == nil {
		return name, nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchEntity", "NotFound", "NoSuchBucket", "ResourceNotFoundException", "404":
			return "", nil
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == 404 {
		return "", nil
	}
	return "", err
}

// repairSidecars removes the file backend's metadata files (<blob>.attrs)
// that are empty or not JSON. The backend's blob store writes a blob's
// .attrs file in place, then renames the blob's temporary file over the
// blob: a kill in between leaves the old blob whole but its .attrs empty,
// and every command then fails with "failed to load checkpoint: EOF". A
// missing .attrs file is read as no metadata.
func repairSidecars(stateDir string, decide func(string, ...any)) error {
	root := filepath.Join(stateDir, ".pulumi")
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.SkipDir
		} else if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(p) != ".attrs" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v map[string]any
		if json.Unmarshal(b, &v) == nil {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("recover: remove the broken %s: %w", p, err)
		}
		rel, _ := filepath.Rel(stateDir, p)
		decide("the backend's metadata file %s was cut short by the kill (%d bytes): removed (its checkpoint is whole)", rel, len(b))
		return nil
	})
}
