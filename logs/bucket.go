// Package logs builds the stack's log bucket: private, encrypted, TLS-only,
// owned by the bucket owner, with objects that expire, and a policy that lets
// exactly the log delivery services write where each one writes.
package logs

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Where each writer puts its objects, under the bucket's root.
const (
	FlowLogsPrefix = "flow-logs" // VPC flow logs: <prefix>/AWSLogs/<account>/vpcflowlogs/...
	AlbPrefix      = "alb"       // ALB access logs: <prefix>/AWSLogs/<account>/elasticloadbalancing/...
	WebPrefix      = "web"       // what the web servers write themselves, through the S3 gateway endpoint
)

// BucketArgs configure the bucket.
type BucketArgs struct {
	// AccountID and Region are the stack's: the delivery services may write
	// only on behalf of this account.
	AccountID string
	Region    string
	// OtherAccounts have VPCs whose flow logs the bucket takes too, each
	// under its own AWSLogs/<account> folder.
	OtherAccounts []string
	// AlbLogWriter is the principal that delivers the region's ALB access
	// logs: {"AWS": "arn:aws:iam::<elb account>:root"} in regions opened
	// before August 2022, {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
	// in the newer ones (see AlbLogWriter).
	AlbLogWriter map[string]string
	// ExpirationDays after which every object is deleted.
	ExpirationDays int
}

// Bucket is the log bucket.
type Bucket struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	Arn  pulumi.StringOutput
	// FlowLogDestination is where VPC flow logs go. It resolves only once
	// the bucket policy exists, so a flow log that uses it waits for the
	// policy and AWS never adds one of its own.
	FlowLogDestination pulumi.StringOutput
	// AlbBucket is the bucket's name for ALB access logs, also resolving
	// only after the policy: AWS checks the policy when logging is enabled.
	AlbBucket pulumi.StringOutput
	// WebObjects is the ARN pattern of what the web servers may write.
	WebObjects pulumi.StringOutput
}

// AlbLogWriter returns the principal that writes ALB access logs in a
// region, given the region's Elastic Load Balancing account ARN ("" for a
// region that has none, which uses the service principal).
func AlbLogWriter(elbAccountArn string) map[string]string {
	if elbAccountArn == "" {
		return map[string]string{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
	}
	return map[string]string{"AWS": elbAccountArn}
}

// NewBucket creates the bucket and its settings.
func NewBucket(ctx *pulumi.Context, name string, args *BucketArgs, opts ...pulumi.ResourceOption) (*Bucket, error) {
	switch {
	case args.AccountID == "" || args.Region == "":
		return nil, fmt.Errorf("logs: %s needs the account id and the region", name)
	case len(args.AlbLogWriter) != 1:
		return nil, fmt.Errorf("logs: %s needs one principal for ALB access logs, got %v", name, args.AlbLogWriter)
	case args.ExpirationDays < 1:
		return nil, fmt.Errorf("logs: %s: objects must expire after at least 1 day, got %d", name, args.ExpirationDays)
	}
	b := &Bucket{}
	if err := ctx.RegisterComponentResource("internal-alb:logs:Bucket", name, b, opts...); err != nil {
		return nil, err
	}
	in := pulumi.Parent(b)

	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		// The bucket holds only this stack's logs, which expire anyway:
		// destroy empties it rather than failing on the first log line.
		// Copy what must outlive the stack before destroying it.
		ForceDestroy: pulumi.Bool(true),
		Tags:         pulumi.StringMap{"Name": pulumi.String(name)},
	}, in)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	block, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, in)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	// ACLs off: every object belongs to the bucket owner, whoever wrote it.
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, in); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	// SSE-S3: ALB access logs cannot be delivered to a bucket encrypted with KMS keys.
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, in); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.ExpirationDays)},
		}},
	}, in); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}

	policy, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: bucket.Arn.ApplyT(func(arn string) (string, error) {
			return Policy(arn, args.AccountID, args.Region, args.AlbLogWriter, args.OtherAccounts...)
		}).(pulumi.StringOutput),
	}, in, pulumi.DependsOn([]pulumi.Resource{block}))
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}

	b.Name = bucket.Bucket
	b.Arn = bucket.Arn
	ready := pulumi.All(policy.Bucket, bucket.Arn)
	b.FlowLogDestination = ready.ApplyT(func(v []any) string { return fmt.Sprintf("%s/%s/", v[1], FlowLogsPrefix) }).(pulumi.StringOutput)
	b.AlbBucket = ready.ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	b.WebObjects = pulumi.Sprintf("%s/%s/*", bucket.Arn, WebPrefix)
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"name": b.Name, "arn": b.Arn}); err != nil {
		return nil, err
	}
	return b, nil
}
