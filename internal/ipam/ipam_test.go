package ipam_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/internal/ipam"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		vpc      string
		bits, az int
		private  []string
		public   []string
		err      string
	}{
		{"10.2.0.0/16", 24, 2, []string{"10.2.1.0/24", "10.2.2.0/24"}, []string{"10.2.129.0/24", "10.2.130.0/24"}, ""},
		{"10.2.0.0/16", 24, 3, []string{"10.2.1.0/24", "10.2.2.0/24", "10.2.3.0/24"}, []string{"10.2.129.0/24", "10.2.130.0/24", "10.2.131.0/24"}, ""},
		{"10.9.0.0/20", 24, 2, []string{"10.9.1.0/24", "10.9.2.0/24"}, []string{"10.9.9.0/24", "10.9.10.0/24"}, ""},
		{"192.168.0.0/24", 27, 3, []string{"192.168.0.32/27", "192.168.0.64/27", "192.168.0.96/27"}, []string{"192.168.0.160/27", "192.168.0.192/27", "192.168.0.224/27"}, ""},
		{"10.2.0.0/22", 24, 2, nil, nil, "at most 1 private and 1 public /24 subnets fit in 10.2.0.0/22"},
		{"10.2.0.0/24", 24, 2, nil, nil, "subnets of 10.2.0.0/24 must be /26 to /28"},
		{"10.2.0.0/16", 29, 2, nil, nil, "subnets of 10.2.0.0/16 must be /18 to /28"},
	}
	for _, c := range cases {
		l, err := ipam.Split(mustPrefix(t, c.vpc), c.bits, c.az)
		if c.err != "" {
			assert.EqualError(t, err, c.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, c.private, prefixStrings(l.Private), c.vpc)
		assert.Equal(t, c.public, prefixStrings(l.Public), c.vpc)
	}
}

// Adding an AZ appends a subnet to each half and renumbers none.
func TestSplitAppendsAnAz(t *testing.T) {
	two, err := ipam.Split(mustPrefix(t, "10.2.0.0/16"), 24, 2)
	require.NoError(t, err)
	three, err := ipam.Split(mustPrefix(t, "10.2.0.0/16"), 24, 3)
	require.NoError(t, err)
	assert.Equal(t, two.Private, three.Private[:2])
	assert.Equal(t, two.Public, three.Public[:2])
}

func TestParseIPv4Cidr(t *testing.T) {
	for in, want := range map[string]string{
		"10.2.0.0/16":     "",
		"198.51.100.7/32": "",
		"10.2.0.0/33":     "not a CIDR block",
		"198.51.100.7":    "not a CIDR block",
		"fd00::/56":       "not an IPv4 CIDR block",
		"10.3.0.1/16":     "host bits set (did you mean 10.3.0.0/16?)",
	} {
		p, err := ipam.ParseIPv4Cidr(in)
		if want != "" {
			assert.EqualError(t, err, want, in)
			continue
		}
		require.NoError(t, err, in)
		assert.Equal(t, in, p.String())
	}
}

func TestIsPrivate(t *testing.T) {
	for in, want := range map[string]bool{
		"10.0.0.0/8": true, "10.3.0.0/16": true, "172.16.0.0/12": true, "172.31.255.0/24": true, "192.168.0.0/16": true,
		"0.0.0.0/0": false, "8.0.0.0/6": false, // holds 10/8 and the public blocks around it
		"172.0.0.0/8": false, "192.168.0.0/15": false, "203.0.113.0/24": false, "198.18.0.0/15": false,
	} {
		assert.Equal(t, want, ipam.IsPrivate(mustPrefix(t, in)), in)
	}
}

func mustPrefix(t testing.TB, s string) netip.Prefix {
	t.Helper()
	p, err := ipam.ParseIPv4Cidr(s)
	require.NoError(t, err)
	return p
}

func prefixStrings(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
