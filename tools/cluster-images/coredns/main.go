// Command coredns is CoreDNS with only the plugins the one-node cluster's Corefile uses
// (tests/internal/kube, deployDNS): coremain plus those plugin packages, each registering
// itself, which is what upstream's plugin.cfg build generates for a shorter list. Upstream's main
// imports every plugin, and with them the AWS, Azure and Google Cloud SDKs: a quarter of this
// module's cold compile. A Corefile naming a plugin not listed here fails to start ("unknown
// directive"), so the cluster suite would notice.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}
