// Package procs runs the suites' servers as processes of the test: started with their logs in
// files, ready when an HTTP check answers, stopped together (and killed with the test process),
// on free loopback ports.
package procs
