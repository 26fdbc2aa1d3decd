package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/tfplugin5/proto"
)

const (
	// envProviderBin names the Terraform AWS provider binary to drive.
	envProviderBin = "TF_AWS_PROVIDER_BIN"
	// tfProviderVersion is the Terraform AWS provider line pulumi-aws v6.83 is built on.
	tfProviderVersion = "5.100.0"
	// terraformVersion is what the provider is told the "Terraform" driving it is.
	terraformVersion = "1.11.4"
)

// providerSearchRoots are searched, in order, when TF_AWS_PROVIDER_BIN is unset.
var providerSearchRoots = []string{
	"/opt/tf-plugins",
	"/root/.terraform.d/plugins",
	"/usr/local/share/terraform/plugins",
	"/usr/share/terraform/plugins",
	"/opt",
}

// findProviderBinary returns the Terraform AWS provider binary: the
// TF_AWS_PROVIDER_BIN path if set, else the first terraform-provider-aws_v5.100.0*
// found under providerSearchRoots (any terraform-provider-aws_* as a last resort).
func findProviderBinary() (string, error) {
	if p := os.Getenv(envProviderBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envProviderBin, p, err)
		}
		return p, nil
	}
	var exact, any []string
	for _, root := range providerSearchRoots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			name := d.Name()
			if d.IsDir() || !strings.HasPrefix(name, "terraform-provider-aws_") {
				return nil
			}
			if strings.HasPrefix(name, "terraform-provider-aws_v"+tfProviderVersion) {
				exact = append(exact, path)
			} else {
				any = append(any, path)
			}
			return nil
		})
		if len(exact) > 0 {
			break
		}
	}
	sort.Strings(exact)
	sort.Strings(any)
	switch {
	case len(exact) > 0:
		return exact[0], nil
	case len(any) > 0:
		return any[len(any)-1], nil
	}
	return "", errors.New("terraform-provider-aws binary not found: set " + envProviderBin)
}

// grpcProviderPlugin hands go-plugin's connection to the tfplugin5 shim
// through fixingClient, and the shim to the bridge through plainStateProvider.
type grpcProviderPlugin struct {
	plugin.Plugin
	ctx context.Context
}

func (p *grpcProviderPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker,
	c *grpc.ClientConn,
) (interface{}, error) {
	return newShimProvider(p.ctx, newFixingClient(mappedOnly{proto.NewProviderClient(c)}))
}

// newShimProvider is the tfplugin5 shim over client, wrapped in
// plainStateProvider (plainstate.go).
func newShimProvider(ctx context.Context, client proto.ProviderClient) (shim.Provider, error) {
	prov, err := tfplugin5.NewProvider(ctx, client, terraformVersion)
	if err != nil {
		return nil, err
	}
	return plainStateProvider{prov}, nil
}

func (p *grpcProviderPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("not a server")
}

// startTerraformProvider starts the Terraform AWS provider binary as a
// go-plugin child (it dies with this process) and returns it as a shim
// provider, together with a function that stops it.
func startTerraformProvider(ctx context.Context, bin string) (shim.Provider, func(), error) {
	logger := hclog.NewNullLogger()
	if lvl := os.Getenv("TF_LOG"); lvl != "" {
		logger = hclog.New(&hclog.LoggerOptions{Level: hclog.LevelFromString(lvl), Output: os.Stderr})
	}
	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  tfplugin5.Handshake,
		Plugins:          plugin.PluginSet{"provider": &grpcProviderPlugin{ctx: ctx}},
		Cmd:              cmd,
		Managed:          true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           logger,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	raw, err := rpc.Dispense("provider")
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("dispensing provider from %s: %w", bin, err)
	}
	return raw.(shim.Provider), client.Kill, nil
}
