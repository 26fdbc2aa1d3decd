package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-cty/cty"
	ctyjson "github.com/hashicorp/go-cty/cty/json"
	"github.com/hashicorp/go-cty/cty/msgpack"
)

// envTrace names a file to which the plugin appends, for every
// PlanResourceChange, the prior, proposed and planned states as JSON. It is
// for finding out why a preview shows a change; leave it unset otherwise.
const envTrace = "EMULATOR_PLUGIN_TRACE"

var traceMu sync.Mutex

func (c fixingClient) trace(typeName, what string, raw []byte) {
	path := os.Getenv(envTrace)
	if path == "" || c.schemas == nil {
		return
	}
	text := "<undecodable>"
	if s, err := c.schemas.get(typeName); err == nil {
		if v, err := msgpack.Unmarshal(raw, s.ty); err == nil {
			text = renderValue(v, s.ty)
		}
	}
	traceMu.Lock()
	defer traceMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s %s: %s\n", time.Now().Format(time.RFC3339Nano), typeName, what, text)
}

func renderValue(v cty.Value, ty cty.Type) string {
	if !v.IsWhollyKnown() {
		return fmt.Sprintf("%#v", v)
	}
	b, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
