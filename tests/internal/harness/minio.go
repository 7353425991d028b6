package harness

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/procs"
)

// S3Site is a MinIO server and bucket standing in for S3.
type S3Site struct {
	Endpoint, Bucket, AccessKey, SecretKey, KMSKeyName string
}

// MinIO is a MinIO server on loopback standing in for S3 + KMS, with the bucket Thanos uses.
type MinIO struct {
	S3     S3Site
	Region string
	Proc   *procs.Process
	Client *minio.Client
}

// NewS3Site is a MinIO bucket on a free loopback port, with the test credentials and KMS key name.
func NewS3Site(ports *procs.Ports) (S3Site, error) {
	addr, err := ports.Addr()
	return S3Site{
		Endpoint: addr, Bucket: "thanos-test",
		AccessKey: "test-access-key", SecretKey: "test-secret-key-0123456789",
		KMSKeyName: "thanos-test-key",
	}, err
}

// StartMinIO starts MinIO for a new S3Site; see StartMinIOAt.
func StartMinIO(ctx context.Context, ps *procs.Processes, ports *procs.Ports, bin, region string) (*MinIO, error) {
	site, err := NewS3Site(ports)
	if err != nil {
		return nil, err
	}
	return StartMinIOAt(ctx, ps, ports, bin, region, site)
}

// StartMinIOAt starts MinIO at the site's address, with an empty data directory and a built-in KMS
// key of the site's key name (MINIO_KMS_SECRET_KEY) so that SSE-KMS uploads are really encrypted,
// in region (the stack's region: the objstore config keeps it), and creates the bucket.
func StartMinIOAt(ctx context.Context, ps *procs.Processes, ports *procs.Ports, bin, region string, site S3Site) (*MinIO, error) {
	console, err := ports.Addr()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	m := &MinIO{S3: site, Region: region}
	addr := site.Endpoint
	dir := filepath.Join(ps.Dir, "minio")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := []string{
		"MINIO_ROOT_USER=" + m.S3.AccessKey,
		"MINIO_ROOT_PASSWORD=" + m.S3.SecretKey,
		"MINIO_KMS_SECRET_KEY=" + m.S3.KMSKeyName + ":" + base64.StdEncoding.EncodeToString(key),
		"MINIO_SITE_REGION=" + region,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	}
	m.Proc, err = ps.Start("minio", bin, []string{"server", dir, "--address", addr, "--console-address", console, "--quiet"},
		env, "http://"+addr+"/minio/health/ready")
	if err != nil {
		return nil, err
	}
	if err := m.Proc.WaitReady(ctx, time.Minute); err != nil {
		return nil, err
	}
	m.Client, err = minio.New(addr, &minio.Options{
		Creds:  credentials.NewStaticV4(m.S3.AccessKey, m.S3.SecretKey, ""),
		Region: region,
	})
	if err != nil {
		return nil, err
	}
	if err := m.Client.MakeBucket(ctx, m.S3.Bucket, minio.MakeBucketOptions{Region: region}); err != nil {
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	return m, nil
}

// Head sends a signed HEAD for an object and returns MinIO's response headers.
func (m *MinIO) Head(ctx context.Context, object string) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+m.S3.Endpoint+"/"+m.S3.Bucket+"/"+object, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") // empty body
	req = signer.SignV4(*req, m.S3.AccessKey, m.S3.SecretKey, "", m.Region)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HEAD %s: %s", object, resp.Status)
	}
	return resp.Header, nil
}

// BlockMeta is the part of a block's meta.json the suite reads.
type BlockMeta struct {
	ULID    string `json:"ulid"`
	MinTime int64  `json:"minTime"`
	MaxTime int64  `json:"maxTime"`
	Stats   struct {
		NumSamples uint64 `json:"numSamples"`
		NumSeries  uint64 `json:"numSeries"`
		NumChunks  uint64 `json:"numChunks"`
	} `json:"stats"`
	Compaction struct {
		Level   int      `json:"level"`
		Sources []string `json:"sources"`
	} `json:"compaction"`
	Thanos struct {
		Labels     map[string]string `json:"labels"`
		Downsample struct {
			Resolution int64 `json:"resolution"`
		} `json:"downsample"`
		Source string `json:"source"`
	} `json:"thanos"`
}

