package promapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PromAPI is a client of the Prometheus-compatible HTTP API (Prometheus or the Thanos querier).
type PromAPI struct {
	Addr   string
	Client *http.Client
}

// Sample is one point: a timestamp in milliseconds and the value as the API printed it.
type Sample struct {
	T int64
	V string
}

// Float is the sample's value.
func (s Sample) Float() float64 {
	f, _ := strconv.ParseFloat(s.V, 64)
	return f
}

// Series is one result series: its labels and its samples (one for an instant vector).
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Key is the series' label set as a sorted string.
func (s Series) Key(drop ...string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		skip := false
		for _, d := range drop {
			skip = skip || d == k
		}
		if !skip {
			parts = append(parts, k+"="+strconv.Quote(s.Labels[k]))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Result is a query's answer.
type Result struct {
	Series   []Series
	Warnings []string
}

// Query runs an instant query at t with extra parameters (dedup, max_source_resolution, ...).
func (a *PromAPI) Query(ctx context.Context, query string, t time.Time, params url.Values) (Result, error) {
	v := cloneValues(params)
	v.Set("query", query)
	v.Set("time", formatTime(t))
	return a.do(ctx, "/api/v1/query", v)
}

// QueryRange runs a range query.
func (a *PromAPI) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration, params url.Values) (Result, error) {
	v := cloneValues(params)
	v.Set("query", query)
	v.Set("start", formatTime(start))
	v.Set("end", formatTime(end))
	v.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	return a.do(ctx, "/api/v1/query_range", v)
}

func (a *PromAPI) do(ctx context.Context, path string, v url.Values) (Result, error) {
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+a.Addr+path, strings.NewReader(v.Encode()))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, err
	}
	var r struct {
		Status   string   `json:"status"`
		Error    string   `json:"error"`
		Warnings []string `json:"warnings"`
		Data     struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
				Values [][]any           `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Result{}, fmt.Errorf("%s %v: %s: %w", path, v, resp.Status, err)
	}
	if r.Status != "success" {
		return Result{}, fmt.Errorf("%s %v: %s: %s", path, v, resp.Status, r.Error)
	}
	out := Result{Warnings: r.Warnings}
	for _, res := range r.Data.Result {
		s := Series{Labels: res.Metric}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		points := res.Values
		if res.Value != nil {
			points = append(points, res.Value)
		}
		for _, p := range points {
			if len(p) != 2 {
				return Result{}, fmt.Errorf("%s: bad point %v", path, p)
			}
			ts, _ := p[0].(float64)
			val, _ := p[1].(string)
			s.Samples = append(s.Samples, Sample{T: int64(math.Round(ts * 1000)), V: val})
		}
		out.Series = append(out.Series, s)
	}
	sort.Slice(out.Series, func(i, j int) bool { return out.Series[i].Key() < out.Series[j].Key() })
	return out, nil
}

// Get fetches a path and decodes its JSON "data".
func (a *PromAPI) Get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.Addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: %s: %w", path, resp.Status, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.Unmarshal(r.Data, into)
}

// Metric reads one sample value from a /metrics endpoint (the sum over all series of the name).
func Metric(ctx context.Context, addr, name string) (float64, bool, error) {
	return MetricWhere(ctx, addr, name, nil)
}

// MetricWhere is Metric over the series of the name that carry every label in where.
func MetricWhere(ctx context.Context, addr, name string, where map[string]string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	var sum float64
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, labels, _ := strings.Cut(series, "{")
		if n != name || !hasLabels(labels, where) {
			continue
		}
		f, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			continue
		}
		sum += f
		found = true
	}
	return sum, found, nil
}

// hasLabels reports whether a series' label text in the exposition format (`a="1",b="2"}`) has
// every label of where; Thanos's metrics' label values hold no commas or quotes.
func hasLabels(labels string, where map[string]string) bool {
	for k, v := range where {
		if !strings.Contains(","+labels, ","+k+"=\""+v+"\"") {
			return false
		}
	}
	return true
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Params builds query parameters from key, value pairs.
func Params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// DiffSeries describes how got differs from want ("" when equal): series missing, unexpected, or
// with other samples (the first difference), at most five of them.
func DiffSeries(want, got []Series) string {
	index := map[string]Series{}
	for _, s := range got {
		index[s.Key()] = s
	}
	var diffs []string
	for _, w := range want {
		g, ok := index[w.Key()]
		switch {
		case !ok:
			diffs = append(diffs, w.Key()+" missing")
		case !slices.Equal(w.Samples, g.Samples):
			diffs = append(diffs, fmt.Sprintf("%s: %d samples, want %d (first difference %s)", w.Key(), len(g.Samples), len(w.Samples), firstSampleDiff(w.Samples, g.Samples)))
		}
		delete(index, w.Key())
	}
	var unexpected []string
	for k := range index {
		unexpected = append(unexpected, k+" unexpected")
	}
	sort.Strings(unexpected)
	diffs = append(diffs, unexpected...)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "; ")
}

func firstSampleDiff(a, b []Sample) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %v vs %v", i, a[i], b[i])
		}
	}
	return "length"
}
