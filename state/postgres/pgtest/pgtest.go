// Package pgtest starts a private PostgreSQL server on loopback for tests,
// through scripts/postgres-start.sh, and gives --state locations on it, each
// its own schema.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/kantamig/kantamig/internal/testenv"
)

// Server is a running test server.
type Server struct {
	Dir  string
	Port int
	// DSN reaches the database "kantamig" as its owner, password and all: for
	// KANTAMIG_STATE_DSN in tests, never for a command line.
	DSN string
}

const password = "kantamig-test-pg"

func root() string { return testenv.Root() }

// Available reports whether PostgreSQL's server is installed.
func Available() bool {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

// Start starts a server in a new temporary folder.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "kantamig-pg-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("bash", filepath.Join(root(), "scripts", "postgres-start.sh"), dir, strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "KANTAMIG_PG_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting PostgreSQL: %v\n%s", err, out)
	}
	return &Server{Dir: dir, Port: port, DSN: fmt.Sprintf("postgres://kantamig:%s@127.0.0.1:%d/kantamig", password, port)}, nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() {
	exec.Command("bash", filepath.Join(root(), "scripts", "postgres-stop.sh"), s.Dir).Run()
	os.RemoveAll(s.Dir)
}

var schemas atomic.Int64

// NewLocation gives a --state location (after "postgres:") on a schema of
// its own, never used before; the password comes from PGPASSWORD, which Main
// sets.
func (s *Server) NewLocation(name string) string {
	return fmt.Sprintf("//kantamig@127.0.0.1:%d/kantamig?search_path=%s_%d_%d", s.Port, name, os.Getpid(), schemas.Add(1))
}

// Main runs a test package's tests with a server started for them. Without
// PostgreSQL the tests run anyway (they skip themselves) unless
// KANTAMIG_REQUIRE_TOOLS is set.
func Main(m interface{ Run() int }, use func(*Server)) int {
	if !Available() {
		if testenv.ToolsRequired() {
			fmt.Fprintln(os.Stderr, "PostgreSQL is required (apt-get install postgresql)")
			return 1
		}
		return m.Run()
	}
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	os.Setenv("PGPASSWORD", password)
	use(s)
	return m.Run()
}
