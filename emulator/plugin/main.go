// Command pulumi-resource-aws is a test double for the pulumi-aws resource
// plugin, which this machine cannot download. It serves the pulumi-aws tokens
// and property names for the types listed in mapping.go by driving the
// installed Terraform AWS provider binary through pulumi-terraform-bridge's
// tfplugin5 shim. It is meant only for the local AWS emulator.
package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// pulumiAWSVersion is the pulumi-aws version this double stands in for; the
// program's SDK asks the engine for a plugin of exactly this version.
const pulumiAWSVersion = "6.83.4"

// envStderr names a file that receives the plugin's standard error (and so a
// panic's stack), which the engine otherwise shows only in verbose logs.
const envStderr = "EMULATOR_PLUGIN_STDERR"

func main() {
	if path := os.Getenv(envStderr); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
			_ = syscall.Dup3(int(f.Fd()), 2, 0)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	bin, err := findProviderBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (emulator double):", err)
		os.Exit(1)
	}
	tf, stop, err := startTerraformProvider(ctx, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (emulator double):", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (emulator double): stopping on", sig)
		cancel()
		stop()
		os.Exit(1)
	}()
	go exitWithParent(stop)
	info, err := providerInfo(tf)
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (emulator double):", err)
		os.Exit(1)
	}
	serve(ctx, info)
	stop()
}

// serve is tfbridge.Main with the bridge's provider server wrapped in
// refreshServer (refresh.go) and ignoreChangesServer (ignore.go). The flags that only print something
// (-get-provider-info, -version, -help) are left to tfbridge.Main.
func serve(ctx context.Context, info tfbridge.ProviderInfo) {
	for _, arg := range os.Args[1:] {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "get-provider-info", "version", "help", "h":
			tfbridge.Main("aws", pulumiAWSVersion, info, nil)
			return
		}
	}
	info.P.InitLogging(ctx)
	err := provider.Main("aws", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return ignoreChangesServer{refreshServer{tfbridge.NewProvider(ctx, host, "aws", pulumiAWSVersion, info.P, info, nil)}}, nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

// exitWithParent ends the plugin (and the Terraform provider) when the
// engine that started it is gone, so that an interrupted run leaves no
// processes behind.
func exitWithParent(stop func()) {
	parent := os.Getppid()
	for range time.Tick(time.Second) {
		if os.Getppid() != parent {
			fmt.Fprintln(os.Stderr, "pulumi-resource-aws (emulator double): the engine is gone; exiting")
			stop()
			os.Exit(1)
		}
	}
}

// providerInfo builds the bridge's ProviderInfo for the mapped types over tf.
func providerInfo(tf shim.Provider) (tfbridge.ProviderInfo, error) {
	info := tfbridge.ProviderInfo{
		P:           tf,
		Name:        "aws",
		Version:     pulumiAWSVersion,
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
		Config:      maps.Clone(providerConfigFields),
	}
	for _, r := range resourceMappings {
		if tf.ResourcesMap().Get(r.TF) == nil {
			return info, fmt.Errorf("the Terraform provider has no resource %s", r.TF)
		}
		fields := maps.Clone(r.Fields)
		// pulumi-aws has tags_all as an output only.
		if _, ok := tf.ResourcesMap().Get(r.TF).Schema().GetOk("tags_all"); ok && fields["tags_all"] == nil {
			if fields == nil {
				fields = map[string]*tfbridge.SchemaInfo{}
			}
			fields["tags_all"] = &tfbridge.SchemaInfo{MarkAsComputedOnly: boolPtr(true)}
		}
		info.Resources[r.TF] = &tfbridge.ResourceInfo{Tok: tokens.Type(r.Token), Fields: fields}
	}
	for _, d := range dataSourceMappings {
		if tf.DataSourcesMap().Get(d.TF) == nil {
			return info, fmt.Errorf("the Terraform provider has no data source %s", d.TF)
		}
		info.DataSources[d.TF] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(d.Token), Fields: maps.Clone(d.Fields)}
	}
	info.SetAutonaming(defaultAutoNameMaxLen, defaultAutoNameSeparator)
	return info, nil
}
