package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/state"
)

// proxy stands between a store and the server, so that a test can cut
// every connection (a blip: the server restarted, a network fault) or
// refuse new ones for a while (an outage).
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close(); c.Close() }()
			go func() { io.Copy(c, s); s.Close(); c.Close() }()
		}
	}()
}

// cut closes every connection through the proxy; new ones are taken.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// down cuts every connection and refuses new ones until up.
func (p *proxy) down() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.cut()
}

func (p *proxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// through is a location of a new schema reached through p.
func (p *proxy) through(name string) (viaProxy, direct string) {
	direct = server.NewLocation(name)
	_, port, _ := net.SplitHostPort(p.addr)
	return strings.Replace(direct, fmt.Sprintf(":%d/", server.Port), ":"+port+"/", 1), direct
}

func record(i int, outcome string) *state.Record {
	return &state.Record{Entity: "client", Key: fmt.Sprintf("s:%04d", i), Pass: 1, Locator: fmt.Sprintf("c.csv:%d", i), Outcome: outcome, Model: []byte("{}")}
}

// Connections cut in the middle of a batch (records sent and not yet
// committed, records not yet sent, an outcome marked): the store connects
// again, replays the batch, takes its run lock back, and every write
// arrives. Before, the first cut ended the process.
func TestAStoreSurvivesLostConnections(t *testing.T) {
	need(t)
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", server.Port))
	loc, direct := p.through("blip")
	s, err := Open(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 300 { // 256 sent in the open batch, 44 kept to send
		if err := s.Put(record(i, state.Pending)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkLoaded("client", "s:0007"); err != nil {
		t.Fatal(err)
	}
	p.cut()
	if err := s.SetSetting("after", "the cut"); err != nil {
		t.Fatalf("a write after the cut: %v", err)
	}
	for i := 300; i < 310; i++ {
		if err := s.Put(record(i, state.Pending)); err != nil {
			t.Fatal(err)
		}
	}
	p.cut()
	if _, err := s.Mint("1.2.3", "3"); err != nil {
		t.Fatalf("minting after a cut: %v", err)
	}
	p.cut()
	if err := s.Commit(); err != nil {
		t.Fatalf("committing after cuts: %v", err)
	}
	if s.Reconnects() == 0 {
		t.Error("the store says it never connected again")
	}
	other, err := Open(direct)
	var locked *state.ErrLocked
	if !errors.As(err, &locked) {
		if other != nil {
			other.Close()
		}
		t.Fatalf("the run lock after reconnecting: another Open got %v, want ErrLocked", err)
	}
	check, err := OpenShared(direct)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	counts, err := check.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts["client"][state.Pending] != 309 || counts["client"][state.Loaded] != 1 {
		t.Errorf("after the cuts the store holds %v, want 309 pending and 1 loaded", counts["client"])
	}
	if v, _ := check.Setting("after"); v != "the cut" {
		t.Errorf("a setting written after a cut: %q", v)
	}
}

// A lock that went with a lost connection and was taken meanwhile by
// another process is not worked without: the store stops with ErrLockLost.
func TestALockTakenWhileDisconnectedStopsTheStore(t *testing.T) {
	need(t)
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", server.Port))
	loc, direct := p.through("lost")
	a, err := OpenShared(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if ok, err := a.TryClaim("shard/0"); !ok || err != nil {
		t.Fatalf("claiming: %v %v", ok, err)
	}
	p.cut()
	b, err := OpenShared(direct)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Claim(ctx, "shard/0"); err != nil {
		t.Fatalf("another process claiming the lock the cut released: %v", err)
	}
	err = a.SetSetting("x", "y")
	var lost *ErrLockLost
	if !errors.As(err, &lost) || lost.Lock != "shard/0" {
		t.Fatalf("a write after losing the lock: %v, want ErrLockLost", err)
	}
}

// An outage shorter than ReconnectFor is waited out; a longer one ends in
// ErrUnreachable, which says how long it tried and what to do.
func TestAnOutageIsWaitedOutForAStatedTime(t *testing.T) {
	need(t)
	defer func(was time.Duration) { ReconnectFor = was }(ReconnectFor)
	ReconnectFor = 3 * time.Second
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", server.Port))
	loc, _ := p.through("outage")
	s, err := OpenShared(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(record(1, state.Pending)); err != nil {
		t.Fatal(err)
	}
	p.down()
	time.AfterFunc(1500*time.Millisecond, p.up)
	if err := s.Commit(); err != nil {
		t.Fatalf("an outage of 1.5 s with ReconnectFor 3 s: %v", err)
	}

	p.down()
	start := time.Now()
	err = s.SetSetting("x", "y")
	var gone *ErrUnreachable
	if !errors.As(err, &gone) || !strings.Contains(err.Error(), "run again once the database is back") {
		t.Fatalf("an outage longer than ReconnectFor: %v", err)
	}
	if took := time.Since(start); took < ReconnectFor || took > 4*ReconnectFor {
		t.Errorf("gave up after %s, ReconnectFor is %s", took, ReconnectFor)
	}
	if strings.Contains(err.Error(), "kantamig-test-pg") {
		t.Errorf("the error shows the password: %v", err)
	}
}
