package logs

import (
	"fmt"

	"github.com/internal-alb/internal-alb/internal/policy"
)

// Policy is the bucket policy of the log bucket arn: requests without TLS
// are denied to everyone, the flow log service may check the bucket and write
// under FlowLogsPrefix for this account (and each of others, under its own
// folder) only, and the region's ALB log writer may write under AlbPrefix.
// Nothing may read: the owner's own IAM principals read with their identity
// policies.
func Policy(arn, account, region string, albWriter map[string]string, others ...string) (string, error) {
	statements := []policy.Statement{{
		Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
		Resource:  []string{arn, arn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}}
	for _, a := range append([]string{account}, others...) {
		suffix := ""
		if a != account {
			suffix = "From" + a
		}
		statements = append(statements, flowLogStatements(arn, a, region, suffix)...)
	}
	statements = append(statements, policy.Statement{
		Sid: "AlbLogsWrite", Effect: "Allow", Principal: albWriter, Action: "s3:PutObject",
		Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/*", arn, AlbPrefix, account),
	})
	return policy.Of(statements...).JSON()
}

// flowLogStatements let the flow log service check the bucket and write
// the flow logs of one account, on that account's behalf only.
func flowLogStatements(arn, account, region, sidSuffix string) []policy.Statement {
	fromAccount := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account},
		"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:aws:logs:%s:%s:*", region, account)},
	}
	write := map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"},
		"ArnLike":      fromAccount["ArnLike"],
	}
	delivery := map[string]string{"Service": "delivery.logs.amazonaws.com"}
	return []policy.Statement{
		{
			Sid: "FlowLogsAclCheck" + sidSuffix, Effect: "Allow", Principal: delivery,
			Action: []string{"s3:GetBucketAcl", "s3:ListBucket"}, Resource: arn, Condition: fromAccount,
		},
		{
			Sid: "FlowLogsWrite" + sidSuffix, Effect: "Allow", Principal: delivery, Action: "s3:PutObject",
			Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/*", arn, FlowLogsPrefix, account), Condition: write,
		},
	}
}
