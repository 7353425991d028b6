package kube

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcessesWithArgs are the PIDs of the processes on this machine whose command line contains
// every one of parts: the one node's containers run here, so a test can find a container's process
// by its arguments (and stop it with SIGSTOP to make the pod hang, as a wedged process or a network
// that drops packets does, which deleting the pod cannot show).
func ProcessesWithArgs(parts ...string) ([]int, error) {
	entries, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, path := range entries {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		cmdline := strings.ReplaceAll(string(raw), "\x00", " ")
		all := len(cmdline) > 0
		for _, p := range parts {
			all = all && strings.Contains(cmdline, p)
		}
		if all {
			pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			if err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}
