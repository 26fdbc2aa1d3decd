package lambdaapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signingService is the SigV4 service name of the Lambda API.
const signingService = "lambda"

// maxSkew is how far a request's X-Amz-Date may be from the server's clock.
const maxSkew = 5 * time.Minute

// amzDateFormat is the layout of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	accessKeyID   string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	terminator    string
	signedHeaders []string // lower-case, as the client listed them
	signature     string
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…".
func parseAuthorization(h string) (authorization, *apiError) {
	const algorithm = "AWS4-HMAC-SHA256"
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return authorization{}, frontError(http.StatusForbidden, "IncompleteSignatureException",
			fmt.Sprintf("Unsupported AWS 'algorithm': '%s'. Only '%s' is supported.", alg, algorithm))
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		fields[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return authorization{}, frontError(http.StatusForbidden, "IncompleteSignatureException",
			strings.Join(missing, " ")+" Authorization="+h)
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" {
		return authorization{}, frontError(http.StatusForbidden, "IncompleteSignatureException",
			fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", fields["Credential"]))
	}
	return authorization{
		accessKeyID:   scope[0],
		date:          scope[1],
		region:        scope[2],
		service:       scope[3],
		terminator:    scope[4],
		signedHeaders: strings.Split(fields["SignedHeaders"], ";"),
		signature:     fields["Signature"],
	}, nil
}

// authenticate checks r's SigV4 signature over body and returns the
// caller's access key id and identity.
func (s *Server) authenticate(r *http.Request, body []byte) (string, Identity, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", Identity{}, frontError(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	auth, aerr := parseAuthorization(h)
	if aerr != nil {
		return "", Identity{}, aerr
	}
	akid := auth.accessKeyID

	if auth.terminator != "aws4_request" {
		return akid, Identity{}, invalidSignature(fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", auth.terminator))
	}
	if auth.service != signingService {
		return akid, Identity{}, invalidSignature(fmt.Sprintf("Credential should be scoped to correct service: '%s'.", signingService))
	}
	if auth.region != s.Region {
		return akid, Identity{}, invalidSignature("Credential should be scoped to a valid region.")
	}
	if !slices.Contains(auth.signedHeaders, "host") {
		return akid, Identity{}, invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" || !slices.Contains(auth.signedHeaders, "x-amz-date") {
		return akid, Identity{}, frontError(http.StatusForbidden, "IncompleteSignatureException",
			"Authorization header requires existence of a signed 'X-Amz-Date' header.")
	}
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return akid, Identity{}, frontError(http.StatusForbidden, "IncompleteSignatureException",
			fmt.Sprintf("X-Amz-Date '%s' is not an ISO-8601 basic date-time.", amzDate))
	}
	if auth.date != amzDate[:8] {
		return akid, Identity{}, invalidSignature(fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			auth.date, amzDate[:8], amzDate))
	}
	now := s.now().UTC()
	if signedAt.Before(now.Add(-maxSkew)) {
		return akid, Identity{}, invalidSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if signedAt.After(now.Add(maxSkew)) {
		return akid, Identity{}, invalidSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}

	if s.Lookup == nil {
		return akid, Identity{}, unrecognizedClient()
	}
	id, ok := s.Lookup(akid)
	if !ok {
		return akid, Identity{}, unrecognizedClient()
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if subtle.ConstantTimeCompare([]byte(token), []byte(id.SessionToken)) != 1 {
		return akid, id, unrecognizedClient()
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return akid, id, invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	want, err := expectedAuthorization(r, auth, id, payloadHash, signedAt)
	if err != nil {
		return akid, id, invalidSignature(err.Error())
	}
	// The signature covers the SignedHeaders list too: equal signatures
	// mean equal lists.
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth.signature)) != 1 {
		return akid, id, invalidSignature("The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return akid, id, nil
}

// expectedAuthorization signs a copy of r that carries only the headers the
// client said it signed, with the caller's secret, at the client's time and
// in the client's credential scope, and returns the resulting signature.
// payloadHash is the hex SHA-256 of the body the server received.
//
// The SDK signer canonicalises the copy the way botocore and the Go SDK do
// on their side: the path as sent on the wire, escaped once more (the double
// escaping every service but S3 uses, so "arn%3Aaws" becomes "arn%253Aaws");
// the query decoded, re-encoded with %20 for spaces and sorted; header values
// trimmed; host from the Host header, without a default port; content-length
// only when the client signed it and the body is not empty. A client that
// signs a header the SDK signer always leaves out (user-agent, expect,
// transfer-encoding, x-amzn-trace-id) or "content-length: 0" cannot be
// verified; neither botocore nor the Go SDK does.
func expectedAuthorization(r *http.Request, auth authorization, id Identity, payloadHash string, signedAt time.Time) (string, error) {
	u := *r.URL
	u.Scheme = "http"
	if r.TLS != nil {
		u.Scheme = "https"
	}
	u.Host = r.Host
	cp := &http.Request{
		Method: r.Method,
		URL:    &u,
		Host:   r.Host,
		Header: http.Header{},
	}

	creds := aws.Credentials{AccessKeyID: auth.accessKeyID, SecretAccessKey: id.Secret}
	for _, name := range auth.signedHeaders {
		switch name {
		case "host":
			continue
		case "content-length":
			// The signer signs the request's length itself, when there is one.
			cp.ContentLength = r.ContentLength
			continue
		case "x-amz-security-token":
			// The signer adds the token from the credentials.
			creds.SessionToken = id.SessionToken
		}
		values := r.Header.Values(name)
		if len(values) == 0 {
			return "", fmt.Errorf("signed header '%s' is not in the request", name)
		}
		cp.Header[textproto.CanonicalMIMEHeaderKey(name)] = values
	}

	err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, payloadHash, signingService, auth.region, signedAt)
	if err != nil {
		return "", fmt.Errorf("lambdaapi: recompute signature: %w", err)
	}
	got, perr := parseAuthorization(cp.Header.Get("Authorization"))
	if perr != nil {
		return "", fmt.Errorf("lambdaapi: read back own signature: %s", perr.message)
	}
	return got.signature, nil
}

func invalidSignature(msg string) *apiError {
	return frontError(http.StatusForbidden, "InvalidSignatureException", msg)
}

func unrecognizedClient() *apiError {
	return frontError(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
}
