// Package policy writes the stack's IAM policy documents (identity, trust,
// bucket and endpoint policies) from one statement type, so every document
// has the same shape and the tests can read them back the same way.
package policy

import "encoding/json"

// IamPath is the path of every IAM role and instance profile the stack
// creates, so that a deploy role may be limited to creating and passing
// these (arn:aws:iam::<account>:role/internal-alb/*) and no other role.
const IamPath = "/internal-alb/"

// Statement is one statement of a policy document. Action, Resource and
// Principal take a string or a list, as IAM does; Principal is "*" or a map
// such as {"AWS": arn} or {"Service": "ec2.amazonaws.com"}.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Document is a policy document of statements.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Of returns the document of the statements.
func Of(s ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: s}
}

// JSON returns the document as compact JSON.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// Allow is an Allow statement of actions on resources.
func Allow(action, resource any) Statement {
	return Statement{Effect: "Allow", Action: action, Resource: resource}
}

// Trust is the trust policy that lets one AWS service assume a role.
func Trust(service string) Document {
	return Of(Statement{Effect: "Allow", Action: "sts:AssumeRole", Principal: map[string]string{"Service": service}})
}
