package metadata

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)

func testInstance() Instance {
	return Instance{
		ID:        "i-0123456789abcdef0",
		Region:    "ap-northeast-1",
		AZ:        "ap-northeast-1a",
		AccountID: "123456789012",
		PrivateIP: netip.MustParseAddr("10.3.1.10"),
		Hostname:  "ip-10-3-1-10.ap-northeast-1.compute.internal",
		Role:      "client-role",
		Creds:     NewCredentials(t0),
	}
}

// clock is a settable time source for token expiry.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// do sends one request to h and returns status, body and headers.
func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, "http://169.254.169.254"+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(body), rec.Result().Header
}

// token fetches an IMDSv2 token.
func token(t *testing.T, h http.Handler, ttl string) string {
	t.Helper()
	code, body, hdr := do(t, h, http.MethodPut, "/latest/api/token", map[string]string{TokenTTLHeader: ttl})
	require.Equal(t, http.StatusOK, code, body)
	require.NotEmpty(t, body)
	assert.Equal(t, ttl, hdr.Get(TokenTTLHeader))
	return body
}

func TestTokenFlowWhenTokensAreRequired(t *testing.T) {
	in := testInstance()
	in.RequireToken = true
	c := &clock{t: t0}
	h := newService(in, c.now)

	code, _, _ := do(t, h, http.MethodGet, "/latest/meta-data/instance-id", nil)
	assert.Equal(t, http.StatusUnauthorized, code, "IMDSv1 must be refused when tokens are required")

	tok := token(t, h, "60")
	code, body, hdr := do(t, h, http.MethodGet, "/latest/meta-data/instance-id", map[string]string{TokenHeader: tok})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, in.ID, body)
	assert.Equal(t, "60", hdr.Get(TokenTTLHeader))

	code, _, _ = do(t, h, http.MethodGet, "/latest/meta-data/instance-id", map[string]string{TokenHeader: tok + "x"})
	assert.Equal(t, http.StatusUnauthorized, code, "a forged token must be refused")

	c.t = t0.Add(59 * time.Second)
	code, _, _ = do(t, h, http.MethodGet, "/latest/meta-data/instance-id", map[string]string{TokenHeader: tok})
	assert.Equal(t, http.StatusOK, code, "the token is still valid one second before it expires")

	c.t = t0.Add(60 * time.Second)
	code, _, _ = do(t, h, http.MethodGet, "/latest/meta-data/instance-id", map[string]string{TokenHeader: tok})
	assert.Equal(t, http.StatusUnauthorized, code, "an expired token must be refused")

	other := Handler(in)
	code, _, _ = do(t, other, http.MethodGet, "/latest/meta-data/instance-id", map[string]string{TokenHeader: token(t, h, "60")})
	assert.Equal(t, http.StatusUnauthorized, code, "a token is valid only with the service that issued it")
}

func TestIMDSv1IsServedWhenTokensAreOptional(t *testing.T) {
	h := Handler(testInstance())
	code, body, _ := do(t, h, http.MethodGet, "/latest/meta-data/local-ipv4", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "10.3.1.10", body)

	code, _, _ = do(t, h, http.MethodGet, "/latest/meta-data/local-ipv4", map[string]string{TokenHeader: "not-a-token"})
	assert.Equal(t, http.StatusUnauthorized, code, "an invalid token is refused even when IMDSv1 is allowed")
}

func TestTokenTTLBounds(t *testing.T) {
	cases := []struct {
		ttl  string
		want int
	}{
		{"", http.StatusBadRequest},
		{"0", http.StatusBadRequest},
		{"-1", http.StatusBadRequest},
		{"1", http.StatusOK},
		{"21600", http.StatusOK},
		{"21601", http.StatusBadRequest},
		{"ten", http.StatusBadRequest},
		{"1.5", http.StatusBadRequest},
	}
	h := Handler(testInstance())
	for _, tc := range cases {
		hdr := map[string]string{}
		if tc.ttl != "" {
			hdr[TokenTTLHeader] = tc.ttl
		}
		code, _, _ := do(t, h, http.MethodPut, "/latest/api/token", hdr)
		assert.Equal(t, tc.want, code, "ttl %q", tc.ttl)
	}
}

func TestTokenRequestThroughAProxyIsRefused(t *testing.T) {
	h := Handler(testInstance())
	code, body, _ := do(t, h, http.MethodPut, "/latest/api/token", map[string]string{
		TokenTTLHeader:    "60",
		"X-Forwarded-For": "10.3.1.99",
	})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Empty(t, body, "no token may be handed out")
}

