// Package sqltest starts a private MariaDB server for tests, with the sample
// legacy database loaded, through scripts/mariadb-start.sh.
package sqltest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/kantamig/kantamig/internal/testenv"
)

// Server is a running test server.
type Server struct {
	Dir, Socket string
	// DSN reaches the first sample system's database (sosiaalitoimi),
	// SmallDSN the small sample of the same system (samples/legacy-small),
	// KotihoitoDSN the second's, ArkistoDSN the third's.
	DSN, SmallDSN, KotihoitoDSN, ArkistoDSN string
	Port                                    int
}

// Root is the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Available reports whether MariaDB is installed.
func Available() bool {
	_, err := exec.LookPath("mariadb-install-db")
	return err == nil
}

const password = "kantamig-test-db"

// Start starts a server in a new temporary folder and loads the sample dump.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "kantamig-mariadb-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return start(dir, port)
}

// Restart stops the server and starts it again, empty, on the same port,
// with the sample dump loaded: the source as it was.
func (s *Server) Restart() error {
	exec.Command("bash", filepath.Join(Root(), "scripts", "mariadb-stop.sh"), s.Dir).Run()
	n, err := start(s.Dir, s.Port)
	if err != nil {
		return err
	}
	*s = *n
	return nil
}

// Kill stops the server at once, as a crash or a network failure would.
func (s *Server) Kill() {
	exec.Command("bash", filepath.Join(Root(), "scripts", "mariadb-stop.sh"), s.Dir).Run()
}

func start(dir string, port int) (*Server, error) {
	cmd := exec.Command("bash", filepath.Join(Root(), "scripts", "mariadb-start.sh"), dir, strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "KANTAMIG_DB_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("starting MariaDB: %v\n%s", err, out)
	}
	s := &Server{Dir: dir, Socket: filepath.Join(dir, "mysqld.sock"), Port: port,
		DSN:          fmt.Sprintf("kantamig:%s@tcp(127.0.0.1:%d)/sosiaalitoimi", password, port),
		SmallDSN:     fmt.Sprintf("kantamig:%s@tcp(127.0.0.1:%d)/sosiaalitoimi_small", password, port),
		KotihoitoDSN: fmt.Sprintf("kantamig:%s@tcp(127.0.0.1:%d)/kotihoito", password, port),
		ArkistoDSN:   fmt.Sprintf("kantamig:%s@tcp(127.0.0.1:%d)/arkisto2003", password, port)}
	if err := s.Load(filepath.Join(Root(), "samples", "legacy-db", "sosiaalitoimi.sql")); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.LoadInto("sosiaalitoimi_small", filepath.Join(Root(), "samples", "legacy-small", "sosiaalitoimi.sql")); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.LoadInto("kotihoito", filepath.Join(Root(), "samples", "kotihoito", "kotihoito.sql")); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.LoadInto("arkisto2003", filepath.Join(Root(), "samples", "arkisto2003", "arkisto2003.sql")); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Load runs an SQL file in the sosiaalitoimi database.
func (s *Server) Load(path string) error { return s.LoadInto("sosiaalitoimi", path) }

// LoadInto runs an SQL file in a database.
func (s *Server) LoadInto(database, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command("mariadb", "--no-defaults", "--socket="+s.Socket, "-uroot", database)
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("loading %s: %v\n%s", filepath.Base(path), err, out)
	}
	return nil
}

// Exec runs SQL as root.
func (s *Server) Exec(sql string) error {
	out, err := exec.Command("mariadb", "--no-defaults", "--socket="+s.Socket, "-uroot", "sosiaalitoimi", "-e", sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() {
	exec.Command("bash", filepath.Join(Root(), "scripts", "mariadb-stop.sh"), s.Dir).Run()
	os.RemoveAll(s.Dir)
}

// Main runs a test package's tests with a MariaDB server started for them,
// passed to use before the tests run. Without MariaDB the tests run anyway
// (they skip themselves) unless KANTAMIG_REQUIRE_TOOLS is set.
func Main(m interface{ Run() int }, use func(*Server)) int {
	if !Available() {
		if testenv.ToolsRequired() {
			fmt.Fprintln(os.Stderr, "MariaDB is required (apt-get install mariadb-server)")
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
	use(s)
	return m.Run()
}
