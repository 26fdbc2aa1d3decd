package lambdaapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// How the runtime reports the ways a function can end, through the API.
func TestRuntimeOutcomes(t *testing.T) {
	node := requireTool(t, "node")
	work := t.TempDir()
	t.Setenv("TMPDIR", work) // the server's work dirs land here

	fn := func(name, handler string, timeout time.Duration, code map[string]string) Function {
		return Function{Name: name, ARN: "arn:aws:lambda:ap-northeast-1:123456789012:function:" + name,
			Runtime: "nodejs20.x", Handler: handler, Timeout: timeout, Code: code}
	}
	logs := &lockedBuffer{}
	s := &Server{
		Region:    testRegion,
		Lookup:    lookupOf(testAKID, testIdentity()),
		Authorize: allowAllBut(""),
		Node:      node,
		Log:       logs,
		Functions: []Function{
			fn("busy", "index.handler", time.Second, map[string]string{"index.mjs": `export const handler = () => { for (;;) {} };`}),
			fn("exits", "index.handler", 0, map[string]string{"index.mjs": `export const handler = async () => { process.exit(3); };`}),
			fn("nomodule", "missing.handler", 0, map[string]string{"index.mjs": `export const handler = async () => 1;`}),
			fn("noexport", "index.run", 0, map[string]string{"index.mjs": `export const handler = async () => 1;`}),
			fn("syntax", "index.handler", 0, map[string]string{"index.mjs": `export const handler = async () => {`}),
			fn("callback", "index.handler", 0, map[string]string{"index.js": `exports.handler = (event, context, cb) => { setTimeout(() => cb(null, {n: event.n + 1}), 10); };`}),
			fn("undefined", "index.handler", 0, map[string]string{"index.mjs": `export const handler = async () => {};`}),
			fn("logs", "index.handler", 0, map[string]string{"index.mjs": `export const handler = async () => { console.log("hello log line"); console.error("to stderr"); return "done"; };`}),
			fn("spawner", "index.handler", 0, map[string]string{"index.mjs": `
import { spawn } from "node:child_process";
export const handler = async () => spawn("sleep", ["30"], { stdio: "inherit" }).pid;`}),
			fn("escape", "index.handler", 0, map[string]string{"../outside.mjs": `export const handler = async () => 1;`}),
			{Name: "python", ARN: "arn:aws:lambda:ap-northeast-1:123456789012:function:python", Runtime: "python3.12", Handler: "app.handler"},
		},
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	call := func(t *testing.T, name, body string, headers map[string]string) (int, http.Header, string) {
		t.Helper()
		sr := defaultSigned()
		sr.path = "/2015-03-31/functions/" + name + "/invocations"
		sr.body = body
		sr.headers = headers
		resp, err := http.DefaultClient.Do(sr.build(t, srv.URL))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header, string(b)
	}
	type fnErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	unhandled := func(t *testing.T, name string) fnErr {
		t.Helper()
		status, hdr, body := call(t, name, "", nil)
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, "Unhandled", hdr.Get("X-Amz-Function-Error"), body)
		var e fnErr
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		return e
	}

	t.Run("a handler that blocks the event loop is killed", func(t *testing.T) {
		e := unhandled(t, "busy")
		assert.Contains(t, e.ErrorMessage, "Task timed out after 1.00 seconds")
	})
	t.Run("process.exit", func(t *testing.T) {
		e := unhandled(t, "exits")
		assert.Equal(t, "Runtime.ExitError", e.ErrorType)
		assert.Contains(t, e.ErrorMessage, "Runtime exited with error: exit status 3")
	})
	t.Run("missing module", func(t *testing.T) {
		assert.Equal(t, "Runtime.ImportModuleError", unhandled(t, "nomodule").ErrorType)
	})
	t.Run("syntax error", func(t *testing.T) {
		e := unhandled(t, "syntax")
		assert.Equal(t, "Runtime.ImportModuleError", e.ErrorType)
		assert.Contains(t, e.ErrorMessage, "SyntaxError")
	})
	t.Run("export missing", func(t *testing.T) {
		e := unhandled(t, "noexport")
		assert.Equal(t, "Runtime.HandlerNotFound", e.ErrorType)
		assert.Equal(t, "index.run is undefined or not exported", e.ErrorMessage)
	})
	t.Run("not a Node.js runtime", func(t *testing.T) {
		assert.Equal(t, "Runtime.InvalidRuntime", unhandled(t, "python").ErrorType)
	})
	t.Run("callback handler in CommonJS", func(t *testing.T) {
		status, hdr, body := call(t, "callback", `{"n":41}`, nil)
		assert.Equal(t, http.StatusOK, status)
		assert.Empty(t, hdr.Get("X-Amz-Function-Error"))
		assert.JSONEq(t, `{"n":42}`, body)
	})
	t.Run("undefined result is null", func(t *testing.T) {
		status, _, body := call(t, "undefined", "", nil)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "null", body)
	})
	t.Run("logs stay out of the payload and come back with Tail", func(t *testing.T) {
		status, hdr, body := call(t, "logs", "", map[string]string{"X-Amz-Log-Type": "Tail"})
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, `"done"`, body)
		assert.Equal(t, "$LATEST", hdr.Get("X-Amz-Executed-Version"))
		assert.Equal(t, "application/json", hdr.Get("Content-Type"))
		tail, err := base64.StdEncoding.DecodeString(hdr.Get("X-Amz-Log-Result"))
		require.NoError(t, err)
		assert.Contains(t, string(tail), "hello log line")
		assert.Contains(t, string(tail), "to stderr")
		assert.Contains(t, string(tail), "START RequestId: "+hdr.Get("X-Amzn-Requestid"))
	})
	t.Run("children die with the invocation", func(t *testing.T) {
		status, hdr, body := call(t, "spawner", "", nil)
		require.Equal(t, http.StatusOK, status, body)
		require.Empty(t, hdr.Get("X-Amz-Function-Error"), body)
		var pid int
		require.NoError(t, json.Unmarshal([]byte(body), &pid), body)
		require.Positive(t, pid)
		assert.Eventually(t, func() bool {
			// Gone, or a zombie waiting for init to reap it.
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			return err != nil || strings.Contains(string(stat), ") Z ")
		}, 5*time.Second, 50*time.Millisecond, "the function's child %d still runs", pid)
	})
	t.Run("code outside the task dir is refused", func(t *testing.T) {
		status, hdr, body := call(t, "escape", "", nil)
		assert.Equal(t, http.StatusInternalServerError, status, body)
		assert.Equal(t, "ServiceException", hdr.Get("X-Amzn-Errortype"))
	})

	s.Wait()
	left, err := os.ReadDir(work)
	require.NoError(t, err)
	assert.Empty(t, left, "every invocation removes its work dir")
}
