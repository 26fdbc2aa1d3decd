package lambdaapi

import (
	"context"
	_ "embed" // the runner script
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runnerScript loads the function's handler module, calls it with the event
// and a context object, and reports the outcome in a result file.
//
//go:embed runner.mjs
var runnerScript []byte

// killGrace is how long past the function's timeout the runtime may take
// (to start node, load the module, and for a handler that blocks the event
// loop so the runner's own timer cannot fire) before it is killed.
const killGrace = 2 * time.Second

// maxLog is how much of the function's output is kept.
const maxLog int64 = 64 * 1024

// invocation is one call of a function.
type invocation struct {
	fn            Function
	reqID         string
	invokedARN    string
	event         []byte
	clientContext json.RawMessage
}

// outcome is how an invocation ended.
type outcome struct {
	payload       []byte
	functionError string // "" or "Unhandled"
	logs          []byte
	serviceErr    *apiError // the twin could not run the function at all
	summary       string    // for the log line
}

// runnerResult is what the runner writes to its result file.
type runnerResult struct {
	Kind    string          `json:"kind"` // ok, error, timeout
	Payload string          `json:"payload"`
	Error   json.RawMessage `json:"error"`
}

// runnerConfig is the runner's command-line argument.
type runnerConfig struct {
	TaskDir            string          `json:"taskDir"`
	Handler            string          `json:"handler"`
	ResultPath         string          `json:"resultPath"`
	TimeoutMs          int64           `json:"timeoutMs"`
	FunctionName       string          `json:"functionName"`
	FunctionVersion    string          `json:"functionVersion"`
	InvokedFunctionArn string          `json:"invokedFunctionArn"`
	MemoryLimitInMB    string          `json:"memoryLimitInMB"`
	AwsRequestID       string          `json:"awsRequestId"`
	LogGroupName       string          `json:"logGroupName"`
	LogStreamName      string          `json:"logStreamName"`
	ClientContext      json.RawMessage `json:"clientContext,omitempty"`
}

// run executes one invocation to its end and removes everything it wrote.
func (s *Server) run(inv invocation) outcome {
	fn := inv.fn
	timeout := fn.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if fn.Runtime != "" && !strings.HasPrefix(fn.Runtime, "nodejs") {
		return functionFailure(map[string]any{
			"errorType":    "Runtime.InvalidRuntime",
			"errorMessage": fmt.Sprintf("The twin runs only Node.js functions; %s has runtime %s.", fn.Name, fn.Runtime),
		}, nil, "unsupported runtime "+fn.Runtime)
	}

	dir, err := os.MkdirTemp("", "lambdaapi-"+fn.Name+"-")
	if err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: make work dir: %w", err))
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			s.logf("lambda %s cleanup: remove %s: %v", inv.reqID, dir, err)
		}
	}()

	taskDir := filepath.Join(dir, "task")
	if err := writeCode(taskDir, fn.Code); err != nil {
		return serviceFailure(err)
	}
	runnerPath := filepath.Join(dir, "runner.mjs")
	if err := os.WriteFile(runnerPath, runnerScript, 0o600); err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: write runner: %w", err))
	}
	resultPath := filepath.Join(dir, "result.json")
	cfg, err := json.Marshal(runnerConfig{
		TaskDir:            taskDir,
		Handler:            fn.Handler,
		ResultPath:         resultPath,
		TimeoutMs:          timeout.Milliseconds(),
		FunctionName:       fn.Name,
		FunctionVersion:    "$LATEST",
		InvokedFunctionArn: inv.invokedARN,
		MemoryLimitInMB:    "128",
		AwsRequestID:       inv.reqID,
		LogGroupName:       "/aws/lambda/" + fn.Name,
		LogStreamName:      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(inv.reqID, "-", ""),
		ClientContext:      inv.clientContext,
	})
	if err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: encode runner config: %w", err))
	}

	node := s.Node
	if node == "" {
		node = "node"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+killGrace)
	defer cancel()
	// Output goes to a file, not a pipe: a child the function leaves behind
	// cannot hold the invocation open by keeping a pipe.
	logPath := filepath.Join(dir, "output.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: create log file: %w", err))
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, node, runnerPath, string(cfg))
	cmd.Dir = taskDir
	cmd.Env = s.functionEnv(fn, taskDir, timeout)
	cmd.Stdin = strings.NewReader(string(inv.event))
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The function runs in its own process group; a timeout kills the whole
	// group, and so does the end of the invocation, as Lambda stops the
	// sandbox: nothing the function started outlives the call.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: start %s: %w", node, err))
	}
	runErr := cmd.Wait()
	elapsed := time.Since(started)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH when nothing is left
	output, err := readTail(logPath, maxLog)
	if err != nil {
		return serviceFailure(err)
	}

	report := fmt.Sprintf("START RequestId: %s Version: $LATEST\n%sEND RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\n",
		inv.reqID, output, inv.reqID, inv.reqID, float64(elapsed.Microseconds())/1000)
	logBytes := []byte(report)

	timedOut := func() outcome {
		msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.reqID, timeout.Seconds())
		return functionFailure(map[string]any{"errorMessage": msg}, logBytes, "timeout")
	}

	raw, readErr := os.ReadFile(resultPath)
	if readErr != nil {
		if ctx.Err() != nil {
			return timedOut()
		}
		return functionFailure(map[string]any{
			"errorType":    "Runtime.ExitError",
			"errorMessage": fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.reqID, exitStatus(runErr)),
		}, logBytes, "runtime exited")
	}
	var res runnerResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return serviceFailure(fmt.Errorf("lambdaapi: read runner result: %w", err))
	}
	switch res.Kind {
	case "ok":
		if len(res.Payload) > maxPayload {
			return functionFailure(map[string]any{
				"errorType":    "Function.ResponseSizeTooLarge",
				"errorMessage": fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload),
			}, logBytes, "response too large")
		}
		return outcome{payload: []byte(res.Payload), logs: logBytes, summary: fmt.Sprintf("200 ok %s", elapsed.Round(time.Millisecond))}
	case "timeout":
		return timedOut()
	case "error":
		var e struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(res.Error, &e)
		return outcome{payload: res.Error, functionError: "Unhandled", logs: logBytes, summary: "200 Unhandled " + e.ErrorType}
	}
	return serviceFailure(fmt.Errorf("lambdaapi: runner reported unknown outcome %q", res.Kind))
}

