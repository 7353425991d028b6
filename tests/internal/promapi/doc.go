// Package promapi is a client of the Prometheus HTTP API that Prometheus and the Thanos querier
// serve (instant and range queries, any GET, /metrics) and the comparison of query answers.
package promapi
