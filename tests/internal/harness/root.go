package harness

import (
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/modfile"
)

// modulePath is this repository's module, as its go.mod names it.
const modulePath = "github.com/prometheus-thanos/prometheus-thanos"

// RepoRoot is the repository's root directory: the nearest directory at or above the working
// directory (`go test` runs each package in its own directory) whose go.mod declares this module.
// It is found from the working directory, not from this file's compiled path, because the tests
// are built with -trimpath (see scripts/test.sh).
var RepoRoot = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		panic("harness: no working directory: " + err.Error())
	}
	for start := dir; ; {
		if declaresModule(filepath.Join(dir, "go.mod"), modulePath) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("harness: no go.mod of " + modulePath + " at or above " + start)
		}
		dir = parent
	}
})

// declaresModule reports whether the go.mod file at path declares module path want.
func declaresModule(path, want string) bool {
	data, err := os.ReadFile(path)
	return err == nil && modfile.ModulePath(data) == want
}
