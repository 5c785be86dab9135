package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Dir is an archive package: documents/<xx>/<oid>.xml (the signed document),
// frames/<xx>/<oid>.xml (its message frame), and manifest.jsonl, one line per
// document in delivery order. <xx> spreads the files over 256 folders so
// that no folder grows huge. Every file is written whole or not at all
// (temporary file in .tmp, fsync, rename) and readable by the owner only.
type Dir struct {
	root     string
	manifest *os.File
	// recent holds the OIDs of the last manifest lines, to tell a document
	// that was written but not yet listed (a crash between the two) from one
	// listed already.
	recent map[string]bool
	ring   []string
	seq    int64
	mu     sync.Mutex // deliveries may come from several senders
}

// remember adds an OID to the recent set, forgetting the oldest beyond recentLines.
func (d *Dir) remember(oid string) {
	d.recent[oid] = true
	d.ring = append(d.ring, oid)
	if len(d.ring) > recentLines {
		delete(d.recent, d.ring[0])
		d.ring = d.ring[1:]
	}
}

// ManifestEntry is one line of manifest.jsonl.
type ManifestEntry struct {
	Seq            int64  `json:"seq"`
	OID            string `json:"oid"`
	SetID          string `json:"set_id"`
	Version        int    `json:"version"`
	Kind           string `json:"kind"`
	ServiceRequest string `json:"service_request"`
	Document       string `json:"document"`
	Frame          string `json:"frame"`
	Delivered      string `json:"delivered"`
}

// recentLines is how many manifest lines are checked when a document that
// is already on disk is delivered again; it covers every delivery a crash can
// leave unrecorded in the state store.
const recentLines = 10000

// OpenDir opens or creates an archive package.
func OpenDir(root string) (*Dir, error) {
	for _, sub := range []string{"", "documents", "frames", ".tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return nil, fmt.Errorf("creating the archive package: %w", err)
		}
	}
	path := filepath.Join(root, "manifest.jsonl")
	d := &Dir{root: root, recent: map[string]bool{}}
	if err := d.readTail(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the manifest: %w", err)
	}
	d.manifest = f
	return d, nil
}

// readTail reads the OIDs of the last lines of the manifest and the last
// sequence number, dropping a torn last line left by a crash.
func (d *Dir) readTail(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the manifest: %w", err)
	}
	defer f.Close()
	var ring []string
	var good int64
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 { // torn line: cut it off
				if terr := os.Truncate(path, good); terr != nil {
					return fmt.Errorf("repairing the manifest: %w", terr)
				}
			}
			break
		}
		if err != nil {
			return fmt.Errorf("reading the manifest: %w", err)
		}
		good += int64(len(line))
		var e ManifestEntry
		if json.Unmarshal(bytes.TrimSpace(line), &e) != nil {
			return fmt.Errorf("the manifest has a broken line before %d bytes; repair or remove it", good)
		}
		d.seq = e.Seq
		ring = append(ring, e.OID)
		if len(ring) > recentLines {
			ring = ring[1:]
		}
	}
	for _, oid := range ring {
		d.remember(oid)
	}
	return nil
}

func (d *Dir) String() string { return "dir:" + d.root }

// Deliver writes the document and its frame, then lists it in the manifest.
// A document already in the package is not written again.
//
// Documents of different OIDs may be delivered concurrently: their files are
// written in parallel, and only the manifest line is taken in turn.
func (d *Dir) Deliver(_ context.Context, del *Delivery) (Receipt, error) {
	shard := shardOf(del.OID)
	docName := filepath.Join("documents", shard, del.OID+".xml")
	frameName := filepath.Join("frames", shard, del.OID+".xml")
	docPath := filepath.Join(d.root, docName)
	for _, sub := range []string{"documents", "frames"} {
		if err := os.MkdirAll(filepath.Join(d.root, sub, shard), 0o700); err != nil {
			return Receipt{}, fmt.Errorf("writing the archive package: %w", err)
		}
	}
	if _, err := os.Stat(docPath); err == nil {
		d.mu.Lock()
		listed := d.recent[del.OID]
		d.mu.Unlock()
		if listed {
			return Receipt{Duplicate: true}, nil
		}
		// Written before a crash, but not listed yet: finish the job.
	}
	if err := d.writeAtomic(filepath.Join(d.root, frameName), del.Frame); err != nil {
		return Receipt{}, err
	}
	if err := d.writeAtomic(docPath, del.Document); err != nil {
		return Receipt{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	line, _ := json.Marshal(ManifestEntry{Seq: d.seq, OID: del.OID, SetID: del.SetID, Version: del.Version, Kind: del.Kind,
		ServiceRequest: del.ServiceRequest, Document: docName, Frame: frameName, Delivered: time.Now().UTC().Format(time.RFC3339Nano)})
	if _, err := d.manifest.Write(append(line, '\n')); err != nil {
		return Receipt{}, fmt.Errorf("writing the manifest: %w", err)
	}
	if err := d.manifest.Sync(); err != nil {
		return Receipt{}, fmt.Errorf("writing the manifest: %w", err)
	}
	d.remember(del.OID)
	return Receipt{}, nil
}

// Close closes the manifest.
func (d *Dir) Close() error { return d.manifest.Close() }

// shardOf spreads OIDs over 256 folders by a hash of the OID.
func shardOf(oid string) string {
	h := fnv.New32a()
	h.Write([]byte(oid))
	return fmt.Sprintf("%02x", h.Sum32()&0xff)
}

func (d *Dir) writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Join(d.root, ".tmp"), "w-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}
