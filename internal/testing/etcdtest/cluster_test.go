package etcdtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestClusterQuorum: three members serve a write; with two stopped, a write
// fails; with one back, it succeeds again on the same data.
func TestClusterQuorum(t *testing.T) {
	c := Run(t, 3)
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, "k", "v1")
	require.NoError(t, err)

	c.Member(1).Stop()
	c.Member(2).Stop()
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	_, err = cli.Put(short, "k", "v2")
	cancelShort()
	require.Error(t, err, "a write without quorum")

	require.NoError(t, c.Restart(1))
	require.NoError(t, c.WaitHealthy(ctx))
	_, err = cli.Put(ctx, "k", "v3")
	require.NoError(t, err)
	got, err := cli.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v3", string(got.Kvs[0].Value))
}
