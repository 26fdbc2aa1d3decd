// Package lambdaapi serves the Lambda Invoke API of the twin: the HTTPS API
// behind lambda.<region>.amazonaws.com that the interface VPC endpoint
// answers inside the VPC. It authenticates callers by their SigV4 signature
// (with the credentials the twin's instance metadata service handed out),
// asks the caller-supplied IAM evaluation whether the principal may invoke
// the function, and runs the function's Node.js code with the local node
// binary, answering as Lambda does, so the real AWS CLI and SDKs work
// against it unchanged.
//
// Only POST /2015-03-31/functions/{FunctionName}/invocations is served; the
// caller opens the listener (in the endpoint's network namespace) and
// serves a *Server on it.
package lambdaapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Identity is who a set of temporary credentials belongs to: the instance
// role session the twin's metadata service handed them to.
type Identity struct {
	// Secret is the secret access key that signs the caller's requests.
	Secret string
	// SessionToken must accompany every request made with the key.
	SessionToken string
	// Role is the name of the assumed role.
	Role string
	// InstanceID is the role session's name (EC2 names it after the instance).
	InstanceID string
	// AccountID is the account of the role.
	AccountID string
}

// PrincipalARN is the STS assumed-role ARN of the identity, as IAM names the
// caller in its messages.
func (id Identity) PrincipalARN() string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", id.AccountID, id.Role, id.InstanceID)
}