func TestTokenPathWantsPut(t *testing.T) {
	h := Handler(testInstance())
	code, _, _ := do(t, h, http.MethodGet, "/latest/api/token", map[string]string{TokenTTLHeader: "60"})
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	code, _, _ = do(t, h, http.MethodPost, "/latest/meta-data/instance-id", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}

func TestRoleCredentialsDocument(t *testing.T) {
	in := testInstance()
	in.RequireToken = true
	h := Handler(in)
	tok := map[string]string{TokenHeader: token(t, h, "21600")}

	code, body, _ := do(t, h, http.MethodGet, "/latest/meta-data/iam/security-credentials/", tok)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "client-role", body)
	code, body, _ = do(t, h, http.MethodGet, "/latest/meta-data/iam/security-credentials", tok)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "client-role", body)

	code, body, hdr := do(t, h, http.MethodGet, "/latest/meta-data/iam/security-credentials/client-role", tok)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/plain", hdr.Get("Content-Type"))
	var doc map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &doc), body)
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, keys)
	assert.Equal(t, "Success", doc["Code"])
	assert.Equal(t, "AWS-HMAC", doc["Type"])
	assert.Equal(t, in.Creds.AccessKeyID, doc["AccessKeyId"])
	assert.Equal(t, in.Creds.SecretAccessKey, doc["SecretAccessKey"])
	assert.Equal(t, in.Creds.Token, doc["Token"])
	rfc3339UTC := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	assert.Regexp(t, rfc3339UTC, doc["Expiration"])
	assert.Regexp(t, rfc3339UTC, doc["LastUpdated"])
	exp, err := time.Parse(time.RFC3339, doc["Expiration"])
	require.NoError(t, err)
	assert.True(t, exp.Equal(in.Creds.Expiration), "Expiration %s, want %s", exp, in.Creds.Expiration)

	code, _, _ = do(t, h, http.MethodGet, "/latest/meta-data/iam/security-credentials/other-role", tok)
	assert.Equal(t, http.StatusNotFound, code, "another role's credentials do not exist")

	code, body, _ = do(t, h, http.MethodGet, "/latest/meta-data/iam/info", tok)
	require.Equal(t, http.StatusOK, code)
	var info map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &info), body)
	assert.Equal(t, "Success", info["Code"])
	assert.Equal(t, "arn:aws:iam::123456789012:instance-profile/client-role", info["InstanceProfileArn"])
	assert.Regexp(t, `^AIPA[A-Z2-7]{17}$`, info["InstanceProfileId"])
}

func TestNoRoleMeansNoIAMPaths(t *testing.T) {
	in := testInstance()
	in.Role = ""
	h := Handler(in)
	for _, p := range []string{
		"/latest/meta-data/iam/",
		"/latest/meta-data/iam/info",
		"/latest/meta-data/iam/security-credentials/",
		"/latest/meta-data/iam/security-credentials/client-role",
	} {
		code, _, _ := do(t, h, http.MethodGet, p, nil)
		assert.Equal(t, http.StatusNotFound, code, p)
	}
	_, body, _ := do(t, h, http.MethodGet, "/latest/meta-data/", nil)
	assert.NotContains(t, strings.Split(body, "\n"), "iam/")

	_, body, _ = do(t, Handler(testInstance()), http.MethodGet, "/latest/meta-data/", nil)
	assert.Contains(t, strings.Split(body, "\n"), "iam/", "with a role the listing shows iam/")
}

func TestInstanceFacts(t *testing.T) {
	in := testInstance()
	h := Handler(in)
	for path, want := range map[string]string{
		"/latest/meta-data/instance-id":                 "i-0123456789abcdef0",
		"/latest/meta-data/placement/availability-zone": "ap-northeast-1a",
		"/latest/meta-data/placement/region":            "ap-northeast-1",
		"/latest/meta-data/local-ipv4":                  "10.3.1.10",
		"/latest/meta-data/local-hostname":              "ip-10-3-1-10.ap-northeast-1.compute.internal",
		"/latest/meta-data/hostname":                    "ip-10-3-1-10.ap-northeast-1.compute.internal",
		"/latest/meta-data/instance-type":               DefaultInstanceType,
		"/latest/meta-data/placement/":                  "availability-zone\nregion",
		"/latest/dynamic/instance-identity/":            "document",
		"/latest/meta-data/iam/security-credentials/":   "client-role",
		"/latest/meta-data/services/partition":          "aws",
	} {
		code, body, _ := do(t, h, http.MethodGet, path, nil)
		assert.Equal(t, http.StatusOK, code, path)
		assert.Equal(t, want, body, path)
	}

	_, body, _ := do(t, h, http.MethodGet, "/latest/meta-data/", nil)
	for _, e := range []string{"instance-id", "local-ipv4", "local-hostname", "hostname", "placement/", "iam/"} {
		assert.Contains(t, strings.Split(body, "\n"), e, "listing")
	}

	code, body, _ := do(t, h, http.MethodGet, "/latest/dynamic/instance-identity/document", nil)
	require.Equal(t, http.StatusOK, code)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc), body)
	for k, want := range map[string]string{
		"accountId":        "123456789012",
		"architecture":     "x86_64",
		"availabilityZone": "ap-northeast-1a",
		"imageId":          DefaultImageID,
		"instanceId":       "i-0123456789abcdef0",
		"instanceType":     DefaultInstanceType,
		"privateIp":        "10.3.1.10",
		"region":           "ap-northeast-1",
		"version":          "2017-09-30",
	} {
		assert.Equal(t, want, doc[k], k)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	h := Handler(testInstance())
	for _, p := range []string{"/latest/meta-data/nope", "/latest/user-data", "/2009-04-04/meta-data/instance-id", "/latest/meta-data/iam/security-credentials/client-role/"} {
		code, _, _ := do(t, h, http.MethodGet, p, nil)
		assert.Equal(t, http.StatusNotFound, code, p)
	}
}

func TestNewCredentialsShape(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 4, 5, 678, time.FixedZone("JST", 9*3600))
	a := NewCredentials(now)
	b := NewCredentials(now)
	assert.Regexp(t, `^ASIA[A-Z2-7]{16}$`, a.AccessKeyID)
	assert.Len(t, a.SecretAccessKey, 40)
	assert.Greater(t, len(a.Token), 100)
	assert.Equal(t, time.UTC, a.Expiration.Location())
	assert.True(t, a.Expiration.Equal(now.Add(6*time.Hour).Truncate(time.Second)), "expiration %s", a.Expiration)
	assert.NotEqual(t, a.AccessKeyID, b.AccessKeyID)
	assert.NotEqual(t, a.SecretAccessKey, b.SecretAccessKey)
	assert.NotEqual(t, a.Token, b.Token)
}
