package lambdaapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/twin/metadata"
	"github.com/internal-alb/internal-alb/twin/pki"
)

// handlerPath is the project's real function, relative to this package.
const handlerPath = "../../lambda/handler/index.mjs"

// requireTool returns the path of a program the test needs. Without it the
// test is skipped, except in CI (CI=true), where it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH (CI=true, so this is a failure): %v", name, err)
		}
		t.Skipf("%s is not on PATH; skipping (set CI=true to make this a failure): %v", name, err)
	}
	return p
}

// fixture is a TLS Lambda API on 127.0.0.1 with the project's function and
// a few test functions, and the credentials of one instance role session.
type fixture struct {
	url    string
	caFile string
	ca     *pki.CA
	creds  metadata.Credentials
	id     Identity
	server *Server
	logs   *lockedBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	src, err := os.ReadFile(handlerPath)
	require.NoError(t, err, "the project's handler")

	creds := metadata.NewCredentials(time.Now())
	id := Identity{Secret: creds.SecretAccessKey, SessionToken: creds.Token, Role: "client-role", InstanceID: "i-0aaaabbbbccccdddd", AccountID: testAccount}
	arn := func(name string) string { return "arn:aws:lambda:ap-northeast-1:123456789012:function:" + name }
	logs := &lockedBuffer{}
	s := &Server{
		Region:    testRegion,
		Lookup:    lookupOf(creds.AccessKeyID, id),
		Authorize: allowAllBut("forbidden-fn"),
		Functions: []Function{
			{Name: "hello-world", ARN: arn("hello-world"), Runtime: "nodejs20.x", Handler: "index.handler",
				Code: map[string]string{"index.mjs": string(src)}},
			{Name: "thrower", ARN: arn("thrower"), Runtime: "nodejs20.x", Handler: "index.handler",
				Code: map[string]string{"index.mjs": `export const handler = async () => { throw new TypeError("boom from thrower"); };`}},
			{Name: "sleeper", ARN: arn("sleeper"), Runtime: "nodejs20.x", Handler: "index.handler", Timeout: time.Second,
				Code: map[string]string{"index.mjs": `export const handler = async () => { await new Promise((r) => setTimeout(r, 20000)); return "late"; };`}},
			{Name: "echo", ARN: arn("echo"), Runtime: "nodejs20.x", Handler: "src/app.lambdaHandler",
				Code: map[string]string{"src/app.js": `
exports.lambdaHandler = async (event, context) => {
  console.log("echo got", JSON.stringify(event));
  return {
    event,
    functionName: context.functionName,
    invokedFunctionArn: context.invokedFunctionArn,
    awsRequestId: context.awsRequestId,
    remaining: context.getRemainingTimeInMillis(),
    region: process.env.AWS_REGION,
    leakedCredentials: process.env.AWS_ACCESS_KEY_ID ?? null,
  };
};`}},
			{Name: "forbidden-fn", ARN: arn("forbidden-fn"), Runtime: "nodejs20.x", Handler: "index.handler",
				Code: map[string]string{"index.mjs": `export const handler = async () => "secret";`}},
		},
		Node: requireTool(t, "node"),
		Log:  logs,
	}

	ca, err := pki.NewCA("lambdaapi test CA")
	require.NoError(t, err)
	leaf, err := ca.Issue([]string{"localhost"}, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(s)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	t.Cleanup(func() {
		ts.Close()
		s.Wait()
		if t.Failed() || os.Getenv("LAMBDAAPI_TEST_LOG") != "" {
			t.Logf("server log:\n%s", logs)
		}
	})

	caFile := filepath.Join(t.TempDir(), "twin-ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM(), 0o600))
	return &fixture{url: ts.URL, caFile: caFile, ca: ca, creds: creds, id: id, server: s, logs: logs}
}

// cliResult is one run of the AWS CLI.
type cliResult struct {
	stdout, stderr string
	outFile        []byte // the invoke's outfile, nil if not written
	err            error  // non-nil when the CLI exited non-zero
}

// invoke runs `aws lambda invoke` against the fixture with an environment
// built from scratch: the given credentials (none when creds is nil), the
// twin CA as the only trusted bundle, no config files, a fresh HOME.
func (f *fixture) invoke(t *testing.T, creds *metadata.Credentials, extraEnv []string, args ...string) cliResult {
	t.Helper()
	aws := requireTool(t, "aws")
	home := t.TempDir()
	out := filepath.Join(home, "response.json")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CA_BUNDLE=" + f.caFile,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	if creds != nil {
		env = append(env,
			"AWS_ACCESS_KEY_ID="+creds.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
			"AWS_SESSION_TOKEN="+creds.Token,
		)
	}
	env = append(env, extraEnv...)
	argv := append([]string{"lambda", "invoke", "--endpoint-url", f.url, "--region", testRegion}, args...)
	argv = append(argv, out)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, argv...)
	cmd.Env = env
	cmd.Dir = home
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run aws: %v", err)
	}
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
	if b, rerr := os.ReadFile(out); rerr == nil {
		res.outFile = b
	}
	return res
}

