package loadbalancer

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The state machine: thresholds count consecutive results, from initial too,
// and a result of the other kind starts the count again.
func TestObserveCountsConsecutiveResults(t *testing.T) {
	const healthy, unhealthy = 3, 2
	cases := []struct {
		name    string
		results string // s = success, f = failure
		want    State
	}{
		{"nothing yet", "", Initial},
		{"too few successes", "ss", Initial},
		{"enough successes", "sss", Healthy},
		{"too few failures", "f", Initial},
		{"enough failures from initial", "ff", Unhealthy},
		{"a failure restarts the successes", "ssfss", Initial},
		{"healthy survives one failure", "sssf", Healthy},
		{"healthy to unhealthy", "sssff", Unhealthy},
		{"a success restarts the failures", "sssfsf", Healthy},
		{"unhealthy back to healthy", "ffsss", Healthy},
		{"unhealthy stays until the threshold", "ffss", Unhealthy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var th targetHealth
			changes := 0
			for _, r := range c.results {
				if _, changed := th.observe(r == 's', healthy, unhealthy); changed {
					changes++
				}
			}
			assert.Equal(t, c.want, th.state)
			if c.want == Initial {
				assert.Zero(t, changes)
			}
		})
	}
}

func TestParseMatcher(t *testing.T) {
	cases := []struct {
		matcher string
		in, out []int
	}{
		{"200", []int{200}, []int{199, 201, 404}},
		{"200-299", []int{200, 250, 299}, []int{199, 300}},
		{"200,302", []int{200, 302}, []int{301, 303, 404}},
		{"200,300-399,404", []int{200, 301, 404}, []int{201, 400, 500}},
	}
	for _, c := range cases {
		m, err := parseMatcher(c.matcher)
		require.NoError(t, err, c.matcher)
		for _, code := range c.in {
			assert.True(t, m.matches(code), "%s should match %d", c.matcher, code)
		}
		for _, code := range c.out {
			assert.False(t, m.matches(code), "%s should not match %d", c.matcher, code)
		}
	}
	for _, bad := range []string{"ok", "200-", "299-200", "199", "500", "200,,302", "200 ", "-200"} {
		_, err := parseMatcher(bad)
		assert.Error(t, err, bad)
	}
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	require.NoError(t, HealthCheck{}.Validate(), "zero fields take the defaults")
	err := HealthCheck{Path: "health", Port: 70000, Matcher: "2xx", Interval: -time.Second, UnhealthyThreshold: -1}.Validate()
	require.Error(t, err)
	for _, want := range []string{`path "health"`, "port 70000", `matcher "2xx"`, "interval -1s", "unhealthy threshold -1"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestTraceHeader(t *testing.T) {
	now := time.Unix(0x67891234, 0)
	assert.Regexp(t, `^Root=1-67891234-[0-9a-f]{24}$`, traceHeader("", now))
	got := traceHeader("Self=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa;Root=1-00000002-bbbbbbbbbbbbbbbbbbbbbbbb;Sampled=1", now)
	assert.Regexp(t, `^Self=1-67891234-[0-9a-f]{24};Root=1-00000002-b{24};Sampled=1$`, got)
	assert.Len(t, regexp.MustCompile(`Self=`).FindAllString(got, -1), 1, "the client's Self is replaced")
}
