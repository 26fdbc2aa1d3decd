package localrun

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// EndpointVar names the emulator `make local` uses as it is, instead of
// starting its own.
const EndpointVar = "LOCAL_AWS_ENDPOINT"

// CheckEndpoint checks the value of LOCAL_AWS_ENDPOINT before anything
// runs against it: an http(s) URL of a host and port with no path, where a
// moto server answers. It returns the URL without a trailing slash, or an
// error naming the variable, the URL and what to do.
func CheckEndpoint(raw string) (string, error) {
	trimmed := strings.TrimSuffix(raw, "/")
	u, err := url.Parse(trimmed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%s=%q is not an emulator URL like http://127.0.0.1:5000 (scheme, host and port, no path); correct it, or unset %s to have a local emulator started", EndpointVar, raw, EndpointVar)
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(trimmed + "/moto-api/config")
	if err != nil {
		return "", fmt.Errorf("%s=%s: nothing answers there (%v); start moto there (python3 emulator/moto/launch.py --port %s), or unset %s to have a local emulator started", EndpointVar, trimmed, shortNetErr(err), portOf(u), EndpointVar)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("%s=%s answers, but not as a moto server (GET /moto-api/config: %s); point it at moto, or unset %s to have a local emulator started", EndpointVar, trimmed, resp.Status, EndpointVar)
	}
	return trimmed, nil
}

// shortNetErr is the last part of a dial error ("connection refused"),
// without the request it was for, which the message already names.
func shortNetErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