// Function is one deployed function.
type Function struct {
	// Name is the function's name, e.g. hello-world.
	Name string
	// ARN is the unqualified function ARN,
	// arn:aws:lambda:<region>:<account>:function:<name>.
	ARN string
	// Runtime is the Lambda runtime id, e.g. nodejs20.x; only Node.js
	// runtimes (or "") can run in the twin.
	Runtime string
	// Handler is "<module>.<export>", e.g. index.handler.
	Handler string
	// Code maps file names (relative, slash-separated) to their source.
	Code map[string]string
	// Timeout is the function's timeout; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is Lambda's default function timeout.
const DefaultTimeout = 3 * time.Second

// maxPayload is the largest synchronous request or response payload Lambda
// accepts (6 MB).
const maxPayload = 6 * 1024 * 1024

// Server is the Lambda Invoke API. Set the exported fields before serving;
// do not copy a Server after first use.
type Server struct {
	// Region is the region the API serves; requests signed for another
	// region are refused.
	Region string
	// Lookup finds the identity behind an access key id: the credentials the
	// twin's instance metadata service handed out. Nil refuses everyone.
	Lookup func(accessKeyID string) (Identity, bool)
	// Authorize is the IAM evaluation: may id invoke fn? The reason is
	// logged, not sent. Nil refuses every invocation.
	Authorize func(id Identity, fn Function) (ok bool, reason string)
	// Functions are the deployed functions.
	Functions []Function
	// Node is the node binary; "" means "node" on PATH.
	Node string
	// Log receives one line per call; nil discards.
	Log io.Writer

	// clock replaces time.Now in tests.
	clock func() time.Time

	logMu sync.Mutex
	bg    sync.WaitGroup
}

// Wait blocks until every asynchronous (Event) invocation has finished.
// Call it after the listener is closed, when no new request can start one.
func (s *Server) Wait() {
	s.bg.Wait()
}

func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// invokePath matches the Invoke operation's path (already unescaped).
var invokePath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations$`)

// ServeHTTP answers one Lambda API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	c := &call{reqID: reqID, who: "anonymous", function: "-"}
	s.serve(w, r, c)
	s.logf("lambda %s caller=%s function=%s result=%s%s", reqID, c.who, c.function, c.result, c.reason)
}

// call is what the log line of one request reports.
type call struct {
	reqID    string
	who      string
	function string
	result   string
	reason   string
}

// serve handles the request, recording what happened in c: route, read,
// authenticate, authorise, look up, invoke.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c *call) {
	m := invokePath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost {
		s.fail(w, c, &apiError{status: http.StatusNotFound, code: "UnknownOperationException", message: "Unknown operation " + r.Method + " " + r.URL.Path, typed: true})
		return
	}
	c.function = m[1]

	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		s.fail(w, c, &apiError{status: http.StatusBadRequest, code: "InvalidRequestContentException", message: "Could not read request body: " + err.Error(), typed: true})
		return
	}
	if len(body) > maxPayload {
		s.fail(w, c, &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestTooLargeException",
			message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxPayload), typed: true})
		return
	}

	akid, id, aerr := s.authenticate(r, body)
	if aerr != nil {
		if akid != "" {
			c.who = "key:" + akid
		}
		s.fail(w, c, aerr)
		return
	}
	c.who = id.PrincipalARN()

	ref, perr := parseFunctionRef(m[1])
	if perr != nil {
		s.fail(w, c, perr)
		return
	}
	qualifier := r.URL.Query().Get("Qualifier")
	if ref.qualifier != "" {
		if qualifier != "" && qualifier != ref.qualifier {
			s.fail(w, c, &apiError{status: http.StatusBadRequest, code: "InvalidParameterValueException",
				message: "The derived qualifier from the function name does not match the specified qualifier.", typed: true})
			return
		}
		qualifier = ref.qualifier
	}

	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	switch invocationType {
	case "":
		invocationType = "RequestResponse"
	case "RequestResponse", "Event", "DryRun":
	default:
		s.fail(w, c, &apiError{status: http.StatusBadRequest, code: "InvalidParameterValueException",
			message: fmt.Sprintf("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", invocationType), typed: true})
		return
	}

	// IAM decides on the resource before Lambda looks the function up: a
	// caller not allowed to invoke a name learns nothing about whether it
	// exists.
	fn, found := s.resolve(ref, id)
	resource := fn.ARN
	if qualifier != "" {
		resource += ":" + qualifier
	}
	c.function = resource
	if ok, reason := s.authorize(id, fn); !ok {
		c.reason = " reason=" + quoteReason(reason)
		s.fail(w, c, &apiError{status: http.StatusForbidden, code: "AccessDeniedException",
			message: fmt.Sprintf("User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s because no identity-based policy allows the lambda:InvokeFunction action",
				id.PrincipalARN(), resource),
			capital: true})
		return
	}
	if !found || (qualifier != "" && qualifier != "$LATEST") {
		s.fail(w, c, &apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: "Function not found: " + resource, typed: true})
		return
	}

	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		s.fail(w, c, &apiError{status: http.StatusBadRequest, code: "InvalidRequestContentException",
			message: "Could not parse request body into json: the payload is not valid JSON", typed: true})
		return
	}
	var clientContext json.RawMessage
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		raw, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(raw) {
			s.fail(w, c, &apiError{status: http.StatusBadRequest, code: "InvalidRequestContentException",
				message: "Client context must be a valid Base64-encoded JSON object.", typed: true})
			return
		}
		clientContext = raw
	}

	inv := invocation{
		fn:            fn,
		reqID:         c.reqID,
		invokedARN:    resource,
		event:         body,
		clientContext: clientContext,
	}
	switch invocationType {
	case "DryRun":
		c.result = "204 dry-run"
		w.WriteHeader(http.StatusNoContent)
	case "Event":
		c.result = "202 queued"
		who := c.who
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			out := s.run(inv)
			s.logf("lambda %s caller=%s function=%s result=async %s", inv.reqID, who, resource, out.summary)
		}()
		w.WriteHeader(http.StatusAccepted)
	default:
		out := s.run(inv)
		c.result = out.summary
		s.respond(w, r, out)
	}
}

// respond writes a synchronous invocation's outcome.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, out outcome) {
	if out.serviceErr != nil {
		writeError(w, out.serviceErr)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	if out.functionError != "" {
		h.Set("X-Amz-Function-Error", out.functionError)
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(lastBytes(out.logs, 4096)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.payload)
}

// authorize runs s.Authorize, refusing when there is none.
func (s *Server) authorize(id Identity, fn Function) (bool, string) {
	if s.Authorize == nil {
		return false, "lambdaapi: no Authorize function configured"
	}
	return s.Authorize(id, fn)
}

// functionRef is a FunctionName as the API accepts it: a name, a partial
// ARN (account:function:name) or a full ARN, each optionally with
// ":qualifier".
type functionRef struct {
	name, account, region, qualifier string
}

var (
	namePattern      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	qualifierPattern = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]{1,128})$`)
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
)

