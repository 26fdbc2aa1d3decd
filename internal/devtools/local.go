package devtools

import (
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func localCmd(args []string, program pulumi.RunFunc, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "local: not built yet")
	return 2
}
