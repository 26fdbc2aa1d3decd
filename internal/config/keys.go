package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// KeySpec declares one stack config key. Its Go type and default are those
// of the Config field it fills; Type is how Pulumi.yaml declares it.
type KeySpec struct {
	Name        string
	Type        string // string, integer, boolean or array; "" for objects (Pulumi.yaml has no type for them)
	Description string
	field       func(c *Config) any // the field's address
}

// Keys are the stack's config keys, in the order Pulumi.yaml and the README
// list them. Adding a key here, with its Config field and default, is the
// whole change: the tests then ask for its Pulumi.yaml and README entries.
var Keys = []KeySpec{
	{"serviceVpc", "", "The VPC of the ALB and its web servers, which the stack creates ({name, cidr, nat?}).", func(c *Config) any { return &c.ServiceVpc }},
	{"consumerVpcs", "", "The VPCs whose clients reach the ALB: each a VPC the stack creates {name, cidr, nat?, client?} or an existing one {name, vpcId, subnetIds?, client?}, plus account {roleArn, region?} when it is in another AWS account.", func(c *Config) any { return &c.ConsumerVpcs }},
	{"azCount", "integer", "Availability Zones per VPC (the first N available), at least 2.", func(c *Config) any { return &c.AzCount }},
	{"subnetPrefixLength", "integer", "Prefix length of every subnet.", func(c *Config) any { return &c.SubnetPrefixLength }},
	{"natMode", "string", "NAT gateways per VPC - none, single or onePerAz.", func(c *Config) any { return &c.NatMode }},
	{"s3GatewayEndpoint", "boolean", "An S3 gateway endpoint on every private route table.", func(c *Config) any { return &c.S3GatewayEndpoint }},
	{"connectivity", "string", "How consumer VPCs reach the service VPC - peering or transitGateway.", func(c *Config) any { return &c.Connectivity }},
	{"transitGatewaySharing", "string", "How a Transit Gateway is shared with consumers in other accounts - organization (accounts of the stack's organization, RAM sharing with AWS Organizations enabled, no invitation) or invitation (external principals allowed; the stack accepts each invitation in the consumer's account).", func(c *Config) any { return &c.TransitGatewaySharing }},
	{"adminAccess", "string", "How administrators reach the instances over SSH - bastion (a public bastion per VPC), instanceConnectEndpoint (an EC2 Instance Connect Endpoint per VPC, no public address) or none.", func(c *Config) any { return &c.AdminAccess }},
	{"adminCidrs", "array", "CIDRs allowed to SSH to the bastions (required when adminAccess is bastion; public blocks /16 or narrower).", func(c *Config) any { return &c.AdminCidrs }},
	{"allowSshFromAnywhere", "boolean", "Allow public blocks broader than /16, up to 0.0.0.0/0, in adminCidrs.", func(c *Config) any { return &c.AllowSshFromAnywhere }},
	{"sshPublicKey", "string", "An OpenSSH public key, installed on every instance as an EC2 key pair; without it the bastion commands push your key with EC2 Instance Connect.", func(c *Config) any { return &c.SshPublicKey }},
	{"instanceType", "string", "Instance type of the bastions, web servers and clients.", func(c *Config) any { return &c.InstanceType }},
	{"albName", "string", "The internal ALB's name (at most 32 characters).", func(c *Config) any { return &c.AlbName }},
	{"webCount", "integer", "Web servers behind the ALB, spread over the AZs.", func(c *Config) any { return &c.WebCount }},
	{"zoneName", "string", "The private hosted zone.", func(c *Config) any { return &c.ZoneName }},
	{"recordName", "string", "The ALB's record in the zone.", func(c *Config) any { return &c.RecordName }},
	{"endpointPerAz", "boolean", "Put the Lambda interface endpoint in every AZ, not only the clients' AZ.", func(c *Config) any { return &c.EndpointPerAz }},
	{"lambdaName", "string", "The Lambda function's name.", func(c *Config) any { return &c.LambdaName }},
	{"lambdaRuntime", "string", "The Lambda function's Node.js runtime.", func(c *Config) any { return &c.LambdaRuntime }},
	{"logRetentionDays", "integer", "Retention of the function's log group, in days.", func(c *Config) any { return &c.LogRetentionDays }},
	{"logs", "boolean", "A private log bucket with VPC flow logs of every VPC and the ALB's access logs.", func(c *Config) any { return &c.Logs }},
	{"logExpirationDays", "integer", "Days after which objects in the log bucket expire.", func(c *Config) any { return &c.LogExpirationDays }},
}

// retired keys, each with what to set instead.
var retired = map[string]string{
	"bastion": "set " + Key("adminAccess") + " to bastion, instanceConnectEndpoint or none instead",
}

// KeyNamed returns the spec of a key.
func KeyNamed(name string) (KeySpec, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return KeySpec{}, false
}

// Default returns the key's default value ("" for none), as a stack file
// would write it: scalars as text, objects and lists as JSON.
func (k KeySpec) Default() (string, bool) {
	c := Default()
	v := reflect.ValueOf(k.field(&c)).Elem()
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Int, reflect.Bool:
		return fmt.Sprint(v.Interface()), true
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		panic(err) // the defaults are the program's own values
	}
	return string(b), true
}

