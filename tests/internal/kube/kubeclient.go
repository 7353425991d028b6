package kube

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus-thanos/prometheus-thanos/tests/internal/objects"
)

// KubeClient reads and writes API objects with plain HTTPS and JSON, so the suites need no
// client-go.
type KubeClient struct {
	server, token string
	http          *http.Client
}

// NewKubeClient is a client of the API server at server (https://host:port) with a bearer token.
func NewKubeClient(server, token string, caPEM []byte) (*KubeClient, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("bad CA certificate")
	}
	return &KubeClient{server: server, token: token, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}, nil
}

// Do sends a request with a JSON body (nil for none) and returns the response body and status.
func (c *KubeClient) Do(ctx context.Context, method, path string, body any) ([]byte, int, error) {
	return c.do(ctx, method, path, "application/json", body)
}

// MergePatch applies a JSON merge patch to an object.
func (c *KubeClient) MergePatch(ctx context.Context, path string, patch any) error {
	return c.patch(ctx, path, "application/merge-patch+json", patch)
}

// StrategicMergePatch applies a strategic merge patch, as `kubectl patch` and `kubectl set image`
// do: a container in a list is matched by its name.
func (c *KubeClient) StrategicMergePatch(ctx context.Context, path string, patch any) error {
	return c.patch(ctx, path, "application/strategic-merge-patch+json", patch)
}

func (c *KubeClient) patch(ctx context.Context, path, contentType string, patch any) error {
	raw, status, err := c.do(ctx, http.MethodPatch, path, contentType, patch)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("PATCH %s: %d %s", path, status, raw)
	}
	return nil
}

func (c *KubeClient) do(ctx context.Context, method, path, contentType string, body any) ([]byte, int, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, 0, err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, reader)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return raw, resp.StatusCode, err
}

// Get reads one object; found is false on 404.
func (c *KubeClient) Get(ctx context.Context, path string) (obj map[string]any, found bool, err error) {
	raw, status, err := c.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, false, err
	}
	switch status {
	case http.StatusOK:
		err = json.Unmarshal(raw, &obj)
		return obj, true, err
	case http.StatusNotFound:
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("GET %s: %d %s", path, status, raw)
}

// GetExisting reads the object at path, which must exist.
func (c *KubeClient) GetExisting(ctx context.Context, path string) (map[string]any, error) {
	obj, found, err := c.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s does not exist", path)
	}
	return obj, nil
}

// List returns the items of a collection (an empty list when the resource type does not exist).
func (c *KubeClient) List(ctx context.Context, path string) ([]map[string]any, error) {
	raw, status, err := c.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return nil, nil
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, status, raw)
	}
	var l struct {
		Items []map[string]any `json:"items"`
	}
	return l.Items, json.Unmarshal(raw, &l)
}

// Put replaces an object.
func (c *KubeClient) Put(ctx context.Context, path string, obj any) error {
	return c.expect(ctx, http.MethodPut, path, obj, nil, http.StatusOK, http.StatusCreated)
}

// Post creates an object in a collection (or calls a subresource), decoding the answer into out
// when it is not nil.
func (c *KubeClient) Post(ctx context.Context, path string, obj, out any) error {
	return c.expect(ctx, http.MethodPost, path, obj, out, http.StatusOK, http.StatusCreated)
}

// Delete deletes an object; an object already gone is no error.
func (c *KubeClient) Delete(ctx context.Context, path string) error {
	return c.expect(ctx, http.MethodDelete, path, nil, nil, http.StatusOK, http.StatusAccepted, http.StatusNotFound)
}

func (c *KubeClient) expect(ctx context.Context, method, path string, body, out any, statuses ...int) error {
	raw, status, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		if status == s {
			if out != nil {
				return json.Unmarshal(raw, out)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s: %d %s", method, path, status, raw)
}

// LabelSelector renders a label map as a labelSelector query value, escaped for a URL.
func LabelSelector(labels map[string]string) string {
	var parts []string
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return url.QueryEscape(strings.Join(parts, ","))
}

// Names lists the names of the objects at a collection path, sorted.
func (c *KubeClient) Names(ctx context.Context, path string) ([]string, error) {
	items, err := c.List(ctx, path)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(items))
	for _, item := range items {
		names = append(names, objects.Str(item, "metadata", "name"))
	}
	slices.Sort(names)
	return names, nil
}
