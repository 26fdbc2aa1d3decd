package lambdaapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testRegion  = "ap-northeast-1"
	testAccount = "123456789012"
	testAKID    = "ASIATESTTESTTEST0001"
	testSecret  = "test-secret-key/0123456789abcdefghijklmnop"
	testToken   = "test-session-token"
	helloARN    = "arn:aws:lambda:ap-northeast-1:123456789012:function:hello-world"
)

// lockedBuffer is a log sink safe to read while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testIdentity() Identity {
	return Identity{Secret: testSecret, SessionToken: testToken, Role: "client-role", InstanceID: "i-0123456789abcdef0", AccountID: testAccount}
}

// lookupOf recognises exactly one key.
func lookupOf(akid string, id Identity) func(string) (Identity, bool) {
	return func(k string) (Identity, bool) {
		if k == akid {
			return id, true
		}
		return Identity{}, false
	}
}

// allowAllBut allows every function except the one named denied.
func allowAllBut(denied string) func(Identity, Function) (bool, string) {
	return func(_ Identity, fn Function) (bool, string) {
		if fn.Name == denied {
			return false, "explicit test deny of " + denied
		}
		return true, "test allow"
	}
}

func newUnitServer(log io.Writer) *Server {
	return &Server{
		Region:    testRegion,
		Lookup:    lookupOf(testAKID, testIdentity()),
		Authorize: allowAllBut("forbidden-fn"),
		Functions: []Function{
			{Name: "hello-world", ARN: helloARN, Runtime: "nodejs20.x", Handler: "index.handler", Code: map[string]string{"index.mjs": "export const handler = async () => 1;"}},
			{Name: "forbidden-fn", ARN: "arn:aws:lambda:ap-northeast-1:123456789012:function:forbidden-fn", Handler: "index.handler"},
		},
		Log: log,
	}
}

// signedRequest is a client request signed the way the Go SDK signs one.
type signedRequest struct {
	path, query string
	body        string
	headers     map[string]string
	akid        string
	secret      string
	token       string
	region      string
	service     string
	at          time.Time
	contentHash bool   // also send X-Amz-Content-Sha256
	payloadHash string // what to sign instead of the body's hash
}

func defaultSigned() signedRequest {
	return signedRequest{
		path:    "/2015-03-31/functions/hello-world/invocations",
		headers: map[string]string{"X-Amz-Invocation-Type": "DryRun"},
		akid:    testAKID, secret: testSecret, token: testToken,
		region: testRegion, service: "lambda", at: time.Now(),
	}
}

func (sr signedRequest) build(t *testing.T, base string) *http.Request {
	t.Helper()
	u := base + sr.path
	if sr.query != "" {
		u += "?" + sr.query
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(sr.body))
	require.NoError(t, err)
	for k, v := range sr.headers {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256([]byte(sr.body))
	hash := hex.EncodeToString(sum[:])
	if sr.contentHash {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if sr.payloadHash != "" {
		hash = sr.payloadHash
	}
	creds := aws.Credentials{AccessKeyID: sr.akid, SecretAccessKey: sr.secret, SessionToken: sr.token}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, sr.service, sr.region, sr.at))
	return req
}

// send performs req and returns status, x-amzn-ErrorType and the decoded
// error message (or the raw body).
func send(t *testing.T, req *http.Request) (int, string, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	msg := string(body)
	if json.Unmarshal(body, &e) == nil && (e.Message != "" || e.Message2 != "") {
		msg = e.Message + e.Message2
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), msg, resp.Header
}

