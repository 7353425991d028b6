package program

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/prometheus-thanos/prometheus-thanos/components"
)

// Lookup returns the raw value of a fully qualified config key ("project:key", "aws:region").
type Lookup func(key string) (string, bool)

var (
	clusterNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
	dns1123Label       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// S3 bucket naming rules: 3-63 characters, lowercase letters, digits, '.' and '-', starting
	// and ending with a letter or digit.
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipAddressPattern  = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

// reader reads typed config values, applying the table's defaults and collecting every error, so
// one run reports all bad keys at once.
type reader struct {
	lookup Lookup
	keys   map[string]configKey
	errs   []error
}

func (r *reader) fail(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("config %s:%s: %s", ProjectName, key, fmt.Sprintf(format, args...)))
}

func (r *reader) raw(key string) string {
	k, ok := r.keys[key]
	if !ok {
		panic("undeclared config key " + key) // a programming error, caught by every test run
	}
	if v, ok := r.lookup(ProjectName + ":" + key); ok {
		return strings.TrimSpace(v)
	}
	return k.Default
}

func (r *reader) str(key string) string { return r.raw(key) }

// set says whether key has a value of its own: one other than its default. The Pulumi CLI passes
// every key Pulumi.yaml declares with a default, set or not, so being present says nothing.
func (r *reader) set(key string) bool {
	v, ok := r.lookup(ProjectName + ":" + key)
	return ok && strings.TrimSpace(v) != "" && strings.TrimSpace(v) != r.keys[key].Default
}

func (r *reader) integer(key string, min int) int {
	v := r.raw(key)
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, "%q is not a whole number", v)
		return 0
	}
	if n < min {
		r.fail(key, "%d is below the minimum of %d", n, min)
	}
	return n
}

// optionalCount reads a whole number of at least 0, or def where the key is unset.
func (r *reader) optionalCount(key string, def uint64) uint64 {
	v := r.raw(key)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		r.fail(key, "%q is not a whole number of at least 0 (0: no limit)", v)
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v := r.raw(key)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, "%q is not true or false", v)
	}
	return b
}

// duration reads a Prometheus duration ("30d", "2y"; "0d" where allowZero), the format Prometheus
// and Thanos parse these values with.
func (r *reader) duration(key string, allowZero bool) string {
	v := r.raw(key)
	d, err := model.ParseDuration(v)
	if err != nil {
		r.fail(key, "%q is not a duration; use a number with a unit of y, w, d, h, m or s, such as 30d", v)
		return v
	}
	if d == 0 && !allowZero {
		r.fail(key, "must be more than 0")
	}
	return v
}

func (r *reader) quantity(key string, required bool) string {
	v := r.raw(key)
	if v == "" {
		if required {
			r.fail(key, "is required (a Kubernetes quantity such as 10Gi)")
		}
		return v
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		r.fail(key, "%q is not a positive Kubernetes quantity such as 500m, 512Mi or 10Gi", v)
	}
	return v
}

func (r *reader) resources(prefix string) components.Resources {
	res := components.Resources{
		CPURequest:    r.quantity(prefix+"CpuRequest", false),
		MemoryRequest: r.quantity(prefix+"MemoryRequest", false),
		CPULimit:      r.quantity(prefix+"CpuLimit", false),
		MemoryLimit:   r.quantity(prefix+"MemoryLimit", false),
	}
	r.requestWithinLimit(prefix+"CpuRequest", res.CPURequest, prefix+"CpuLimit", res.CPULimit)
	r.requestWithinLimit(prefix+"MemoryRequest", res.MemoryRequest, prefix+"MemoryLimit", res.MemoryLimit)
	return res
}

// resourcesWithStorage are the resources of a container with ephemeral-storage keys: those of
// resources, and its ephemeral storage.
func (r *reader) resourcesWithStorage(prefix string) components.Resources {
	res := r.resources(prefix)
	res.EphemeralStorageRequest = r.quantity(prefix+"EphemeralStorageRequest", false)
	res.EphemeralStorageLimit = r.quantity(prefix+"EphemeralStorageLimit", false)
	r.requestWithinLimit(prefix+"EphemeralStorageRequest", res.EphemeralStorageRequest, prefix+"EphemeralStorageLimit", res.EphemeralStorageLimit)
	return res
}

// requestWithinLimit fails a request above its limit, which the API server would refuse only once
// the update has begun.
func (r *reader) requestWithinLimit(requestKey, request, limitKey, limit string) {
	if request == "" || limit == "" {
		return
	}
	req, errReq := resource.ParseQuantity(request)
	lim, errLim := resource.ParseQuantity(limit)
	if errReq == nil && errLim == nil && req.Cmp(lim) > 0 {
		r.fail(requestKey, "%q is above %s %q; a request must not exceed its limit", request, limitKey, limit)
	}
}

func newReader(lookup Lookup) *reader {
	r := &reader{lookup: lookup, keys: map[string]configKey{}}
	for _, k := range configKeys {
		r.keys[k.Name] = k
	}
	return r
}
