// Package toolenv reads the real tools' binaries from the environment variables the builder
// (go run ./tools/build --print-env SUITE) prints: a suite that cannot find one fails, naming the
// command that builds it; it never skips.
package toolenv