// handlerResult is what the project's handler returns, computed by node on
// its own, outside the server.
func handlerResult(t *testing.T) string {
	t.Helper()
	node := requireTool(t, "node")
	abs, err := filepath.Abs(handlerPath)
	require.NoError(t, err)
	cmd := exec.Command(node, "--input-type=module", "-e",
		`const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(await m.handler({}, {})));`,
		"file://"+abs)
	out, err := cmd.Output()
	require.NoError(t, err, "run the handler directly")
	return string(out)
}

// cliStdout is the JSON the CLI prints for invoke.
type cliStdout struct {
	StatusCode      int
	FunctionError   string
	ExecutedVersion string
}

func parseStdout(t *testing.T, s string) cliStdout {
	t.Helper()
	var out cliStdout
	require.NoError(t, json.Unmarshal([]byte(s), &out), "CLI stdout: %s", s)
	return out
}

func TestAWSCLIInvoke(t *testing.T) {
	requireTool(t, "aws")
	f := newFixture(t)
	want := handlerResult(t)
	var shape struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	require.NoError(t, json.Unmarshal([]byte(want), &shape))
	require.Equal(t, 200, shape.StatusCode, "the project's handler answers statusCode 200")
	require.Contains(t, shape.Body, "Hello from Lambda!")

	t.Run("hello-world by name", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "hello-world")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		assert.Contains(t, res.stdout, `"StatusCode": 200`)
		out := parseStdout(t, res.stdout)
		assert.Equal(t, "$LATEST", out.ExecutedVersion)
		assert.Empty(t, out.FunctionError)
		assert.JSONEq(t, want, string(res.outFile))
		assert.Contains(t, f.logs.String(),
			"caller=arn:aws:sts::123456789012:assumed-role/client-role/i-0aaaabbbbccccdddd function=arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world result=200 ok")
	})
	t.Run("hello-world by ARN with qualifier", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world", "--qualifier", "$LATEST")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		assert.Equal(t, 200, parseStdout(t, res.stdout).StatusCode)
		assert.JSONEq(t, want, string(res.outFile))
	})
	t.Run("event and context reach the handler", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "123456789012:function:echo",
			"--payload", `{"greeting":"hi there","n":[1,2]}`, "--log-type", "Tail")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		assert.Equal(t, 200, parseStdout(t, res.stdout).StatusCode)
		var got struct {
			Event              map[string]any
			FunctionName       string
			InvokedFunctionArn string
			AwsRequestID       string `json:"awsRequestId"`
			Remaining          float64
			Region             string
			LeakedCredentials  *string
		}
		require.NoError(t, json.Unmarshal(res.outFile, &got), string(res.outFile))
		assert.Equal(t, map[string]any{"greeting": "hi there", "n": []any{1.0, 2.0}}, got.Event)
		assert.Equal(t, "echo", got.FunctionName)
		assert.Equal(t, "arn:aws:lambda:ap-northeast-1:123456789012:function:echo", got.InvokedFunctionArn)
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, got.AwsRequestID)
		assert.Greater(t, got.Remaining, 0.0)
		assert.LessOrEqual(t, got.Remaining, 3000.0)
		assert.Equal(t, testRegion, got.Region)
		assert.Nil(t, got.LeakedCredentials, "the function must not see the twin's environment")
		var printed struct{ LogResult string }
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &printed))
		assert.NotEmpty(t, printed.LogResult, "--log-type Tail returns the log tail")
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		bad := f.creds
		bad.SecretAccessKey = metadata.NewCredentials(time.Now()).SecretAccessKey
		res := f.invoke(t, &bad, nil, "--function-name", "hello-world")
		require.Error(t, res.err)
		assert.Contains(t, res.stderr, "InvalidSignatureException")
		assert.Contains(t, res.stderr, "The request signature we calculated does not match the signature you provided")
		assert.Nil(t, res.outFile)
	})
	t.Run("credentials the twin never issued", func(t *testing.T) {
		t.Parallel()
		stranger := metadata.NewCredentials(time.Now())
		res := f.invoke(t, &stranger, nil, "--function-name", "hello-world")
		require.Error(t, res.err)
		assert.Contains(t, res.stderr, "UnrecognizedClientException")
	})
	t.Run("IAM refuses", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "forbidden-fn")
		require.Error(t, res.err)
		assert.Contains(t, res.stderr, "AccessDeniedException")
		assert.Contains(t, res.stderr, "User: arn:aws:sts::123456789012:assumed-role/client-role/i-0aaaabbbbccccdddd is not authorized to perform: "+
			"lambda:InvokeFunction on resource: arn:aws:lambda:ap-northeast-1:123456789012:function:forbidden-fn "+
			"because no identity-based policy allows the lambda:InvokeFunction action")
		assert.Nil(t, res.outFile)
	})
	t.Run("unknown function", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "no-such-function")
		require.Error(t, res.err)
		assert.Contains(t, res.stderr, "ResourceNotFoundException")
		assert.Contains(t, res.stderr, "Function not found: arn:aws:lambda:ap-northeast-1:123456789012:function:no-such-function")
	})
	t.Run("handler throws", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "thrower")
		require.NoError(t, res.err, "a function error is still a successful call: %s", res.stderr)
		out := parseStdout(t, res.stdout)
		assert.Equal(t, 200, out.StatusCode)
		assert.Equal(t, "Unhandled", out.FunctionError)
		var e struct {
			ErrorType    string
			ErrorMessage string
			Trace        []string
		}
		require.NoError(t, json.Unmarshal(res.outFile, &e), string(res.outFile))
		assert.Equal(t, "TypeError", e.ErrorType)
		assert.Equal(t, "boom from thrower", e.ErrorMessage)
		require.NotEmpty(t, e.Trace)
		assert.Equal(t, "TypeError: boom from thrower", e.Trace[0])
	})
	t.Run("handler outlives its timeout", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "sleeper")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		out := parseStdout(t, res.stdout)
		assert.Equal(t, 200, out.StatusCode)
		assert.Equal(t, "Unhandled", out.FunctionError)
		var e struct{ ErrorMessage string }
		require.NoError(t, json.Unmarshal(res.outFile, &e), string(res.outFile))
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f-]{36} Task timed out after 1\.00 seconds$`, e.ErrorMessage)
	})
	t.Run("Event and DryRun", func(t *testing.T) {
		t.Parallel()
		res := f.invoke(t, &f.creds, nil, "--function-name", "hello-world", "--invocation-type", "Event")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		assert.Equal(t, 202, parseStdout(t, res.stdout).StatusCode)
		res = f.invoke(t, &f.creds, nil, "--function-name", "hello-world", "--invocation-type", "DryRun")
		require.NoError(t, res.err, "stderr: %s", res.stderr)
		assert.Equal(t, 204, parseStdout(t, res.stdout).StatusCode)
	})
}

// The way the seed really runs: the CLI finds no credentials in its
// environment, takes the instance role's from the metadata service (IMDSv2
// only), and invokes with them.
func TestAWSCLIWithInstanceMetadataCredentials(t *testing.T) {
	requireTool(t, "aws")
	f := newFixture(t)
	imds := httptest.NewServer(metadata.Handler(metadata.Instance{
		ID:           f.id.InstanceID,
		Region:       testRegion,
		AZ:           "ap-northeast-1a",
		AccountID:    testAccount,
		PrivateIP:    netip.MustParseAddr("10.3.1.10"),
		Hostname:     "ip-10-3-1-10.ap-northeast-1.compute.internal",
		Role:         f.id.Role,
		Creds:        f.creds,
		RequireToken: true,
	}))
	defer imds.Close()

	res := f.invoke(t, nil, []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL + "/"}, "--function-name", "hello-world")
	require.NoError(t, res.err, "stderr: %s", res.stderr)
	assert.Contains(t, res.stdout, `"StatusCode": 200`)
	assert.JSONEq(t, handlerResult(t), string(res.outFile))
}

// The Go SDK signs differently from botocore (it signs Content-Length and
// its own headers); the server must accept it too.
func TestGoSDKInvoke(t *testing.T) {
	f := newFixture(t)
	client := lambda.New(lambda.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(f.url),
		Credentials:  credentials.NewStaticCredentialsProvider(f.creds.AccessKeyID, f.creds.SecretAccessKey, f.creds.Token),
		HTTPClient: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: f.ca.Pool(), MinVersion: tls.VersionTLS12},
		}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"from":"go"}`)})
	require.NoError(t, err)
	assert.Equal(t, int32(200), out.StatusCode)
	assert.Nil(t, out.FunctionError)
	assert.Equal(t, "$LATEST", aws.ToString(out.ExecutedVersion))
	assert.Contains(t, string(out.Payload), `"event":{"from":"go"}`)

	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("no-such-function")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)

	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("forbidden-fn")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AccessDeniedException")
}
