package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Where cloud-init keeps a user data script and its output.
const (
	userDataPath = "/var/lib/cloud/instance/scripts/part-001"
	userDataLog  = "/var/log/cloud-init-output.log"
	journalDir   = "/var/log/twin-journal"
)

// RunUserData runs a user data script as cloud-init does: saved as
// /var/lib/cloud/instance/scripts/part-001 (mode 0700) and executed by its
// #! line, as root, with stdout and stderr together appended to
// /var/log/cloud-init-output.log on the instance. It returns that output.
// A script without a #! line is refused: cloud-init would not run it.
func (h *Host) RunUserData(ctx context.Context, script string) ([]byte, error) {
	out, err := h.runUserData(ctx, script)
	if err != nil {
		return out, fmt.Errorf("host %s: user data: %w", h.Name, err)
	}
	return out, nil
}

func (h *Host) runUserData(ctx context.Context, script string) ([]byte, error) {
	if !strings.HasPrefix(script, "#!") {
		return nil, errors.New("not a script: it does not start with #!")
	}
	root, err := h.root()
	if err != nil {
		return nil, err
	}
	if err := writeInside(root, userDataPath, []byte(script), 0o700); err != nil {
		return nil, err
	}
	// As cloud-init does, the script writes straight into the log file, not
	// into a pipe: what it starts in the background keeps a file to write
	// its output to after the script (and this call) ended.
	logPath := filepath.Join(root, userDataLog)
	lw, err := appendInside(root, userDataLog)
	if err != nil {
		return nil, err
	}
	logFile := lw.(*os.File)
	defer logFile.Close()
	fi, err := logFile.Stat()
	if err != nil {
		return nil, err
	}
	cmd := h.Command(ctx, userDataPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err = cmd.Run()
	out, rerr := readFrom(logPath, fi.Size())
	return out, errors.Join(err, rerr)
}

// readFrom reads a file from an offset on.
func readFrom(path string, off int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// Logs returns what a unit started by the systemctl stand-in wrote, its
// stdout and stderr and the stand-in's own lines ("web" means
// "web.service"). It reads the file from Dir, so it works after Stop too.
func (h *Host) Logs(unit string) ([]byte, error) {
	b, err := h.logs(unit)
	if err != nil {
		return nil, fmt.Errorf("host %s: logs of %s: %w", h.Name, unit, err)
	}
	return b, nil
}

func (h *Host) logs(unit string) ([]byte, error) {
	if unit == "" || strings.ContainsAny(unit, "/\x00") || unit == "." || unit == ".." {
		return nil, errors.New("not a unit name")
	}
	if !strings.Contains(unit, ".") {
		unit += ".service"
	}
	name := filepath.Join(journalDir, unit+".log")
	h.mu.Lock()
	l, p, copied, pid := h.plan.layerFor(name), h.plan.upperPath(name), h.copied, h.pid
	h.mu.Unlock()
	if l == nil || slices.Contains(copied, l.Target) {
		// /var is not an overlay here: read through the running instance.
		if pid == 0 {
			return nil, errors.New("instance is not running and its /var is not in Dir")
		}
		p = filepath.Join(fmt.Sprintf("/proc/%d/root", pid), name)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no journal: the unit was never started: %w", err)
	}
	return b, err
}
