package thanos

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestQuerierFansOutToRemoteStoreAPIsOverMutualTLS: each remote StoreAPI is a strict endpoint of
// the sd-config with the client certificate, the CA and the server name it verifies, beside the
// peers Service's plain one; the response timeout bounds a remote that stops answering.
func TestQuerierFansOutToRemoteStoreAPIsOverMutualTLS(t *testing.T) {
	peers := PeersSRVAddress(PeersServiceName, "global")
	remote := RemoteStoreAPIs{Endpoints: []RemoteStoreAPI{
		{Address: "edge.eu.example.com:10901", ServerName: "edge.eu.example.com"},
		{Address: "10.1.2.3:443", ServerName: "thanos-edge.us"},
	}}
	flags, err := QuerierFlags(peers, remote, QuerierSettings{})
	if err != nil {
		t.Fatal(err)
	}
	var sd EndpointSDConfig
	var sdFlags int
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "--endpoint.sd-config="); ok {
			sdFlags++
			if err := yaml.Unmarshal([]byte(v), &sd); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sdFlags != 1 || len(sd.Endpoints) != 3 {
		t.Fatalf("%d sd-config flags with %d endpoints; want one flag with the peers and both remotes: %q", sdFlags, len(sd.Endpoints), flags)
	}
	if got := sd.Endpoints[0]; got.Address != peers || got.Strict || got.ClientConfig != nil {
		t.Errorf("first endpoint %+v; want the peers Service's, plain and not strict", got)
	}
	for i, want := range remote.Endpoints {
		got := sd.Endpoints[i+1]
		tls := EndpointTLSConfig{Enabled: true, CertFile: "/etc/thanos/tls/client/tls.crt", KeyFile: "/etc/thanos/tls/client/tls.key", CAFile: "/etc/thanos/tls/client/ca.crt"}
		if got.Address != want.Address || !got.Strict || got.ClientConfig == nil || got.ClientConfig.ServerName != want.ServerName || got.ClientConfig.TLSConfig != tls {
			t.Errorf("endpoint %d = %+v (client %+v); want %s strict, over mutual TLS verifying %s", i+1, got, got.ClientConfig, want.Address, want.ServerName)
		}
	}
	if !slices.Contains(flags, "--store.response-timeout="+DefaultRemoteResponseTimeout) {
		t.Errorf("flags %q lack --store.response-timeout=%s", flags, DefaultRemoteResponseTimeout)
	}
	// No deprecated client flags: TLS is per endpoint (v0.42 deprecates --grpc-client-tls-*).
	for _, f := range flags {
		if strings.HasPrefix(f, "--grpc-client-") {
			t.Errorf("deprecated flag %q", f)
		}
	}
	// Without remotes, no timeout: the stack's own StoreAPIs keep Thanos's default.
	plain, err := QuerierFlags(peers, RemoteStoreAPIs{}, QuerierSettings{})
	if err != nil || slices.ContainsFunc(plain, func(f string) bool { return strings.HasPrefix(f, "--store.response-timeout") }) {
		t.Errorf("a querier without remotes: %q, %v; want no response timeout", plain, err)
	}
	remote.ResponseTimeout = "45s"
	if flags, _ := QuerierFlags(peers, remote, QuerierSettings{}); !slices.Contains(flags, "--store.response-timeout=45s") {
		t.Errorf("flags %q lack the configured response timeout", flags)
	}
}

func TestRemoteStoreAPIsRefuseWhatTheQuerierCannotDial(t *testing.T) {
	peers := PeersSRVAddress(PeersServiceName, "global")
	ok := RemoteStoreAPI{Address: "edge.example.com:10901", ServerName: "edge.example.com"}
	for name, remote := range map[string]RemoteStoreAPIs{
		"no port":         {Endpoints: []RemoteStoreAPI{{Address: "edge.example.com", ServerName: "edge"}}},
		"port 0":          {Endpoints: []RemoteStoreAPI{{Address: "edge.example.com:0", ServerName: "edge"}}},
		"a DNS SD prefix": {Endpoints: []RemoteStoreAPI{{Address: "dns+edge.example.com:10901", ServerName: "edge"}}},
		"no server name":  {Endpoints: []RemoteStoreAPI{{Address: "edge.example.com:10901"}}},
		"twice":           {Endpoints: []RemoteStoreAPI{ok, ok}},
		"a zero timeout":  {Endpoints: []RemoteStoreAPI{ok}, ResponseTimeout: "0s"},
		"a bad timeout":   {Endpoints: []RemoteStoreAPI{ok}, ResponseTimeout: "soon"},
	} {
		if _, err := QuerierFlags(peers, remote, QuerierSettings{}); err == nil {
			t.Errorf("%s: accepted %+v", name, remote)
		}
	}
}

// TestEdgeQuerierServesOnlyItsPeersOverMutualTLS: the edge querier queries the peers Service alone
// (never another cluster: two stacks reading each other make no loop) and its gRPC server requires
// a client certificate from the Secret's CA.
func TestEdgeQuerierServesOnlyItsPeersOverMutualTLS(t *testing.T) {
	peers := PeersSRVAddress(PeersServiceName, "monitoring")
	flags, err := EdgeQuerierFlags(peers, QuerierSettings{})
	if err != nil {
		t.Fatal(err)
	}
	querier, _ := QuerierFlags(peers, RemoteStoreAPIs{}, QuerierSettings{})
	want := append(querier,
		"--grpc-server-tls-cert=/etc/thanos/tls/server/tls.crt",
		"--grpc-server-tls-key=/etc/thanos/tls/server/tls.key",
		"--grpc-server-tls-client-ca=/etc/thanos/tls/server/ca.crt")
	if !slices.Equal(flags, want) {
		t.Errorf("edge querier flags:\n got %q\nwant %q", flags, want)
	}
	if EdgeQuerierLabels("thanos").ObjectName() == QuerierLabels("thanos").ObjectName() {
		t.Error("the edge querier shares the querier's object name, and with it its Service and selector")
	}
}

func TestEdgeServiceSettings(t *testing.T) {
	for _, tc := range []struct {
		s  EdgeService
		ok bool
	}{
		{EdgeService{Type: ServiceTypeClusterIP}, true},
		{EdgeService{Type: ServiceTypeLoadBalancer, SourceRanges: []string{"10.0.0.0/16"}}, true},
		{EdgeService{Type: ServiceTypeLoadBalancer}, false},
		{EdgeService{Type: ServiceTypeNodePort}, false},
		{EdgeService{Type: ServiceTypeNodePort, Address: "node-1.example.com:30901"}, true},
		{EdgeService{Type: ServiceTypeClusterIP, Address: "edge.example.com"}, false},
		{EdgeService{Type: "ExternalName"}, false},
		{EdgeService{}, false},
	} {
		if err := tc.s.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v; want ok %v", tc.s, err, tc.ok)
		}
	}
}
