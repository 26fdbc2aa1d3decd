package devtools

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/internal-alb/internal-alb/internal/localrun"
)

// An engine error as the Automation API returns it: the summary, then the
// engine's whole output after "\ncode:".
var engineErr = errors.New("failed to run update: exit status 255\ncode: 255\nstdout: …\nstderr: error: update failed")

func TestLocalFailure(t *testing.T) {
	const url, log, state = "http://127.0.0.1:41234", "/c/logs/moto.log", "/c/state"
	ours := &localrun.Server{URL: url, LogFile: log}
	alive := func(bool) func(string) bool {
		return func(u string) bool { return u != url }
	}
	up := func(string) bool { return true }

	for _, tc := range []struct {
		name, op, stack string
		server          *localrun.Server
		alive           func(string) bool
		want            string
	}{
		{"the emulator answers: the error alone", "up", "dev", ours, up,
			"local up: failed to run update: exit status 255 (the engine's output is above)\n"},
		{"no emulator known yet", "up", "dev", nil, alive(false),
			"local up: failed to run update: exit status 255 (the engine's output is above)\n"},
		{"ours went away during up", "up", "dev", ours, alive(false),
			"local up: failed to run update: exit status 255 (the engine's output is above)\n" +
				"local up: the emulator at http://127.0.0.1:41234 went away (its log: /c/logs/moto.log).\n" +
				"  The state in /c/state (stack dev) may now describe resources that no longer exist: the emulator kept them in memory only, and resources it was creating may be missing from it.\n" +
				"  Next: make local: it starts a new emulator, forgets the old state and deploys the stack again (make local-stop only forgets).\n"},
		{"another stack: the same targets with STACK", "preview", "qa", ours, alive(false),
			"local preview: failed to run update: exit status 255 (the engine's output is above)\n" +
				"local preview: the emulator at http://127.0.0.1:41234 went away (its log: /c/logs/moto.log).\n" +
				"  The state in /c/state (stack qa) may now describe resources that no longer exist: the emulator kept them in memory only, and resources it was creating may be missing from it.\n" +
				"  Next: make local STACK=qa: it starts a new emulator, forgets the old state and deploys the stack again (make local-stop STACK=qa only forgets).\n"},
		{"during destroy: forgetting is enough", "destroy", "dev", ours, alive(false),
			"local destroy: failed to run update: exit status 255 (the engine's output is above)\n" +
				"local destroy: the emulator at http://127.0.0.1:41234 went away (its log: /c/logs/moto.log).\n" +
				"  The state in /c/state (stack dev) may now describe resources that no longer exist: the emulator kept them in memory only, and resources it was creating may be missing from it.\n" +
				"  Next: make local-stop: the resources went with the emulator; it forgets the state (make local deploys anew).\n"},
		{"LOCAL_AWS_ENDPOINT went away: not ours to restart", "up", "dev", &localrun.Server{URL: url}, alive(false),
			"local up: failed to run update: exit status 255 (the engine's output is above)\n" +
				"local up: the emulator at http://127.0.0.1:41234 (LOCAL_AWS_ENDPOINT) went away.\n" +
				"  The state in /c/state (stack dev) may now describe resources that no longer exist: the emulator kept them in memory only, and resources it was creating may be missing from it.\n" +
				"  Next: start that emulator again, run make local-stop to forget the state (it stops nothing it did not start),\n" +
				"  then LOCAL_AWS_ENDPOINT=http://127.0.0.1:41234 make local to deploy again.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, LocalFailure(tc.op, tc.stack, state, engineErr, tc.server, tc.alive))
		})
	}

	// An error without the engine's output is printed as it is.
	assert.Equal(t, "local up: no Pulumi CLI in /c: run emulator/bootstrap.sh first\n",
		LocalFailure("up", "dev", "", errors.New("no Pulumi CLI in /c: run emulator/bootstrap.sh first"), nil, up))
}
