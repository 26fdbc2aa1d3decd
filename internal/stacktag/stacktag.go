// Package stacktag names the tags the program puts on every AWS resource
// that takes tags, beside the resource's own: which stack owns it, and its
// name in the stack. The orphan listing and the recovery of an interrupted
// run find resources by them. No Pulumi or AWS import: the program, the
// AWS checks and the developer commands share it.
package stacktag

// Keys. AWS reserves the aws: prefix; these carry the project's own.
const (
	// Stack is "<project>/<stack>", e.g. internal-alb/dev.
	Stack = "internal-alb:stack"
	// Resource is the resource's logical name (the last part of its URN).
	Resource = "internal-alb:resource"
)

// Value is the Stack tag's value for a project's stack.
func Value(project, stack string) string { return project + "/" + stack }

// Tags are the tags the program adds to the resource named name of the
// stack whose Stack tag value is stack.
func Tags(stack, name string) map[string]string {
	return map[string]string{Stack: stack, Resource: name}
}
