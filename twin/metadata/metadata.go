// Package metadata serves the EC2 instance metadata service (IMDS) of one
// instance of the twin: the paths under http://169.254.169.254/latest/ that
// the AWS SDKs and CLI read to find the instance's region, identity and the
// temporary credentials of its instance profile's role.
//
// Both versions of the protocol are served as AWS documents them. IMDSv2: a
// PUT to /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds returns
// a session token, later requests carry it in X-aws-ec2-metadata-token.
// IMDSv1 (no token) is served only when the instance does not require tokens.
//
// The caller opens the listener inside the instance's network namespace and
// serves Handler on it; the package opens no sockets.
package metadata

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the IMDSv2 session protocol.
const (
	// TokenHeader carries the session token on metadata requests.
	TokenHeader = "X-aws-ec2-metadata-token"
	// TokenTTLHeader carries the requested (PUT) or remaining (GET) token
	// lifetime in seconds.
	TokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"
)

// MaxTokenTTL is the longest lifetime a session token may ask for, in
// seconds (six hours).
const MaxTokenTTL = 21600

// Defaults for the fields of Instance that may be left empty.
const (
	DefaultInstanceType = "t3.micro"
	DefaultImageID      = "ami-0a1b2c3d4e5f60718"
	DefaultArchitecture = "x86_64"
)

// Instance is what the metadata service knows about the instance it serves.
type Instance struct {
	// ID is the instance id (i-…).
	ID string
	// Region is the region code, e.g. ap-northeast-1.
	Region string
	// AZ is the availability zone, e.g. ap-northeast-1a.
	AZ string
	// AccountID is the owning account's 12-digit id.
	AccountID string
	// PrivateIP is the primary private IPv4 address.
	PrivateIP netip.Addr
	// Hostname is the private DNS name, e.g.
	// ip-10-3-1-10.ap-northeast-1.compute.internal.
	Hostname string
	// Role is the name of the instance profile's role; "" means the instance
	// has no instance profile, and the iam/ paths do not exist.
	Role string
	// InstanceProfile is the instance profile's name; it defaults to Role.
	InstanceProfile string
	// Creds are the role's current temporary credentials.
	Creds Credentials
	// RequireToken is the instance's httpTokens=required setting: only
	// IMDSv2 requests (with a session token) are served.
	RequireToken bool
	// InstanceType defaults to DefaultInstanceType.
	InstanceType string
	// ImageID is the AMI id; it defaults to DefaultImageID.
	ImageID string
}

// Handler returns the metadata service of in. Session tokens are kept in
// memory by the returned handler and are valid only with it.
func Handler(in Instance) http.Handler {
	return newService(in, time.Now)
}

// service is the http.Handler behind Handler.
type service struct {
	in      Instance
	now     func() time.Time
	updated time.Time // LastUpdated of the credentials

	mu     sync.Mutex
	tokens map[string]time.Time // token → expiry
}

func newService(in Instance, now func() time.Time) *service {
	if in.InstanceType == "" {
		in.InstanceType = DefaultInstanceType
	}
	if in.ImageID == "" {
		in.ImageID = DefaultImageID
	}
	if in.InstanceProfile == "" {
		in.InstanceProfile = in.Role
	}
	return &service{
		in:      in,
		now:     now,
		updated: now().UTC().Truncate(time.Second),
		tokens:  map[string]time.Time{},
	}
}

// ServeHTTP answers one metadata request.
func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "EC2ws")
	if r.URL.Path == "/latest/api/token" {
		s.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		plain(w, http.StatusMethodNotAllowed, "")
		return
	}

	// A token, when present, must be valid even if IMDSv1 is allowed.
	if tok := r.Header.Get(TokenHeader); tok != "" {
		left, ok := s.checkToken(tok)
		if !ok {
			plain(w, http.StatusUnauthorized, "")
			return
		}
		w.Header().Set(TokenTTLHeader, strconv.Itoa(left))
	} else if s.in.RequireToken {
		plain(w, http.StatusUnauthorized, "")
		return
	}

	body, ok := s.lookup(r.URL.Path)
	if !ok {
		plain(w, http.StatusNotFound, notFoundPage)
		return
	}
	plain(w, http.StatusOK, body)
}

// serveToken issues an IMDSv2 session token.
func (s *service) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		plain(w, http.StatusMethodNotAllowed, "")
		return
	}
	// A PUT that went through a proxy is refused: tokens must not leave
	// the instance.
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		plain(w, http.StatusForbidden, "")
		return
	}
	ttl, err := strconv.Atoi(strings.TrimSpace(r.Header.Get(TokenTTLHeader)))
	if err != nil || ttl < 1 || ttl > MaxTokenTTL {
		plain(w, http.StatusBadRequest, "")
		return
	}
	tok := randomBase64(42)
	s.mu.Lock()
	now := s.now()
	for t, exp := range s.tokens { // drop expired tokens as we go
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(time.Duration(ttl) * time.Second)
	s.mu.Unlock()
	w.Header().Set(TokenTTLHeader, strconv.Itoa(ttl))
	plain(w, http.StatusOK, tok)
}

// checkToken reports whether tok is a live token and how many whole seconds
// it has left.
func (s *service) checkToken(tok string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if !ok {
		return 0, false
	}
	left := exp.Sub(s.now())
	if left <= 0 {
		delete(s.tokens, tok)
		return 0, false
	}
	return int((left + time.Second - 1) / time.Second), true
}

