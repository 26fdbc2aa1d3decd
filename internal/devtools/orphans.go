package devtools

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"golang.org/x/sys/unix"

	"github.com/internal-alb/internal-alb/internal/awscheck"
	"github.com/internal-alb/internal-alb/internal/localrun"
	"github.com/internal-alb/internal-alb/internal/plan"
	"github.com/internal-alb/internal-alb/internal/stacktag"
)

// orphansCmd lists what carries the stack's tags but is not in its state,
// and deletes it after confirmation. Exit 0: none (or all deleted); 1:
// orphans found and left; 2: usage.
func orphansCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return OrphansMain(args, stdin, stdout, stderr)
}

// OrphansMain is the orphans command on args (without the command's name).
func OrphansMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("orphans", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose tags (internal-alb:stack = <project>/<stack>) are looked for")
	statePath := fs.String("state", "", "the stack's state, a 'pulumi stack export' file (default: the one 'make local' leaves)")
	real := fs.Bool("aws", false, "look in the AWS account of the default credential chain (region: AWS_REGION, else the stack's aws:region), not in the local emulator")
	endpoint := fs.String("endpoint", "", "the emulator's URL (default: LOCAL_AWS_ENDPOINT, else the one 'make local' started)")
	del := fs.Bool("delete", false, "delete the orphans, in dependency order, after confirmation")
	yes := fs.Bool("yes", false, "with --delete: do not ask")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int { fmt.Fprintf(stderr, "orphans: %v\n", err); return 1 }
	repo, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	project, err := workspace.LoadProject(filepath.Join(repo, "Pulumi.yaml"))
	if err != nil {
		return fail(fmt.Errorf("run it from the repository root (Pulumi.yaml): %w", err))
	}
	ctx := context.Background()

	var clients *awscheck.Clients
	if *real {
		if *statePath == "" {
			return fail(errors.New("--aws needs --state: write it with 'pulumi stack export --stack " + *stack + " --file " + *stack + ".export.json'"))
		}
		clients, err = accountClients(ctx, repo, *stack)
	}
	if err != nil {
		return fail(err)
	}
	defaultState := *statePath == "" // the export `make local` leaves
	var ids map[string]bool
	if *real {
		ids, err = StateIDs(*statePath)
	} else {
		clients, _, *statePath, err = localClients(repo, *stack, *statePath, *endpoint)
		if err == nil {
			ids, err = StateIDs(*statePath)
			if errors.Is(err, os.ErrNotExist) && defaultState {
				// No export: the stack is destroyed (or never deployed),
				// so whatever carries its tags is an orphan.
				fmt.Fprintf(stdout, "orphans: no %s: the stack holds nothing\n", *statePath)
				ids, err = map[string]bool{}, nil
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	tagValue := stacktag.Value(project.Name.String(), *stack)
	orphans, err := FindOrphans(ctx, clients, tagValue, ids)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "orphans: %d resources carry %s=%s but are not in %s\n", len(orphans), stacktag.Stack, tagValue, *statePath)
	for _, o := range orphans {
		fmt.Fprintf(stdout, "  %s\n", o)
	}
	if len(orphans) == 0 {
		return 0
	}
	if !*del {
		fmt.Fprintf(stdout, "delete them with: go run -tags devtools . orphans --stack %s --delete%s\n", *stack, map[bool]string{true: " --aws --state " + *statePath}[*real])
		return 1
	}
	if !*yes {
		if !isTerminal(stdin) {
			fmt.Fprintln(stderr, "orphans: not deleting: no terminal to confirm on; add --yes to delete without asking")
			return 1
		}
		fmt.Fprintf(stdout, "delete these %d resources? type yes: ", len(orphans))
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(stdout, "orphans: nothing deleted")
			return 1
		}
	}
	if err := clients.Delete(ctx, orphans, 15*time.Minute, func(s string) { fmt.Fprintln(stdout, "  "+s) }); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "orphans: deleted %d\n", len(orphans))
	return 0
}

// FindOrphans lists what carries the stack tag value but whose id is not
// among ids.
func FindOrphans(ctx context.Context, c *awscheck.Clients, tagValue string, ids map[string]bool) ([]awscheck.Tagged, error) {
	tagged, err := c.Tagged(ctx, tagValue)
	if err != nil {
		return nil, err
	}
	return awscheck.Orphans(tagged, ids), nil
}

// StateIDs reads a stack export and returns every id it records: each
// resource's id and ARN.
func StateIDs(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the stack's state: %w (write it with 'pulumi stack export --file …' or run 'make local')", err)
	}
	return StateIDsOf(b)
}

// StateIDsOf is StateIDs of an export's bytes.
func StateIDsOf(b []byte) (map[string]bool, error) {
	var doc struct {
		Deployment *struct {
			Resources []struct {
				ID      string         `json:"id"`
				Custom  bool           `json:"custom"`
				Outputs map[string]any `json:"outputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("the stack's state is not a stack export: %w", err)
	}
	if doc.Deployment == nil {
		return nil, errors.New(`the stack's state is not a stack export (no "deployment" object)`)
	}
	ids := map[string]bool{}
	for _, r := range doc.Deployment.Resources {
		if !r.Custom || r.ID == "" {
			continue
		}
		ids[r.ID] = true
		if arn, ok := r.Outputs["arn"].(string); ok && arn != "" {
			ids[arn] = true
		}
	}
	return ids, nil
}

// localClients are the AWS clients on the emulator `make local` uses
// (LOCAL_AWS_ENDPOINT, else the background one), never starting one, and
// its URL, and the state file (the export `make local` leaves unless given).
func localClients(repo, stack, statePath, url string) (*awscheck.Clients, string, string, error) {
	env, err := localrun.LoadEnv(repo)
	if err != nil {
		return nil, "", "", err
	}
	if url == "" {
		url = os.Getenv("LOCAL_AWS_ENDPOINT")
	}
	url = strings.TrimSuffix(url, "/")
	if url == "" {
		b, err := os.ReadFile(filepath.Join(env.Cache, "moto.url"))
		if err != nil {
			return nil, "", "", errors.New("no local emulator is running ('make local' starts one); for an AWS account add --aws --state export.json")
		}
		url = strings.TrimSpace(string(b))
	}
	if !localrun.Alive(url) {
		return nil, "", "", fmt.Errorf("the emulator at %s does not answer ('make local' starts one)", url)
	}
	if statePath == "" {
		statePath = LocalExport(env.Cache, stack)
	}
	region, err := stackRegion(repo, stack)
	if err != nil {
		return nil, "", "", err
	}
	return awscheck.New(url, region), url, statePath, nil
}

// accountClients are AWS clients through the default credential chain.
func accountClients(ctx context.Context, repo, stack string) (*awscheck.Clients, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		region, err := stackRegion(repo, stack)
		if err != nil {
			return nil, err
		}
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS credentials: %w", err)
	}
	return awscheck.FromConfig(cfg), nil
}

// stackRegion is the stack's aws:region (Pulumi.<stack>.yaml, else the dev
// stack's: the test stacks take the dev stack's config).
func stackRegion(repo, stack string) (string, error) {
	file := filepath.Join(repo, "Pulumi."+stack+".yaml")
	if _, err := os.Stat(file); err != nil {
		file = filepath.Join(repo, "Pulumi.dev.yaml")
	}
	cfg, err := plan.LoadConfig(filepath.Join(repo, "Pulumi.yaml"), file)
	if err != nil {
		return "", err
	}
	if r := cfg["aws:region"]; r != "" {
		return r, nil
	}
	return "", fmt.Errorf("%s sets no aws:region", file)
}

// isTerminal reports whether r is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
