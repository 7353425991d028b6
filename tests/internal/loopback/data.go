//go:build e2e

package loopback

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
)

// Family is one synthetic metric family of a Dataset.
type Family struct {
	// Name of the family; a counter's samples are named Name+"_total" (OpenMetrics).
	Name string
	// Type is "gauge" or "counter".
	Type string
	// Series are the label sets of the family's series.
	Series []map[string]string
	// Value is series i's value at t.
	Value func(i int, t time.Time) float64
}

// Dataset is a fixed set of synthetic samples: every series has one sample per Step in [Start, End).
type Dataset struct {
	Families   []Family
	Start, End time.Time
	Step       time.Duration
}

// SeriesCount is the number of series.
func (d Dataset) SeriesCount() int {
	n := 0
	for _, f := range d.Families {
		n += len(f.Series)
	}
	return n
}

// SampleCount is the number of samples.
func (d Dataset) SampleCount() int64 {
	return int64(d.SeriesCount()) * int64(d.End.Sub(d.Start)/d.Step)
}

// WriteBlocks turns the dataset into TSDB blocks in outDir with the real promtool
// (`promtool tsdb create-blocks-from openmetrics`, 2h blocks aligned like Prometheus's own). promtool
// rereads its whole input for every 2h block, so the samples go in one OpenMetrics file per day,
// converted two at a time.
func (d Dataset) WriteBlocks(ctx context.Context, promtool, workDir, outDir string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var days []time.Time
	for day := d.Start; day.Before(d.End); day = day.Add(24 * time.Hour) {
		days = append(days, day)
	}
	errs := make(chan error, len(days))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, day := range days {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			end := day.Add(24 * time.Hour)
			if end.After(d.End) {
				end = d.End
			}
			input := filepath.Join(workDir, fmt.Sprintf("day-%03d.om", i))
			if err := d.writeOpenMetrics(input, day, end); err != nil {
				errs <- err
				return
			}
			dayDir := filepath.Join(workDir, fmt.Sprintf("day-%03d", i))
			if _, err := procs.Run(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", input, dayDir); err != nil {
				errs <- err
				return
			}
			os.Remove(input)
			entries, err := os.ReadDir(dayDir)
			if err != nil {
				errs <- err
				return
			}
			for _, e := range entries {
				if len(e.Name()) == 26 && e.IsDir() {
					if err := os.Rename(filepath.Join(dayDir, e.Name()), filepath.Join(outDir, e.Name())); err != nil {
						errs <- err
						return
					}
				}
			}
			os.RemoveAll(dayDir)
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// writeOpenMetrics writes the samples in [from, to) as OpenMetrics text with timestamps.
func (d Dataset) writeOpenMetrics(path string, from, to time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, fam := range d.Families {
		sampleName := fam.Name
		if fam.Type == "counter" {
			sampleName += "_total"
		}
		fmt.Fprintf(w, "# TYPE %s %s\n", fam.Name, fam.Type)
		for i, labels := range fam.Series {
			prefix := sampleName + "{"
			for j, k := range sortedKeys(labels) {
				if j > 0 {
					prefix += ","
				}
				prefix += k + "=" + strconv.Quote(labels[k])
			}
			prefix += "} "
			for t := from; t.Before(to); t = t.Add(d.Step) {
				w.WriteString(prefix)
				w.WriteString(strconv.FormatFloat(fam.Value(i, t), 'g', -1, 64))
				w.WriteByte(' ')
				w.WriteString(strconv.FormatInt(t.Unix(), 10))
				w.WriteByte('\n')
			}
		}
	}
	w.WriteString("# EOF\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// UploadBlocks ships the blocks in dir to the bucket with the real `thanos tools bucket
// upload-blocks`, stamping the external labels into each meta.json as a sidecar would.
func UploadBlocks(ctx context.Context, thanos, objstoreFile, dir string, labels map[string]string) error {
	args := []string{"tools", "bucket", "upload-blocks", "--objstore.config-file=" + objstoreFile, "--path=" + dir}
	for _, k := range sortedKeys(labels) {
		args = append(args, "--label="+k+"="+strconv.Quote(labels[k]))
	}
	_, err := procs.Run(ctx, thanos, args...)
	return err
}

// MinuteOfHour is the test's long-term data: a gauge whose value is the sample's minute of the
// hour (0..59). Its 5-minute averages are m+2 for the window starting at minute m, and its hourly
// average is exactly 29.5, so the resolution a query was answered from shows in its values.
func MinuteOfHour(start, end time.Time, series int) Dataset {
	f := Family{Name: "e2e_minute_of_hour", Type: "gauge",
		Value: func(_ int, t time.Time) float64 { return float64(t.UTC().Minute()) }}
	for i := range series {
		f.Series = append(f.Series, map[string]string{"series": strconv.Itoa(i)})
	}
	return Dataset{Families: []Family{f}, Start: start, End: end, Step: time.Minute}
}

// CompactionWindow is the aligned 14-day range (Thanos's largest compaction level, aligned on the
// Unix epoch as the compactor aligns it) that ends at least margin before end: data filling it is
// compacted into one 14-day raw block, which is what 1h downsampling needs (a 5m block spanning
// more than 10 days).
func CompactionWindow(end time.Time, margin time.Duration) (time.Time, time.Time) {
	const window = 14 * 24 * time.Hour
	last := end.Add(-margin).UnixMilli() / window.Milliseconds() * window.Milliseconds()
	to := time.UnixMilli(last).UTC()
	return to.Add(-window), to
}
