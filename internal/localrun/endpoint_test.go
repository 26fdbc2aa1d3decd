package localrun

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedPort is a loopback port where nothing listens: one that was free a
// moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// LOCAL_AWS_ENDPOINT is checked before anything runs against it: a
// malformed URL, a port where nothing answers and a server that is not
// moto each fail at once, naming the variable, the URL and what to do.
func TestCheckEndpointRefuses(t *testing.T) {
	dead := "http://" + closedPort(t)
	notMoto := httptest.NewServer(http.NotFoundHandler())
	defer notMoto.Close()
	unset := "or unset LOCAL_AWS_ENDPOINT to have a local emulator started"
	for _, c := range []struct{ raw, want string }{
		{dead, "LOCAL_AWS_ENDPOINT=" + dead + ": nothing answers there (connection refused); start moto there (python3 emulator/moto/launch.py --port " + dead[strings.LastIndex(dead, ":")+1:] + "), " + unset},
		{dead + "/", "LOCAL_AWS_ENDPOINT=" + dead + ": nothing answers there"},
		{notMoto.URL, "LOCAL_AWS_ENDPOINT=" + notMoto.URL + " answers, but not as a moto server (GET /moto-api/config: 404 Not Found); point it at moto, " + unset},
		{"127.0.0.1:5000", `LOCAL_AWS_ENDPOINT="127.0.0.1:5000" is not an emulator URL like http://127.0.0.1:5000 (scheme, host and port, no path); correct it, ` + unset},
		{"localhost", `LOCAL_AWS_ENDPOINT="localhost" is not an emulator URL`},
		{"ftp://127.0.0.1:21", `LOCAL_AWS_ENDPOINT="ftp://127.0.0.1:21" is not an emulator URL`},
		{"http://", `LOCAL_AWS_ENDPOINT="http://" is not an emulator URL`},
		{"http://:5000", `LOCAL_AWS_ENDPOINT="http://:5000" is not an emulator URL`},
		{"http://127.0.0.1:5000/moto", `LOCAL_AWS_ENDPOINT="http://127.0.0.1:5000/moto" is not an emulator URL`},
		{"http://127.0.0.1:5000?x=1", `LOCAL_AWS_ENDPOINT="http://127.0.0.1:5000?x=1" is not an emulator URL`},
		{"http://127.0.0.1:port", `LOCAL_AWS_ENDPOINT="http://127.0.0.1:port" is not an emulator URL`},
		{"http://127.0.0.1:5000 ", `LOCAL_AWS_ENDPOINT="http://127.0.0.1:5000 " is not an emulator URL`},
	} {
		start := time.Now()
		url, err := CheckEndpoint(c.raw)
		if assert.Error(t, err, c.raw) {
			assert.True(t, strings.HasPrefix(err.Error(), c.want), "%s:\n got: %s\nwant: %s…", c.raw, err, c.want)
			assert.Contains(t, err.Error(), unset, c.raw)
		}
		assert.Empty(t, url)
		assert.Less(t, time.Since(start), 3*time.Second, "fails fast: %s", c.raw)
	}
}

// A moto server there is used as it is, by EnsureServer too, which then
// starts none.
func TestCheckEndpointAccepts(t *testing.T) {
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/moto-api/config" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"batch":{},"lambda":{}}`))
	}))
	defer moto.Close()
	url, err := CheckEndpoint(moto.URL + "/")
	require.NoError(t, err)
	assert.Equal(t, moto.URL, url)

	t.Setenv(EndpointVar, moto.URL)
	e := &Env{Repo: t.TempDir(), Cache: t.TempDir()}
	s, err := e.EnsureServer(t.Context())
	require.NoError(t, err)
	assert.Equal(t, &Server{URL: moto.URL}, s)
	_, err = os.Stat(e.Cache + "/moto.pid")
	assert.True(t, os.IsNotExist(err), "no emulator of its own started")

	t.Setenv(EndpointVar, "http://"+closedPort(t))
	_, err = e.EnsureServer(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing answers there")
}
