package archive

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The archive protocol kantamig speaks (the real interface's outer
// transport was not available; DOMAIN §5): one message per document, POST
// /archive whose body is the RCMR_IN200002FI01 frame (text/xml), the signed
// CDA document inside it as a MIME body in clinicalDocument/text
// (DocumentOfFrame). Answers: 200 {"result":"accepted"} or
// {"result":"duplicate"}; 422 {"error": reason} when the archive refuses the
// document (sending again will not help); 5xx when it cannot take it now.

// Faults are the failures the simulator can inject, for testing clients.
type Faults struct {
	Latency   time.Duration // added to every answer
	ErrorRate float64       // share of requests answered 503 before archiving
	DropRate  float64       // share of requests whose connection is dropped without an answer (half before, half after archiving)
	RefuseOID string        // refuse these documents (OIDs, comma-separated) with 422
	Seed      uint64
}

// Server serves a Judge over HTTP and keeps what it accepts in a folder.
type Server struct {
	judge  *Judge
	dir    string
	faults Faults
	mu     sync.Mutex
	log    *os.File
	rng    *rand.Rand
	// TestArchive refuses identity codes outside the test range 900–999.
	TestArchive bool
}

// NewServer opens (or creates) the simulator's store in dir and replays what
// it accepted before, so that a restarted simulator judges as before. Its
// judge holds documents to cfg.
func NewServer(dir string, faults Faults, cfg Config) (*Server, error) {
	if err := os.MkdirAll(filepath.Join(dir, "documents"), 0o700); err != nil {
		return nil, err
	}
	judge, err := NewJudge(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{judge: judge, dir: dir, faults: faults, rng: rand.New(rand.NewPCG(faults.Seed, 1)), TestArchive: true}
	logPath := filepath.Join(dir, "accepted.jsonl")
	if f, err := os.Open(logPath); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e acceptedEntry
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			doc, err1 := os.ReadFile(filepath.Join(dir, "documents", e.OID+".xml"))
			frame, err2 := os.ReadFile(filepath.Join(dir, "documents", e.OID+".frame.xml"))
			if err1 == nil && err2 == nil {
				s.judge.Archive(doc, frame)
			}
		}
		f.Close()
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	s.log = log
	return s, nil
}

type acceptedEntry struct {
	Seq int    `json:"seq"`
	OID string `json:"oid"`
	At  string `json:"at"`
}

// Judge is the server's judge.
func (s *Server) Judge() *Judge { return s.judge }

// Close closes the store.
func (s *Server) Close() error { return s.log.Close() }

func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// ServeHTTP handles POST /archive, and the validation service's POST
// ValidatorPath.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ValidatorPath && r.Method == http.MethodPost {
		s.serveValidation(w, r)
		return
	}
	if r.URL.Path != "/archive" || r.Method != http.MethodPost {
		answer(w, http.StatusNotFound, map[string]string{"error": "POST /archive"})
		return
	}
	time.Sleep(s.faults.Latency)
	frame, doc, err := readMessage(r)
	if err != nil {
		answer(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if s.chance(s.faults.ErrorRate) {
		answer(w, http.StatusServiceUnavailable, map[string]string{"error": "injected fault: the archive is busy"})
		return
	}
	dropAfter := false
	if s.chance(s.faults.DropRate) {
		if s.chance(0.5) {
			drop(w)
			return
		}
		dropAfter = true // archive it, then lose the answer
	}
	if s.TestArchive {
		if err := testIdentityCodesOnly(doc); err != nil {
			answer(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
			return
		}
	}
	oid := docOID(doc)
	if s.faults.RefuseOID != "" && slices.Contains(strings.Split(s.faults.RefuseOID, ","), oid) {
		answer(w, http.StatusUnprocessableEntity, map[string]string{"error": "injected refusal: document " + oid + " is not acceptable"})
		return
	}
	s.mu.Lock() // one archiving at a time keeps the store in the order judged
	dup, err := s.judge.Archive(doc, frame)
	if err == nil && !dup {
		err = s.keep(oid, doc, frame)
	}
	s.mu.Unlock()
	if err != nil {
		if _, ok := err.(*Refusal); ok {
			answer(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
			return
		}
		answer(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	if dropAfter {
		drop(w)
		return
	}
	result := "accepted"
	if dup {
		result = "duplicate"
	}
	answer(w, http.StatusOK, map[string]string{"result": result, "oid": oid})
}

func (s *Server) keep(oid string, doc, frame []byte) error {
	if err := os.WriteFile(filepath.Join(s.dir, "documents", oid+".xml"), doc, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "documents", oid+".frame.xml"), frame, 0o600); err != nil {
		return err
	}
	line, _ := json.Marshal(acceptedEntry{Seq: s.judge.Count(), OID: oid, At: time.Now().UTC().Format(time.RFC3339Nano)})
	_, err := s.log.Write(append(line, '\n'))
	return err
}

func readMessage(r *http.Request) (frame, doc []byte, err error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "text/xml" && mt != "application/xml") {
		return nil, nil, fmt.Errorf("the body must be the frame, text/xml")
	}
	frame, err = io.ReadAll(io.LimitReader(r.Body, 96<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the message: %v", err)
	}
	doc, err = DocumentOfFrame(frame)
	if err != nil {
		return nil, nil, err
	}
	return frame, doc, nil
}