// functionEnv is the environment the function sees: Lambda's variables and
// nothing of the twin's own environment.
func (s *Server) functionEnv(fn Function, taskDir string, timeout time.Duration) []string {
	runtime := fn.Runtime
	if runtime == "" {
		runtime = "nodejs20.x"
	}
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + taskDir,
		"_HANDLER=" + fn.Handler,
		"AWS_EXECUTION_ENV=AWS_Lambda_" + runtime,
		"AWS_REGION=" + s.Region,
		"AWS_DEFAULT_REGION=" + s.Region,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout.Seconds())),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.Name,
	}
}

// writeCode writes the function's files under dir, refusing names that
// would land outside it.
func writeCode(dir string, code map[string]string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("lambdaapi: make task dir: %w", err)
	}
	for name, src := range code {
		clean := path.Clean(name)
		if !filepath.IsLocal(filepath.FromSlash(clean)) {
			return fmt.Errorf("lambdaapi: code file name %q leaves the task directory", name)
		}
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("lambdaapi: make dir for %s: %w", name, err)
		}
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			return fmt.Errorf("lambdaapi: write %s: %w", name, err)
		}
	}
	return nil
}

// functionFailure is an invocation that ran but failed: 200 with
// X-Amz-Function-Error: Unhandled and the error document as payload.
func functionFailure(doc map[string]any, logs []byte, summary string) outcome {
	b, err := json.Marshal(doc)
	if err != nil {
		b = []byte(`{"errorMessage":"error document could not be encoded"}`)
	}
	return outcome{payload: b, functionError: "Unhandled", logs: logs, summary: "200 Unhandled " + summary}
}

// serviceFailure is an invocation the twin could not carry out.
func serviceFailure(err error) outcome {
	return outcome{
		serviceErr: &apiError{status: http.StatusInternalServerError, code: "ServiceException", message: err.Error(), service: true},
		summary:    "500 ServiceException: " + err.Error(),
	}
}

// exitStatus describes how the runtime process ended.
func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// readTail returns at most max bytes from the end of the file at path.
func readTail(path string, max int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("lambdaapi: open function output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("lambdaapi: stat function output: %w", err)
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return "", fmt.Errorf("lambdaapi: read function output: %w", err)
	}
	return string(b), nil
}
