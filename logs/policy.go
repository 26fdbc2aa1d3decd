package logs

import (
	"fmt"

	"github.com/internal-alb/internal-alb/internal/policy"
)

// Policy is the bucket policy of the log bucket arn: requests without TLS
// are denied to everyone, the flow log service may check the bucket and write
// under FlowLogsPrefix for this account only, and the region's ALB log writer
// may write under AlbPrefix. Nothing may read: the owner's own IAM
// principals read with their identity policies.
func Policy(arn, account, region string, albWriter map[string]string) (string, error) {
	fromThisAccount := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account},
		"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:aws:logs:%s:%s:*", region, account)},
	}
	flowWrite := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"},
		"ArnLike":      fromThisAccount["ArnLike"],
	}
	delivery := map[string]string{"Service": "delivery.logs.amazonaws.com"}
	return policy.Of(
		policy.Statement{
			Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
			Resource:  []string{arn, arn + "/*"},
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		},
		policy.Statement{
			Sid: "FlowLogsAclCheck", Effect: "Allow", Principal: delivery,
			Action: []string{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: arn, Condition: fromThisAccount,
		},
		policy.Statement{
			Sid: "FlowLogsWrite", Effect: "Allow", Principal: delivery, Action: "s3:PutObject",
			Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/*", arn, FlowLogsPrefix, account), Condition: flowWrite,
		},
		policy.Statement{
			Sid: "AlbLogsWrite", Effect: "Allow", Principal: albWriter, Action: "s3:PutObject",
			Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/*", arn, AlbPrefix, account),
		},
	).JSON()
}