// set parses a stack value into the key's field of c.
func (k KeySpec) set(c *Config, raw string) error {
	v := reflect.ValueOf(k.field(c)).Elem()
	switch v.Kind() {
	case reflect.String:
		// The engine hands a program objects and lists as JSON text.
		if t := strings.TrimSpace(raw); (strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{")) && json.Valid([]byte(t)) {
			return fmt.Errorf("is a list or an object, not a string")
		}
		v.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("is not a whole number")
		}
		v.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("is not true or false")
		}
		v.SetBool(b)
	default:
		// Objects and lists replace the default whole.
		fresh := reflect.New(v.Type())
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		err := dec.Decode(fresh.Interface())
		if err == nil && strings.TrimSpace(raw[dec.InputOffset():]) != "" {
			err = fmt.Errorf("more follows the first JSON value")
		}
		if err == nil || isUnknownField(err) {
			// The decoder matches field names regardless of case ("vpcid"
			// fills vpcId); a stack file must spell them as documented.
			if u, found := unknownField(raw, v.Type()); found {
				err = u
			}
		}
		if err != nil {
			return fmt.Errorf("is not %s%s", shape(v.Type()), why(err, raw, v.Type(), Key(k.Name)))
		}
		v.Set(fresh.Elem())
	}
	return nil
}

// shape says what a stack value of type t looks like, as a stack file
// writes it: "a list of objects {name, cidr?, nat?, …}".
func shape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of objects " + fields(t.Elem())
		}
		return "a list of " + strings.TrimPrefix(shape(t.Elem()), "a ") + "s"
	case reflect.Struct:
		return "an object " + fields(t)
	}
	return t.String()
}

// fields is a struct's fields as its descriptions write them:
// "{name, cidr?, nat?, …}".
func fields(t reflect.Type) string { return "{" + strings.Join(fieldNames(t, true), ", ") + "}" }

// fieldNames are the JSON names of a struct's fields, optional ones
// marked with "?" when mark is set.
func fieldNames(t reflect.Type, mark bool) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if mark && strings.Contains(opts, "omitempty") {
			name += "?"
		}
		names = append(names, name)
	}
	return names
}

// why is the part of a JSON decoding error that says what is wrong where,
// in the stack file's terms rather than Go's; "" when the value is of
// another kind altogether, which shape already says. key is the stack key
// the value is set at.
func why(err error, raw string, t reflect.Type, key string) string {
	open := "["
	if t.Kind() == reflect.Struct {
		open = "{"
	}
	if !strings.HasPrefix(strings.TrimSpace(raw), open) {
		return ""
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return ""
		}
		return fmt.Sprintf(": %s is %s, not %s", typeErr.Field, jsonKind(typeErr.Value), shape(typeErr.Type))
	}
	var u *unknownFieldError
	if errors.As(err, &u) {
		where := ""
		if u.path != "" {
			where = " in " + key + u.path
		}
		if near := Nearest(u.field, fieldNames(u.in, false)); near != "" {
			return fmt.Sprintf(": unknown field %q%s (did you mean %q?)", u.field, where, near)
		}
		return fmt.Sprintf(": unknown field %q%s", u.field, where)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ": the JSON ends early"
	}
	return ": " + msg
}

// jsonKind names a JSON value's kind as shape does.
func jsonKind(kind string) string {
	switch kind {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + kind
}

// unknownFieldError is an object key of a stack value that is not, letter
// for letter, the name of a field of the object it is in.
type unknownFieldError struct {
	path  string       // where the object is within the value: "", "[1]", "[1].account"
	field string       // the key as the stack file spells it
	in    reflect.Type // the struct the object fills
}

func (e *unknownFieldError) Error() string {
	return fmt.Sprintf("unknown field %q at %q", e.field, e.path)
}

// isUnknownField reports whether err is the decoder's refusal of a field
// no struct has.
func isUnknownField(err error) bool {
	return strings.HasPrefix(err.Error(), "json: unknown field ")
}

// unknownField returns the first object key of the JSON value raw, in the
// order the text has them, that is not exactly the JSON name of a field of
// the struct that t puts there; found is false when every key is one.
// raw holds one whole JSON value (the decoder has read it).
func unknownField(raw string, t reflect.Type) (u *unknownFieldError, found bool) {
	dec := json.NewDecoder(strings.NewReader(raw))
	var walk func(t reflect.Type, path string) *unknownFieldError
	walk = func(t reflect.Type, path string) *unknownFieldError {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil
				}
				key, _ := k.(string)
				var ft reflect.Type
				if t != nil && t.Kind() == reflect.Struct {
					f, ok := fieldNamed(t, key)
					if !ok {
						return &unknownFieldError{path, key, t}
					}
					ft = f.Type
				}
				if u := walk(ft, path+"."+key); u != nil {
					return u
				}
			}
			_, _ = dec.Token() // '}'
		case json.Delim('['):
			var et reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				et = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if u := walk(et, fmt.Sprintf("%s[%d]", path, i)); u != nil {
					return u
				}
			}
			_, _ = dec.Token() // ']'
		}
		return nil
	}
	if u := walk(t, ""); u != nil {
		return u, true
	}
	return nil, false
}

// fieldNamed returns the field of struct t whose JSON name is exactly name.
func fieldNamed(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
