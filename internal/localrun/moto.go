package localrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Moto is a patched moto server on a loopback port.
type Moto struct {
	URL     string
	LogFile string
	pid     int
	cmd     *exec.Cmd // set when this process started it and waits for it
}

// StartMoto starts emulator/moto/launch.py on a free loopback port, logging
// to logFile. With detach, the server outlives this process (its pid is
// what Stop signals); without, it dies with this process.
func StartMoto(ctx context.Context, repo, logFile string, detach bool) (*Moto, error) {
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	portFile := logFile + ".port"
	_ = os.Remove(portFile)
	python := os.Getenv("EMULATOR_PYTHON")
	if python == "" {
		python = "python3"
	}
	cmd := exec.Command(python, filepath.Join(repo, "emulator", "moto", "launch.py"),
		"--host", "127.0.0.1", "--port", "0", "--port-file", portFile)
	cmd.Stdout, cmd.Stderr = log, log
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto: %w", err)
	}
	m := &Moto{LogFile: logFile, pid: cmd.Process.Pid}
	if detach {
		_ = cmd.Process.Release()
	} else {
		m.cmd = cmd
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if b, err := os.ReadFile(portFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			url := "http://127.0.0.1:" + strings.TrimSpace(string(b))
			if Alive(url) {
				m.URL = url
				if err := warm(url); err != nil {
					m.Stop()
					return nil, fmt.Errorf("moto at %s: %w", url, err)
				}
				return m, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.Stop()
			tail, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("moto did not come up; its log %s:\n%s", logFile, tail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// warm has moto build its EC2 model before a deployment asks: a server's
// first EC2 request takes about 0.5 s (later ones 5 ms), which would
// otherwise fall on the program's first look-up, ahead of every resource.
// moto reads the service and region from the credential scope alone.
func warm(url string) error {
	req, err := http.NewRequest(http.MethodPost, url+"/",
		strings.NewReader("Action=DescribeAvailabilityZones&Version=2016-11-15"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization",
		"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("warming EC2: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("warming EC2: %s", resp.Status)
	}
	return nil
}

// Alive reports whether a moto server answers at url.
func Alive(url string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url + "/moto-api/config")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// Stop ends the server.
func (m *Moto) Stop() {
	if m.pid == 0 {
		return
	}
	_ = syscall.Kill(m.pid, syscall.SIGTERM)
	if m.cmd != nil {
		done := make(chan struct{})
		go func() { _ = m.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = m.cmd.Process.Kill()
			<-done
		}
	}
	m.pid = 0
}

// Kill ends the server at once (SIGKILL), as a crash or the OOM killer
// would: it answers nothing more and writes nothing to its log.
func (m *Moto) Kill() {
	if m.pid == 0 {
		return
	}
	_ = syscall.Kill(m.pid, syscall.SIGKILL)
	if m.cmd != nil {
		_ = m.cmd.Wait()
	}
	m.pid = 0
}

// Server is the emulator that `make local` uses: LOCAL_AWS_ENDPOINT as it is
// when set, else a moto server kept running in the background between runs
// (its pid and URL in the cache).
type Server struct {
	URL string
	// Fresh is true when the server was started now, so it holds no state
	// of earlier runs.
	Fresh   bool
	LogFile string
}

func (e *Env) serverFiles() (pidFile, urlFile, logFile string) {
	return filepath.Join(e.Cache, "moto.pid"), filepath.Join(e.Cache, "moto.url"), filepath.Join(e.Cache, "logs", "moto.log")
}

// EnsureServer returns the emulator to use, starting one if needed.
func (e *Env) EnsureServer(ctx context.Context) (*Server, error) {
	if raw := os.Getenv(EndpointVar); raw != "" {
		url, err := CheckEndpoint(raw)
		if err != nil {
			return nil, err
		}
		return &Server{URL: url}, nil
	}
	pidFile, urlFile, logFile := e.serverFiles()
	if b, err := os.ReadFile(urlFile); err == nil {
		if url := strings.TrimSpace(string(b)); Alive(url) {
			return &Server{URL: url, LogFile: logFile}, nil
		}
	}
	m, err := StartMoto(ctx, e.Repo, logFile, true)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(m.pid)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(urlFile, []byte(m.URL), 0o644); err != nil {
		return nil, err
	}
	return &Server{URL: m.URL, Fresh: true, LogFile: logFile}, nil
}

// StopServer stops the background server EnsureServer started, if any.
func (e *Env) StopServer() (bool, error) {
	pidFile, urlFile, _ := e.serverFiles()
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return false, fmt.Errorf("%s: %w", pidFile, err)
	}
	stopped := syscall.Kill(pid, syscall.SIGTERM) == nil
	_ = os.Remove(pidFile)
	_ = os.Remove(urlFile)
	return stopped, nil
}
