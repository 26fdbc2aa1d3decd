package metadata

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"time"
)

// CredentialLifetime is how long the temporary credentials of an instance
// role stay valid, as EC2 hands them out.
const CredentialLifetime = 6 * time.Hour

// Credentials are the temporary security credentials that the instance
// profile's role gives the instance, as STS would issue them.
type Credentials struct {
	// AccessKeyID is the temporary access key id (ASIA…).
	AccessKeyID string
	// SecretAccessKey signs requests; it never travels on the wire.
	SecretAccessKey string
	// Token is the session token that accompanies every signed request.
	Token string
	// Expiration is when the credentials stop being accepted.
	Expiration time.Time
}

// NewCredentials returns fresh random credentials shaped like STS's: a
// 20-character access key id starting with ASIA, a 40-character secret, a
// long session token, expiring CredentialLifetime after now (to the second,
// in UTC). It panics only if the system's random source fails.
func NewCredentials(now time.Time) Credentials {
	return Credentials{
		AccessKeyID:     "ASIA" + randomKeyChars(16),
		SecretAccessKey: randomBase64(30),
		Token:           "IQoJb3JpZ2luX2Vj" + randomBase64(240),
		Expiration:      now.Add(CredentialLifetime).UTC().Truncate(time.Second),
	}
}

// keyAlphabet is the alphabet of AWS access key ids: upper-case letters and
// the digits 2–7.
var keyAlphabet = base32.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").WithPadding(base32.NoPadding)

// randomKeyChars returns n random characters of keyAlphabet.
func randomKeyChars(n int) string {
	return keyAlphabet.EncodeToString(randomBytes(n))[:n]
}

// randomBase64 returns the standard base64 encoding of n random bytes.
func randomBase64(n int) string {
	return base64.StdEncoding.EncodeToString(randomBytes(n))
}

// randomBytes returns n bytes from the system's random source; crypto/rand
// never fails on Linux, and a twin without randomness must not go on.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("metadata: system random source failed: " + err.Error())
	}
	return b
}
