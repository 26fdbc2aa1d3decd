package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewCAIsAOneDayP256CA(t *testing.T) {
	ca, err := NewCA("twin test CA")
	require.NoError(t, err)

	block, rest := pem.Decode(ca.CertPEM())
	require.NotNil(t, block, "CertPEM is not PEM")
	assert.Empty(t, rest)
	assert.Equal(t, "CERTIFICATE", block.Type)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)

	assert.True(t, cert.IsCA)
	assert.True(t, cert.BasicConstraintsValid)
	assert.NotZero(t, cert.KeyUsage&x509.KeyUsageCertSign)
	assert.Equal(t, "twin test CA", cert.Subject.CommonName)
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ok, "CA key is %T, want ECDSA", cert.PublicKey)
	assert.Equal(t, elliptic.P256(), pub.Curve)
	assert.WithinDuration(t, time.Now().Add(Validity), cert.NotAfter, time.Minute)
	assert.True(t, cert.NotBefore.Before(time.Now()))
	assert.NotEmpty(t, cert.SubjectKeyId)
	require.NoError(t, cert.CheckSignatureFrom(cert), "CA is not self-signed")

	// The caller's copy is its own.
	pemCopy := ca.CertPEM()
	pemCopy[0] = 'X'
	assert.Equal(t, byte('-'), ca.CertPEM()[0])
}

func TestNewCARejectsEmptyName(t *testing.T) {
	_, err := NewCA("")
	require.Error(t, err)
}

func TestIssueVerifiesAgainstTheCAOnly(t *testing.T) {
	ca, err := NewCA("twin test CA")
	require.NoError(t, err)
	other, err := NewCA("another CA")
	require.NoError(t, err)

	ip := netip.MustParseAddr("10.3.1.10")
	leaf, err := ca.Issue([]string{"lambda.ap-northeast-1.amazonaws.com"}, []netip.Addr{ip})
	require.NoError(t, err)
	require.NotNil(t, leaf.Leaf)
	require.Len(t, leaf.Certificate, 1)

	cert := leaf.Leaf
	assert.False(t, cert.IsCA)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, cert.ExtKeyUsage)
	assert.Equal(t, ca.Certificate().SubjectKeyId, cert.AuthorityKeyId)
	assert.False(t, cert.NotAfter.After(ca.Certificate().NotAfter))

	for _, name := range []string{"lambda.ap-northeast-1.amazonaws.com", "10.3.1.10"} {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool()})
		assert.NoError(t, err, "verify for %s", name)
	}
	_, err = cert.Verify(x509.VerifyOptions{DNSName: "elsewhere.example", Roots: ca.Pool()})
	assert.Error(t, err, "a name not in the certificate must not verify")
	_, err = cert.Verify(x509.VerifyOptions{DNSName: "10.3.1.10", Roots: other.Pool()})
	assert.Error(t, err, "another CA must not vouch for the leaf")
}

func TestIssueNeedsANameOrAddress(t *testing.T) {
	ca, err := NewCA("twin test CA")
	require.NoError(t, err)
	_, err = ca.Issue(nil, nil)
	require.Error(t, err)
	_, err = ca.Issue([]string{""}, nil)
	require.Error(t, err)
	_, err = ca.Issue(nil, []netip.Addr{{}})
	require.Error(t, err)
}

func TestIssuedCertificateServesTLS(t *testing.T) {
	ca, err := NewCA("twin test CA")
	require.NoError(t, err)
	leaf, err := ca.Issue(nil, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "ok", string(body))

	other, err := NewCA("another CA")
	require.NoError(t, err)
	stranger := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: other.Pool(), MinVersion: tls.VersionTLS12}}}
	_, err = stranger.Get(srv.URL)
	require.Error(t, err, "a client trusting another CA must refuse the server")
}
