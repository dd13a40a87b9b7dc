package main

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// embeddedBroker is a one-node Kafka-protocol broker in the plugin's
// process (franz-go's kfake), kept in memory: clients produce, consume
// and use consumer groups as with Kafka, so nothing else needs to be
// installed.
type embeddedBroker struct {
	cluster *kfake.Cluster
	addr    string // what clients connect to
}

func startEmbedded(s EmbeddedSettings) (*embeddedBroker, error) {
	var bound string
	listen := func(network, _ string) (net.Listener, error) {
		ln, err := net.Listen(network, s.Address)
		if err != nil {
			return nil, err
		}
		bound = ln.Addr().String()
		if s.AdvertisedAddress != "" {
			return advertised{Listener: ln, addr: s.AdvertisedAddress}, nil
		}
		return ln, nil
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(listen),
		kfake.ClusterID("mockarty"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(int(s.Partitions)),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded Kafka broker on %s: %w", s.Address, err)
	}
	addr := bound
	if s.AdvertisedAddress != "" {
		addr = s.AdvertisedAddress
	}
	return &embeddedBroker{cluster: c, addr: addr}, nil
}

func (b *embeddedBroker) close() { b.cluster.Close() }

// advertised reports the advertised address as the listener's, which is
// what the broker tells clients to connect to.
type advertised struct {
	net.Listener
	addr string
}

func (a advertised) Addr() net.Addr { return advertisedAddr(a.addr) }

type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }
