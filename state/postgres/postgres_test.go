package postgres

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/postgres/pgtest"
	"github.com/kantamig/kantamig/state/statetest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, func(s *pgtest.Server) { server = s }))
}

func need(t *testing.T) {
	t.Helper()
	if server == nil {
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
}

// The shared store passes the suite every backend passes, with minting
// checked across handles that share one schema as shard processes do.
func TestConformance(t *testing.T) {
	need(t)
	statetest.Run(t, statetest.Backend{
		New:        func(t *testing.T) string { return server.NewLocation("suite") },
		Open:       func(loc string) (state.Store, error) { return Open(loc) },
		Crash:      func(s state.Store) { s.(*Store).Crash() },
		Shared:     true,
		OpenShared: func(loc string) (state.Store, error) { return OpenShared(loc) },
	})
}

// A password on the command line is refused; the environment is where it goes.
func TestPasswordInLocationIsRefused(t *testing.T) {
	_, err := Open("//kantamig:secret@127.0.0.1:1/kantamig")
	if !errors.Is(err, ErrSecretInLocation) {
		t.Fatalf("got %v, want ErrSecretInLocation", err)
	}
}

// The connection string from the environment: unset is a clear error; a
// wrong password is an error that does not quote the string.
func TestDSNFromTheEnvironment(t *testing.T) {
	t.Setenv(DefaultDSNVariable, "")
	if _, err := Open(""); err == nil {
		t.Fatal("an unset KANTAMIG_STATE_DSN was accepted")
	}
	need(t)
	t.Setenv("KANTAMIG_OTHER_DSN", strings.Replace(server.DSN, "kantamig-test-pg", "x-wrong", 1))
	_, err := Open("KANTAMIG_OTHER_DSN")
	if err == nil {
		t.Fatal("a wrong connection string was accepted")
	}
	for _, secret := range []string{"kantamig-test-pg", "x-wrong"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the connection string: %v", err)
		}
	}
	t.Setenv("KANTAMIG_OTHER_DSN", server.DSN)
	s, err := Open("KANTAMIG_OTHER_DSN")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(s.Location(), "kantamig-test-pg") {
		t.Errorf("Location shows the password: %s", s.Location())
	}
}

// A store closed and opened again at once, 200 times, finds its run lock
// free every time: Close lets go of the session's advisory locks before it
// ends the session, rather than leaving them for the server to notice.
// While one handle holds the lock, another is refused; the refusal is the
// lock's holder, not a race.
func TestAnImmediateReopenFindsTheLockFree(t *testing.T) {
	need(t)
	loc := server.NewLocation("reopen")
	for i := 0; i < 200; i++ {
		s, err := Open(loc)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if i%50 == 0 {
			if other, err := Open(loc); err == nil {
				other.Close()
				t.Fatalf("reopen %d: a second handle took the lock the first holds", i)
			} else if _, locked := errors.AsType[*state.ErrLocked](err); !locked {
				t.Fatalf("reopen %d: a second handle: %v, want the lock refused", i, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
}
