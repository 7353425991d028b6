// Package objects reads untyped Kubernetes objects: rendered manifests, objects read from the API
// server, chart values and resource inputs under Pulumi's mocks, all decoded as maps and lists.
package objects