// notFoundPage is the body IMDS sends with a 404.
const notFoundPage = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`

// lookup returns the body served at path.
func (s *service) lookup(path string) (string, bool) {
	in := s.in
	hasRole := in.Role != ""
	p := strings.TrimSuffix(path, "/")

	switch p {
	case "", "/":
		return "latest", true
	case "/latest":
		return listing("dynamic/", "meta-data/"), true
	case "/latest/meta-data":
		entries := []string{"ami-id", "hostname"}
		if hasRole {
			entries = append(entries, "iam/")
		}
		entries = append(entries, "instance-id", "instance-type", "local-hostname", "local-ipv4", "placement/", "services/")
		return listing(entries...), true
	case "/latest/meta-data/ami-id":
		return in.ImageID, true
	case "/latest/meta-data/instance-id":
		return in.ID, true
	case "/latest/meta-data/instance-type":
		return in.InstanceType, true
	case "/latest/meta-data/hostname", "/latest/meta-data/local-hostname":
		return in.Hostname, true
	case "/latest/meta-data/local-ipv4":
		if !in.PrivateIP.IsValid() {
			return "", false
		}
		return in.PrivateIP.String(), true
	case "/latest/meta-data/placement":
		return listing("availability-zone", "region"), true
	case "/latest/meta-data/placement/availability-zone":
		return in.AZ, true
	case "/latest/meta-data/placement/region":
		return in.Region, true
	case "/latest/meta-data/services":
		return listing("domain", "partition"), true
	case "/latest/meta-data/services/domain":
		return "amazonaws.com", true
	case "/latest/meta-data/services/partition":
		return "aws", true
	case "/latest/dynamic":
		return listing("instance-identity/"), true
	case "/latest/dynamic/instance-identity":
		return listing("document"), true
	case "/latest/dynamic/instance-identity/document":
		return s.identityDocument(), true
	}

	if !hasRole {
		return "", false
	}
	switch p {
	case "/latest/meta-data/iam":
		return listing("info", "security-credentials/"), true
	case "/latest/meta-data/iam/info":
		return s.iamInfo(), true
	case "/latest/meta-data/iam/security-credentials":
		return in.Role, true
	case "/latest/meta-data/iam/security-credentials/" + in.Role:
		// Only the exact name: "…/security-credentials/<role>/" is not it.
		if strings.HasSuffix(path, "/") {
			return "", false
		}
		return s.roleCredentials(), true
	}
	return "", false
}

// listing is a directory body: one entry a line, sub-directories with a
// trailing slash.
func listing(entries ...string) string {
	return strings.Join(entries, "\n")
}

// identityDocument is the body of /latest/dynamic/instance-identity/document.
func (s *service) identityDocument() string {
	in := s.in
	ip := ""
	if in.PrivateIP.IsValid() {
		ip = in.PrivateIP.String()
	}
	doc := struct {
		AccountID               string  `json:"accountId"`
		Architecture            string  `json:"architecture"`
		AvailabilityZone        string  `json:"availabilityZone"`
		BillingProducts         *string `json:"billingProducts"`
		DevpayProductCodes      *string `json:"devpayProductCodes"`
		MarketplaceProductCodes *string `json:"marketplaceProductCodes"`
		ImageID                 string  `json:"imageId"`
		InstanceID              string  `json:"instanceId"`
		InstanceType            string  `json:"instanceType"`
		KernelID                *string `json:"kernelId"`
		PendingTime             string  `json:"pendingTime"`
		PrivateIP               string  `json:"privateIp"`
		RamdiskID               *string `json:"ramdiskId"`
		Region                  string  `json:"region"`
		Version                 string  `json:"version"`
	}{
		AccountID:        in.AccountID,
		Architecture:     DefaultArchitecture,
		AvailabilityZone: in.AZ,
		ImageID:          in.ImageID,
		InstanceID:       in.ID,
		InstanceType:     in.InstanceType,
		PendingTime:      s.updated.Format(time.RFC3339),
		PrivateIP:        ip,
		Region:           in.Region,
		Version:          "2017-09-30",
	}
	return indentJSON(doc)
}

// iamInfo is the body of /latest/meta-data/iam/info.
func (s *service) iamInfo() string {
	info := struct {
		Code               string
		LastUpdated        string
		InstanceProfileArn string
		InstanceProfileID  string `json:"InstanceProfileId"`
	}{
		Code:               "Success",
		LastUpdated:        s.updated.Format(time.RFC3339),
		InstanceProfileArn: fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", s.in.AccountID, s.in.InstanceProfile),
		InstanceProfileID:  "AIPA" + stableID(s.in.AccountID+"/"+s.in.InstanceProfile),
	}
	return indentJSON(info)
}

// roleCredentials is the body of /latest/meta-data/iam/security-credentials/<role>.
func (s *service) roleCredentials() string {
	c := s.in.Creds
	doc := struct {
		Code            string
		LastUpdated     string
		Type            string
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      string
	}{
		Code:            "Success",
		LastUpdated:     s.updated.Format(time.RFC3339),
		Type:            "AWS-HMAC",
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.Token,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	}
	return indentJSON(doc)
}

// indentJSON renders v the way IMDS does, two-space indented.
func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only fixed struct types of strings reach here.
		panic("metadata: encode JSON: " + err.Error())
	}
	return string(b)
}

// stableID derives 17 id characters from s, so that the same profile always
// gets the same id.
func stableID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return keyAlphabet.EncodeToString(sum[:])[:17]
}

// plain writes a text/plain response, as IMDS sends for every path.
func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