// parseFunctionRef splits a FunctionName into its parts.
func parseFunctionRef(s string) (functionRef, *apiError) {
	invalid := &apiError{status: http.StatusBadRequest, code: "ValidationException", typed: false,
		message: fmt.Sprintf("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", s)}
	parts := strings.Split(s, ":")
	var ref functionRef
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		if len(parts) > 8 {
			return functionRef{}, invalid
		}
		ref = functionRef{region: parts[3], account: parts[4], name: parts[6]}
		if len(parts) == 8 {
			ref.qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return functionRef{}, invalid
		}
		ref = functionRef{account: parts[0], name: parts[2]}
		if len(parts) == 4 {
			ref.qualifier = parts[3]
		}
	case len(parts) <= 2:
		ref = functionRef{name: parts[0]}
		if len(parts) == 2 {
			ref.qualifier = parts[1]
		}
	default:
		return functionRef{}, invalid
	}
	hasQualifier := len(parts) == 2 || len(parts) == 4 || len(parts) == 8
	switch {
	case !namePattern.MatchString(ref.name),
		ref.account != "" && !accountPattern.MatchString(ref.account),
		hasQualifier && !qualifierPattern.MatchString(ref.qualifier):
		return functionRef{}, invalid
	}
	return ref, nil
}

// resolve finds the function ref names. When there is none it returns a
// stand-in with the ARN the name would have, for IAM and the error message.
func (s *Server) resolve(ref functionRef, caller Identity) (Function, bool) {
	region := ref.region
	if region == "" {
		region = s.Region
	}
	account := ref.account
	if account == "" {
		account = caller.AccountID
	}
	want := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, ref.name)
	for _, fn := range s.Functions {
		if fn.Name != ref.name {
			continue
		}
		arn := fn.ARN
		if arn == "" {
			arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.Region, caller.AccountID, fn.Name)
		}
		if arnAccount(arn) != account || arnRegion(arn) != region {
			continue
		}
		fn.ARN = arn
		return fn, true
	}
	return Function{Name: ref.name, ARN: want}, false
}

// arnRegion and arnAccount pick fields out of arn:partition:service:region:account:….
func arnRegion(arn string) string  { return arnField(arn, 3) }
func arnAccount(arn string) string { return arnField(arn, 4) }

func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[i]
}

// apiError is an error response of the Lambda API.
type apiError struct {
	status  int
	code    string // x-amzn-ErrorType
	message string
	typed   bool // body carries "Type":"User"
	capital bool // body spells "Message"
	service bool // a service-side fault ("Type":"Service")
}

// frontError is an error of the API's front door (authentication), whose
// body carries only a message.
func frontError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// fail writes e and records it for the log line.
func (s *Server) fail(w http.ResponseWriter, c *call, e *apiError) {
	c.result = fmt.Sprintf("%d %s", e.status, e.code)
	writeError(w, e)
}

// writeError writes an error response the way Lambda does.
func writeError(w http.ResponseWriter, e *apiError) {
	var body any
	switch {
	case e.capital:
		body = struct {
			Message string `json:"Message"`
		}{e.message}
	case e.typed || e.service:
		typ := "User"
		if e.service {
			typ = "Service"
		}
		body = struct {
			Type    string `json:"Type"`
			Message string `json:"message"`
		}{typ, e.message}
	default:
		body = struct {
			Message string `json:"message"`
		}{e.message}
	}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// logf writes one line to s.Log.
func (s *Server) logf(format string, args ...any) {
	if s.Log == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	_, _ = io.WriteString(s.Log, line+"\n")
}

// quoteReason keeps a reason on one log line.
func quoteReason(reason string) string {
	if reason == "" {
		reason = "(none given)"
	}
	b, err := json.Marshal(reason)
	if err != nil {
		return `"?"`
	}
	return string(b)
}

// newRequestID returns a random UUID (version 4), the shape of Lambda's
// request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// lastBytes returns at most n bytes from the end of b.
func lastBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}
