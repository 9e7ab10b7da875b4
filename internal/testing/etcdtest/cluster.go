// Package etcdtest runs a real etcd server (one member or three) on free
// 127.0.0.1 ports for the high-availability tests: stop, kill, pause and
// restart members to lose and regain quorum.
package etcdtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/serverproc"
)

// EnvBinary names the environment variable with the path of the etcd binary;
// `make unit` and `make test` build it into _build (make etcd) and set it.
const EnvBinary = "APILOGS_ETCD"

// Cluster is a running etcd cluster.
type Cluster struct {
	bin     string
	dir     string
	members []*Member
}

// Member is one etcd process of a cluster.
type Member struct {
	name      string
	clientURL string
	proc      serverproc.Process
}

// Run starts a cluster of n members for the test and stops it at its end;
// it skips the test when EnvBinary is unset.
func Run(tb testing.TB, n int) *Cluster {
	tb.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		tb.Skipf("set %s to an etcd server binary to run the etcd tests (`make unit` and `make test` build it into _build and set it)", EnvBinary)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, bin, tb.TempDir(), n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Stop)
	return c
}

// Start runs n members with their data under dir and waits until every one
// answers /health. Ports taken between picking and listening make a member
// exit at once; Start then tries other ports.
func Start(ctx context.Context, bin, dir string, n int) (*Cluster, error) {
	return serverproc.Retry(ctx, func(attempt int) (*Cluster, error) {
		return start(ctx, bin, filepath.Join(dir, fmt.Sprintf("try%d", attempt)), n)
	})
}

func start(ctx context.Context, bin, dir string, n int) (*Cluster, error) {
	c := &Cluster{bin: bin, dir: dir}
	peers := make([]string, n)
	clients := make([]string, n)
	for i := range n {
		p, err := collectorproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		cl, err := collectorproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		peers[i], clients[i] = "http://"+p, "http://"+cl
	}
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("m%d=%s", i, peers[i]))
	}
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		m := &Member{name: name, clientURL: clients[i]}
		m.proc = serverproc.Process{
			Name:    "etcd " + name,
			Binary:  bin,
			LogPath: filepath.Join(dir, name+".log"),
			Args: []string{
				"--name", name, "--data-dir", filepath.Join(dir, name),
				"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
				"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
				"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
				"--initial-cluster-token", "apilogs-test", "--log-level", "warn",
			},
		}
		c.members = append(c.members, m)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for _, m := range c.members {
		if err := m.proc.Start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.WaitHealthy(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// WaitHealthy waits until every running member answers /health with
// quorum (a loaded 2-core machine may take seconds to elect a leader).
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, serverproc.ReadyTimeout)
	defer cancel()
	for _, m := range c.members {
		if !m.Running() {
			continue
		}
		if err := m.proc.WaitReady(ctx, "/health", m.healthy); err != nil {
			return err
		}
	}
	return nil
}

func (m *Member) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.clientURL+"/health", http.NoBody)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(b.String(), `"health":"true"`)
}

// Endpoints are the client URLs of every member, running or not.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.clientURL
	}
	return eps
}

// Member is the i-th member.
func (c *Cluster) Member(i int) *Member { return c.members[i] }

// Stop ends every member.
func (c *Cluster) Stop() {
	for _, m := range c.members {
		m.Stop()
	}
}

// Running tells whether the process is running.
func (m *Member) Running() bool { return m.proc.Running() }

// Stop sends SIGTERM (and SIGCONT, should it be paused) and waits up to 10 s,
// then kills.
func (m *Member) Stop() { m.proc.Stop() }

// Restart runs a stopped member again on its data directory and ports.
func (m *Member) Restart(bin string) error {
	m.proc.Binary = bin
	return m.proc.Start()
}

// Restart runs the stopped i-th member again.
func (c *Cluster) Restart(i int) error { return c.members[i].Restart(c.bin) }

// Tail is the last n bytes of the member's output.
func (m *Member) Tail(n int) string { return m.proc.Tail(n) }