func TestSigV4Verification(t *testing.T) {
	logs := &lockedBuffer{}
	srv := httptest.NewServer(newUnitServer(logs))
	defer srv.Close()

	mismatch := "The request signature we calculated does not match the signature you provided."
	cases := []struct {
		name     string
		mutate   func(*signedRequest)
		tamper   func(*http.Request)
		status   int
		code     string
		contains string
	}{
		{name: "valid Go SDK signature", status: http.StatusNoContent},
		{name: "valid with payload and signed content-length", mutate: func(s *signedRequest) { s.body = `{"k":"v"}` }, status: http.StatusNoContent},
		{name: "valid with X-Amz-Content-Sha256", mutate: func(s *signedRequest) { s.body = `{}`; s.contentHash = true }, status: http.StatusNoContent},
		{name: "valid with ARN and qualifier", mutate: func(s *signedRequest) {
			s.path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-northeast-1%3A123456789012%3Afunction%3Ahello-world/invocations"
			s.query = "Qualifier=%24LATEST"
		}, status: http.StatusNoContent},
		{name: "missing Authorization", tamper: func(r *http.Request) { r.Header.Del("Authorization") },
			status: 403, code: "MissingAuthenticationTokenException", contains: "Missing Authentication Token"},
		{name: "other algorithm", tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1))
		}, status: 403, code: "IncompleteSignatureException"},
		{name: "wrong secret", mutate: func(s *signedRequest) { s.secret = "not-the-secret" },
			status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "unknown key", mutate: func(s *signedRequest) { s.akid = "ASIAUNKNOWNUNKNOWN00" },
			status: 403, code: "UnrecognizedClientException", contains: "The security token included in the request is invalid."},
		{name: "wrong session token", mutate: func(s *signedRequest) { s.token = "another-token" },
			status: 403, code: "UnrecognizedClientException"},
		{name: "no session token", mutate: func(s *signedRequest) { s.token = "" },
			status: 403, code: "UnrecognizedClientException"},
		{name: "signed for another region", mutate: func(s *signedRequest) { s.region = "eu-west-1" },
			status: 403, code: "InvalidSignatureException", contains: "Credential should be scoped to a valid region."},
		{name: "signed for another service", mutate: func(s *signedRequest) { s.service = "s3" },
			status: 403, code: "InvalidSignatureException", contains: "Credential should be scoped to correct service: 'lambda'."},
		{name: "ten minutes old", mutate: func(s *signedRequest) { s.at = time.Now().Add(-10 * time.Minute) },
			status: 403, code: "InvalidSignatureException", contains: "Signature expired"},
		{name: "ten minutes ahead", mutate: func(s *signedRequest) { s.at = time.Now().Add(10 * time.Minute) },
			status: 403, code: "InvalidSignatureException", contains: "Signature not yet current"},
		{name: "body changed after signing", mutate: func(s *signedRequest) { s.body = `{"amount":1}` },
			tamper: func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"amount":9}`)) },
			status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "signed header changed", tamper: func(r *http.Request) { r.Header.Set("X-Amz-Invocation-Type", "Event") },
			status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "query added after signing", tamper: func(r *http.Request) { r.URL.RawQuery = "Qualifier=%24LATEST" },
			status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "function name changed after signing", tamper: func(r *http.Request) {
			r.URL.Path = "/2015-03-31/functions/forbidden-fn/invocations"
		}, status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "unsigned payload", mutate: func(s *signedRequest) {
			s.body = `{}`
			s.payloadHash = "UNSIGNED-PAYLOAD"
		}, status: 403, code: "InvalidSignatureException", contains: mismatch},
		{name: "content hash header lies", mutate: func(s *signedRequest) {
			s.body = `{}`
			s.headers["X-Amz-Content-Sha256"] = "UNSIGNED-PAYLOAD"
		}, status: 403, code: "InvalidSignatureException", contains: "x-amz-content-sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sr := defaultSigned()
			if tc.mutate != nil {
				tc.mutate(&sr)
			}
			req := sr.build(t, srv.URL)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			status, code, msg, hdr := send(t, req)
			assert.Equal(t, tc.status, status, msg)
			assert.Equal(t, tc.code, code, msg)
			assert.Contains(t, msg, tc.contains)
			assert.NotEmpty(t, hdr.Get("X-Amzn-Requestid"))
		})
	}
	assert.Contains(t, logs.String(), "caller=arn:aws:sts::123456789012:assumed-role/client-role/i-0123456789abcdef0 function="+helloARN+" result=204")
	assert.Contains(t, logs.String(), "caller=key:ASIAUNKNOWNUNKNOWN00 function=hello-world result=403 UnrecognizedClientException")
}

// Requests exactly as botocore 1.43.11 (aws-cli 1.45.11) sent them, with
// the signatures it computed (from `aws --debug`), so the verifier is
// pinned to botocore's canonicalisation even where the CLI is absent.
func TestBotocoreGoldenSignatures(t *testing.T) {
	cases := []struct {
		name, url, akid, secret, token, date, signature, body string
	}{
		{
			name:      "full ARN with qualifier and payload over http",
			url:       "http://127.0.0.1:9/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-northeast-1%3A123%3Afunction%3Ahello-world/invocations?Qualifier=%24LATEST",
			akid:      "ASIAXXX",
			secret:    "s",
			token:     "t",
			date:      "20261202T022639Z",
			signature: "a9d026eab402dae0ed7a1e42226a83d5d6ff0518d0d33410ac0a2cc39a5ef6e2",
			body:      `{"a":1}`,
		},
		{
			name:      "plain name, empty payload, https on port 9",
			url:       "https://lambda.ap-northeast-1.amazonaws.com:9/2015-03-31/functions/hello-world/invocations",
			akid:      "ASIAGOLDEN0000000001",
			secret:    "golden-secret",
			token:     "golden-token",
			date:      "20261202T023148Z",
			signature: "136ae5c0871a58c6d57a39711fe13ff84c77e53ba3d2f86d8cca069528511aef",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.Parse(amzDateFormat, tc.date)
			require.NoError(t, err)
			id := Identity{Secret: tc.secret, SessionToken: tc.token, Role: "r", InstanceID: "i-1", AccountID: "123"}
			s := &Server{Region: testRegion, Lookup: lookupOf(tc.akid, id), clock: func() time.Time { return at.Add(time.Minute) }}

			build := func(body, signature string) *http.Request {
				// For an https URL, NewRequest also sets r.TLS, as the server would.
				r := httptest.NewRequest(http.MethodPost, tc.url, strings.NewReader(body))
				r.Header.Set("User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1")
				r.Header.Set("X-Amz-Date", tc.date)
				r.Header.Set("X-Amz-Security-Token", tc.token)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+tc.akid+"/"+tc.date[:8]+
					"/ap-northeast-1/lambda/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="+signature)
				r.Header.Set("Amz-Sdk-Invocation-Id", "1d9bad91-7384-4415-9784-5e928e9a4501")
				r.Header.Set("Amz-Sdk-Request", "attempt=1")
				return r
			}

			_, _, aerr := s.authenticate(build(tc.body, tc.signature), []byte(tc.body))
			assert.Nil(t, aerr, "botocore's own signature must verify")

			_, _, aerr = s.authenticate(build(tc.body+" ", tc.signature), []byte(tc.body+" "))
			require.NotNil(t, aerr, "a changed body must not verify")
			assert.Equal(t, "InvalidSignatureException", aerr.code)

			flipped := []byte(tc.signature)
			flipped[0] ^= 1
			_, _, aerr = s.authenticate(build(tc.body, string(flipped)), []byte(tc.body))
			require.NotNil(t, aerr, "a changed signature must not verify")
			assert.Equal(t, "InvalidSignatureException", aerr.code)
		})
	}
}

func TestRoutingAndLambdaErrors(t *testing.T) {
	logs := &lockedBuffer{}
	s := newUnitServer(logs)
	srv := httptest.NewServer(s)
	defer srv.Close()

	t.Run("unknown path", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/hello-world"
		status, code, _, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "UnknownOperationException", code)
	})
	t.Run("GET on the invoke path", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/2015-03-31/functions/hello-world/invocations", nil)
		require.NoError(t, err)
		status, code, _, _ := send(t, req)
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "UnknownOperationException", code)
	})
	t.Run("unknown function, allowed", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/nope/invocations"
		status, code, msg, hdr := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "ResourceNotFoundException", code)
		assert.Equal(t, "Function not found: arn:aws:lambda:ap-northeast-1:123456789012:function:nope", msg)
		assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	})
	t.Run("unknown alias", func(t *testing.T) {
		sr := defaultSigned()
		sr.query = "Qualifier=prod"
		status, code, msg, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "ResourceNotFoundException", code)
		assert.Equal(t, "Function not found: "+helloARN+":prod", msg)
	})
	t.Run("qualifier in name and query disagree", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/hello-world%3A1/invocations"
		sr.query = "Qualifier=2"
		status, code, _, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "InvalidParameterValueException", code)
	})
	t.Run("function of another account", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/210987654321%3Afunction%3Ahello-world/invocations"
		status, code, msg, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "ResourceNotFoundException", code)
		assert.Contains(t, msg, "arn:aws:lambda:ap-northeast-1:210987654321:function:hello-world")
	})
	t.Run("invalid invocation type", func(t *testing.T) {
		sr := defaultSigned()
		sr.headers["X-Amz-Invocation-Type"] = "Later"
		status, code, _, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "InvalidParameterValueException", code)
	})
	t.Run("payload that is not JSON", func(t *testing.T) {
		sr := defaultSigned()
		delete(sr.headers, "X-Amz-Invocation-Type")
		sr.body = "{not json"
		status, code, _, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "InvalidRequestContentException", code)
	})
	t.Run("access denied", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/forbidden-fn/invocations"
		status, code, msg, _ := send(t, sr.build(t, srv.URL))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "AccessDeniedException", code)
		assert.Equal(t, "User: arn:aws:sts::123456789012:assumed-role/client-role/i-0123456789abcdef0 is not authorized to perform: "+
			"lambda:InvokeFunction on resource: arn:aws:lambda:ap-northeast-1:123456789012:function:forbidden-fn "+
			"because no identity-based policy allows the lambda:InvokeFunction action", msg)
		assert.NotContains(t, msg, "explicit test deny", "the reason stays in the log")
		assert.Contains(t, logs.String(), `result=403 AccessDeniedException reason="explicit test deny of forbidden-fn"`)
	})
	t.Run("unknown function, refused, is access denied", func(t *testing.T) {
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/nope/invocations"
		local := &Server{Region: testRegion, Lookup: s.Lookup, Functions: s.Functions,
			Authorize: func(Identity, Function) (bool, string) { return false, "nothing allowed" }}
		one := httptest.NewServer(local)
		defer one.Close()
		status, code, msg, _ := send(t, sr.build(t, one.URL))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "AccessDeniedException", code)
		assert.Contains(t, msg, "arn:aws:lambda:ap-northeast-1:123456789012:function:nope")
	})
	t.Run("no Authorize refuses", func(t *testing.T) {
		local := &Server{Region: testRegion, Lookup: lookupOf(testAKID, testIdentity()), Functions: s.Functions}
		one := httptest.NewServer(local)
		defer one.Close()
		status, code, _, _ := send(t, defaultSigned().build(t, one.URL))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "AccessDeniedException", code)
	})
	t.Run("no Lookup refuses", func(t *testing.T) {
		local := &Server{Region: testRegion, Authorize: allowAllBut(""), Functions: s.Functions}
		one := httptest.NewServer(local)
		defer one.Close()
		status, code, _, _ := send(t, defaultSigned().build(t, one.URL))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "UnrecognizedClientException", code)
	})
}

func TestParseFunctionRef(t *testing.T) {
	cases := []struct {
		in      string
		want    functionRef
		invalid bool
	}{
		{in: "hello-world", want: functionRef{name: "hello-world"}},
		{in: "hello-world:$LATEST", want: functionRef{name: "hello-world", qualifier: "$LATEST"}},
		{in: "123456789012:function:hello-world", want: functionRef{name: "hello-world", account: "123456789012"}},
		{in: "123456789012:function:hello-world:prod", want: functionRef{name: "hello-world", account: "123456789012", qualifier: "prod"}},
		{in: helloARN, want: functionRef{name: "hello-world", account: "123456789012", region: "ap-northeast-1"}},
		{in: helloARN + ":7", want: functionRef{name: "hello-world", account: "123456789012", region: "ap-northeast-1", qualifier: "7"}},
		{in: "", invalid: true},
		{in: "a b", invalid: true},
		{in: "hello-world:", invalid: true},
		{in: "12:function:hello-world", invalid: true},
		{in: helloARN + ":1:2", invalid: true},
		{in: "x:y:z", invalid: true},
		{in: strings.Repeat("a", 65), invalid: true},
	}
	for _, tc := range cases {
		got, err := parseFunctionRef(tc.in)
		if tc.invalid {
			if assert.NotNil(t, err, "%q must be refused", tc.in) {
				assert.Equal(t, "ValidationException", err.code)
			}
			continue
		}
		if assert.Nil(t, err, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
}