// Block is a block in the bucket.
type Block struct {
	Meta BlockMeta
	// Files are the block's objects (relative to the block directory) and their sizes.
	Files map[string]int64
	// DeletionMarked: the compactor wrote deletion-mark.json (files go after --delete-delay).
	DeletionMarked bool
}

// Bytes is the block's total object size.
func (b Block) Bytes() int64 {
	var n int64
	for _, s := range b.Files {
		n += s
	}
	return n
}

// Blocks lists every complete block (one with meta.json) in the bucket.
func (m *MinIO) Blocks(ctx context.Context) (map[string]*Block, error) {
	blocks := map[string]*Block{}
	for obj := range m.Client.ListObjects(ctx, m.S3.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return nil, obj.Err
		}
		dir, file, ok := strings.Cut(obj.Key, "/")
		if !ok || len(dir) != 26 { // ULID directories only (not debug/ and the like)
			continue
		}
		b := blocks[dir]
		if b == nil {
			b = &Block{Files: map[string]int64{}}
			blocks[dir] = b
		}
		b.Files[file] = obj.Size
		if file == "deletion-mark.json" {
			b.DeletionMarked = true
		}
	}
	for id, b := range blocks {
		if _, ok := b.Files["meta.json"]; !ok {
			delete(blocks, id) // an upload in progress: meta.json goes last
			continue
		}
		raw, err := m.Get(ctx, id+"/meta.json")
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &b.Meta); err != nil {
			return nil, fmt.Errorf("%s/meta.json: %w", id, err)
		}
	}
	return blocks, nil
}

// Get reads an object.
func (m *MinIO) Get(ctx context.Context, object string) ([]byte, error) {
	o, err := m.Client.GetObject(ctx, m.S3.Bucket, object, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// WatchBlocks polls the bucket every interval until ctx ends and calls found once for each
// block whose meta.json (uploaded last) has appeared, with the time it was first seen. It lists
// only the top level and reads only new blocks' meta.json, so it stays cheap on a big bucket.
func (m *MinIO) WatchBlocks(ctx context.Context, interval time.Duration, found func(meta BlockMeta, seen time.Time)) {
	known := map[string]bool{}
	for ctx.Err() == nil {
		for obj := range m.Client.ListObjects(ctx, m.S3.Bucket, minio.ListObjectsOptions{}) {
			id := strings.TrimSuffix(obj.Key, "/")
			if obj.Err != nil || len(id) != 26 || known[id] {
				continue
			}
			raw, err := m.Get(ctx, id+"/meta.json")
			if err != nil {
				continue // not there yet
			}
			seen := time.Now()
			var meta BlockMeta
			if json.Unmarshal(raw, &meta) == nil {
				known[id] = true
				found(meta, seen)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// SortedBlocks returns blocks ordered by minimum time.
func SortedBlocks(blocks map[string]*Block, keep func(*Block) bool) []*Block {
	var out []*Block
	for _, b := range blocks {
		if keep == nil || keep(b) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Meta.MinTime != out[j].Meta.MinTime {
			return out[i].Meta.MinTime < out[j].Meta.MinTime
		}
		return out[i].Meta.ULID < out[j].Meta.ULID
	})
	return out
}

// ULIDTime decodes the creation time in a ULID (its first 48 bits, Crockford base32).
func ULIDTime(id string) (time.Time, error) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	if len(id) != 26 {
		return time.Time{}, fmt.Errorf("ULID %q: not 26 characters", id)
	}
	var ms uint64
	for _, c := range id[:10] {
		i := strings.IndexRune(alphabet, c)
		if i < 0 {
			return time.Time{}, fmt.Errorf("ULID %q: bad character %q", id, c)
		}
		ms = ms<<5 | uint64(i)
	}
	return time.UnixMilli(int64(ms)), nil
}

// ConnectMinIO is a client of a MinIO server already running at the site (in the cluster).
func ConnectMinIO(site S3Site, region string) (*MinIO, error) {
	client, err := minio.New(site.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(site.AccessKey, site.SecretKey, ""),
		Region: region,
	})
	return &MinIO{S3: site, Region: region, Client: client}, err
}
