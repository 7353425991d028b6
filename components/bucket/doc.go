// Package bucket provisions the AWS side of the stack: the S3 bucket that holds Thanos's blocks,
// its KMS key and policies, and one IRSA role per Thanos component that reaches it, with exactly
// that component's actions. It registers no Kubernetes object: the ServiceAccounts the roles
// trust are names (components.StoreGatewayServiceAccountName), and package program hands the
// bucket's outputs to the Kubernetes side.
package bucket
