// Package pki is the twin's own certificate authority: it issues the server
// certificates that the twin's HTTPS services (the Lambda interface endpoint,
// the load balancer's listeners) present, so that clients inside the twin's
// namespaces can verify them against one bundle the twin hands them.
//
// Everything stays in memory: the package writes nothing to disk. A CA lives
// for one day, long enough for a run of the twin and short enough that a
// leaked bundle is worthless soon after.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"time"
)

// Validity is how long the CA and every certificate it issues stay valid.
const Validity = 24 * time.Hour

// backdate moves NotBefore into the past so that a client whose clock is a
// little behind the twin's still accepts a certificate issued just now.
const backdate = 5 * time.Minute

// CA is an in-memory certificate authority with an ECDSA P-256 key. It is
// safe for concurrent use.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// NewCA creates a self-signed CA whose subject common name is name.
func NewCA(name string) (*CA, error) {
	if name == "" {
		return nil, errors.New("pki: CA name is empty")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	ski, err := keyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"internal-alb twin"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: self-sign CA %q: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse CA certificate: %w", err)
	}
	return &CA{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// CertPEM returns the CA certificate in PEM form, ready to be written into a
// client's CA bundle (AWS_CA_BUNDLE, curl's --cacert). The caller gets its
// own copy.
func (c *CA) CertPEM() []byte {
	return append([]byte(nil), c.certPEM...)
}

// Certificate returns the parsed CA certificate.
func (c *CA) Certificate() *x509.Certificate {
	return c.cert
}

// Pool returns a certificate pool that trusts only this CA, for Go clients.
func (c *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.cert)
	return pool
}

// Issue returns a server certificate (ECDSA P-256, TLS server authentication)
// for the given DNS names and IP addresses, signed by the CA. At least one
// name or address is required; the first one becomes the subject's common
// name. The returned tls.Certificate carries the leaf and its parsed form.
func (c *CA) Issue(dnsNames []string, ips []netip.Addr) (tls.Certificate, error) {
	if len(dnsNames) == 0 && len(ips) == 0 {
		return tls.Certificate{}, errors.New("pki: issue: no DNS name and no IP address")
	}
	netIPs := make([]net.IP, 0, len(ips))
	for _, ip := range ips {
		if !ip.IsValid() {
			return tls.Certificate{}, errors.New("pki: issue: invalid IP address")
		}
		netIPs = append(netIPs, net.IP(ip.Unmap().AsSlice()))
	}
	for _, n := range dnsNames {
		if n == "" {
			return tls.Certificate{}, errors.New("pki: issue: empty DNS name")
		}
	}
	cn := ""
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	} else {
		cn = ips[0].String()
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: generate key for %s: %w", cn, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	ski, err := keyID(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	notAfter := now.Add(Validity)
	if notAfter.After(c.cert.NotAfter) {
		notAfter = c.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              append([]string(nil), dnsNames...),
		IPAddresses:           netIPs,
		SubjectKeyId:          ski,
		AuthorityKeyId:        c.cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: sign certificate for %s: %w", cn, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: parse certificate for %s: %w", cn, err)
	}
	return tls.Certificate{
		Certificate: [][]byte{der},
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}

// randomSerial returns a positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// keyID is the subject key identifier of RFC 5280 §4.2.1.2, method 1: the
// SHA-1 of the subject public key's bits (for EC keys, the encoded point).
func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	point, err := pub.ECDH()
	if err != nil {
		return nil, fmt.Errorf("pki: encode public key: %w", err)
	}
	sum := sha1.Sum(point.Bytes())
	return sum[:], nil
}
