package sink

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is an archive package: documents/<xx>/<oid>.xml (the signed document),
// frames/<xx>/<oid>.xml (its message frame), and manifest.jsonl, one line per
// document in delivery order. <xx> spreads the files over 256 folders so
// that no folder grows huge. Every file is readable by the owner only. A
// document is listed only once its files are durable, and documents are made
// durable in groups (see Send); package.json is written whole or not at all
// (temporary file in .tmp, fsync, rename).
//
// A package belongs to one run: package.json holds the id of the run that
// made it (Bind), and a run with another state store is refused unless it
// adopts the package. While a run writes it, the package is locked (.lock),
// so no second writer can list a document again. A document delivered again
// is a no-op however long ago it was listed: a document whose frame file is
// absent was never listed (files are durable before their line is written);
// one whose frame is present is looked up in an index of every listed OID,
// built from the manifest the first time such a document comes (a run
// resumed after a crash, a package adopted). A run that meets none never
// builds it, so memory does not grow with the package. So the files of a
// listed document must not be removed by hand: one whose frame is gone
// would be written and listed again if it were delivered again.
type Dir struct {
	root     string
	idKey    []byte // package.json's identity key
	manifest *os.File
	reader   *os.File // the manifest, for confirming index hits
	lock     *os.File
	index    *manifestIndex // nil until a frame file is found present
	listed   int            // lines in the manifest
	seq      int64
	size     int64      // bytes of the manifest: the offset of the next line
	broken   error      // a write failed: nothing more is listed until the package is reopened
	mu       sync.Mutex // deliveries may come from several senders
	// queued are the OIDs sent but not yet listed; open is the group
	// gathering them while the committer makes the one before durable.
	queued     map[string]bool
	open       *group
	committing bool
	committer  sync.WaitGroup
}

// manifestIndex finds a listed OID in memory at about 16 bytes a document:
// a hash of the OID to the offset of its manifest line, confirmed by reading
// that line, so that a hash collision can never make an unlisted document look
// listed. OIDs whose hash another OID already has are kept whole in extra.
type manifestIndex struct {
	seed  maphash.Seed
	at    map[uint64]int64
	extra map[string]bool
}

func newManifestIndex() *manifestIndex {
	return &manifestIndex{seed: maphash.MakeSeed(), at: map[uint64]int64{}, extra: map[string]bool{}}
}

func (ix *manifestIndex) has(oid string, lineAt func(int64) string) bool {
	off, ok := ix.at[maphash.String(ix.seed, oid)]
	if !ok {
		return false
	}
	return lineAt(off) == oid || ix.extra[oid]
}

func (ix *manifestIndex) add(oid string, off int64, lineAt func(int64) string) {
	h := maphash.String(ix.seed, oid)
	if _, taken := ix.at[h]; !taken {
		ix.at[h] = off
	} else if !ix.has(oid, lineAt) {
		ix.extra[oid] = true
	}
}

// ManifestFile is the package's manifest, which makes a folder a package.
const ManifestFile = "manifest.jsonl"

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
	// Source, Content and EntityOID are the document's identity (see
	// Identity): Source the keyed hash of its record's entity and source
	// key. Packages written before kantamig kept them have none.
	Source    string `json:"source,omitempty"`
	Content   string `json:"content,omitempty"`
	EntityOID string `json:"entity_oid,omitempty"`
	// Locator is the record's place in the legacy source, identity codes
	// masked.
	Locator string `json:"locator,omitempty"`
}

// ErrPackageLocked is returned when another process writes the package.
type ErrPackageLocked struct{ Path string }

func (e *ErrPackageLocked) Error() string {
	return fmt.Sprintf("another kantamig run is writing the archive package %s; wait for it to finish (or stop it)", e.Path)
}

// ErrPackageOwned is returned by Bind when the package was made by another
// run (another state store), or by none that kantamig knows.
type ErrPackageOwned struct {
	Path, Owner string // Owner is "" for a package without package.json
	Documents   int
}

func (e *ErrPackageOwned) Error() string {
	owner := "a run with another state file (run " + e.Owner + ")"
	if e.Owner == "" {
		owner = "no run this state file knows (it has no package.json)"
	}
	return fmt.Sprintf("the archive package %s holds %d documents delivered by %s; delivering into it from this state would list documents twice. Use the state file that made it, or another package folder; or give --adopt-package to take it over: each document it holds is then matched to this run's record by source key, version and content, and the adoption is refused if any does not match",
		e.Path, e.Documents, owner)
}

// packageInfo is package.json.
type packageInfo struct {
	Format      int    `json:"format"`
	RunID       string `json:"run_id"`
	Created     string `json:"created"`
	AdoptedFrom string `json:"adopted_from,omitempty"`
	// IdentityKey keys the hash under which the manifest names each
	// document's record (SourceID), so that the manifest never carries a
	// source key, which may be an identity code, in clear.
	IdentityKey string `json:"identity_key,omitempty"`
}

func init() {
	Register("dir", Scheme{Form: "dir:", Help: "an archive package in a folder", Open: func(path string, _ Options) (Sink, error) { return OpenDir(path) }})
}

// OpenDir opens or creates an archive package and locks it for this process.
func OpenDir(root string) (*Dir, error) {
	// The absolute path names the package (String), so that the same
	// package given another way is still the same sink to the state store.
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	folders := []string{"", ".tmp"}
	for i := range 256 {
		folders = append(folders, filepath.Join("documents", fmt.Sprintf("%02x", i)), filepath.Join("frames", fmt.Sprintf("%02x", i)))
	}
	for _, sub := range folders {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			return nil, fmt.Errorf("creating the archive package: %w", err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(root, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the archive package: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &ErrPackageLocked{Path: root}
		}
		return nil, fmt.Errorf("locking the archive package: %w", err)
	}
	d := &Dir{root: root, lock: lock, queued: map[string]bool{}}
	fail := func(err error) (*Dir, error) {
		d.Close()
		return nil, err
	}
	// Temporary files of writes a crash interrupted: no writer is left (the lock).
	if tmps, err := os.ReadDir(filepath.Join(root, ".tmp")); err == nil {
		for _, t := range tmps {
			os.Remove(filepath.Join(root, ".tmp", t.Name()))
		}
	}
	path := filepath.Join(root, ManifestFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fail(fmt.Errorf("opening the manifest: %w", err))
	}
	d.manifest = f
	if d.reader, err = os.Open(path); err != nil {
		return fail(fmt.Errorf("opening the manifest: %w", err))
	}
	if err := d.readManifest(path); err != nil {
		return fail(err)
	}
	if info, err := d.info(); err == nil && info != nil {
		d.idKey = []byte(info.IdentityKey)
	}
	return d, nil
}

// info reads package.json: nil if there is none.
func (d *Dir) info() (*packageInfo, error) {
	path := filepath.Join(d.root, "package.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the archive package's id: %w", err)
	}
	var info packageInfo
	if json.Unmarshal(data, &info) != nil || info.RunID == "" {
		return nil, fmt.Errorf("the archive package's %s is damaged; restore it, or remove it and give --adopt-package", path)
	}
	return &info, nil
}

// Owner is the run the package belongs to ("" for none) and how many
// documents it lists.
func (d *Dir) Owner() (string, int, error) {
	info, err := d.info()
	if err != nil || info == nil {
		return "", d.listed, err
	}
	return info.RunID, d.listed, nil
}

// SourceID is the keyed hash under which the manifest names a record.
func (d *Dir) SourceID(entity, key string) string {
	m := hmac.New(sha256.New, d.idKey)
	m.Write([]byte(entity))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Listed calls fn with every line of the manifest, in order.
func (d *Dir) Listed(fn func(ManifestEntry) error) error {
	var ferr error
	err := d.scanManifest(filepath.Join(d.root, ManifestFile), false, func(e *ManifestEntry, at int64) {
		if ferr == nil && at < d.size {
			ferr = fn(*e)
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// Bind ties the package to the run with id runID: a new package is marked
// as that run's; one of another run (or of none) is refused unless adopt,
// which makes it this run's.
func (d *Dir) Bind(runID string, adopt bool) error {
	path := filepath.Join(d.root, "package.json")
	info, err := d.info()
	switch {
	case err != nil:
		return err
	case info != nil && info.RunID == runID:
		return nil
	case info == nil && d.listed == 0:
		info = &packageInfo{Format: 1, RunID: runID, Created: time.Now().UTC().Format(time.RFC3339)}
		return d.writeInfo(path, info)
	case !adopt:
		owner := ""
		if info != nil {
			owner = info.RunID
		}
		return &ErrPackageOwned{Path: d.root, Owner: owner, Documents: d.listed}
	}
	was := "(none)"
	if info == nil {
		info = &packageInfo{Format: 1, Created: time.Now().UTC().Format(time.RFC3339)}
	} else {
		was = info.RunID
	}
	info.RunID, info.AdoptedFrom = runID, was
	return d.writeInfo(path, info)
}

// writeInfo writes package.json, with a new identity key if it has none
// (a package made before kantamig kept one: its earlier lines have no
// identity, and no key could match them).
func (d *Dir) writeInfo(path string, info *packageInfo) error {
	if info.IdentityKey == "" {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return err
		}
		info.IdentityKey = hex.EncodeToString(k[:])
	}
	d.idKey = []byte(info.IdentityKey)
	data, _ := json.MarshalIndent(info, "", "  ")
	if err := d.writeAtomic(path, append(data, '\n')); err != nil {
		return err
	}
	return d.syncDir(d.root)
}

func (d *Dir) syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// lineAt reads the OID of the manifest line starting at off.
func (d *Dir) lineAt(off int64) string {
	buf := make([]byte, 4096)
	n, _ := d.reader.ReadAt(buf, off)
	line, _, _ := bytes.Cut(buf[:n], []byte{'\n'})
	var e struct {
		OID string `json:"oid"`
	}
	if json.Unmarshal(line, &e) != nil {
		return ""
	}
	return e.OID
}

// readManifest checks every line of the manifest, counts them and finds
// the last sequence number, dropping a torn last line left by a crash.
func (d *Dir) readManifest(path string) error {
	return d.scanManifest(path, true, func(e *ManifestEntry, at int64) {
		d.seq = e.Seq
		d.listed++
	})
}

// buildIndex indexes the OID of every line listed so far (the first
// d.size bytes of the manifest; groups listed later are added as they are).
func (d *Dir) buildIndex() error {
	ix := newManifestIndex()
	err := d.scanManifest(filepath.Join(d.root, ManifestFile), false, func(e *ManifestEntry, at int64) {
		if at < d.size {
			ix.add(e.OID, at, d.lineAt)
		}
	})
	if err != nil {
		return err
	}
	d.index = ix
	return nil
}

// scanManifest calls fn with every whole line of the manifest and its
// offset; repair cuts off a torn last line.
func (d *Dir) scanManifest(path string, repair bool, fn func(e *ManifestEntry, at int64)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the manifest: %w", err)
	}
	defer f.Close()
	var good int64
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 && repair { // torn line: cut it off
				if terr := os.Truncate(path, good); terr != nil {
					return fmt.Errorf("repairing the manifest: %w", terr)
				}
			}
			break
		}
		if err != nil {
			return fmt.Errorf("reading the manifest: %w", err)
		}
		var e ManifestEntry
		if json.Unmarshal(bytes.TrimSpace(line), &e) != nil {
			return fmt.Errorf("the manifest has a broken line at byte %d; repair or remove it", good)
		}
		fn(&e, good)
		good += int64(len(line))
	}
	if repair {
		d.size = good
	}
	return nil
}

// isListed says whether the manifest lists an OID (d.mu held).
func (d *Dir) isListed(oid, frameName string) (bool, error) {
	if d.queued[oid] {
		return true, nil
	}
	if d.index == nil {
		_, err := os.Lstat(filepath.Join(d.root, frameName))
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("looking for %s in the archive package: %w", filepath.Base(frameName), err)
		}
		if err := d.buildIndex(); err != nil {
			return false, err
		}
	}
	return d.index.has(oid, d.lineAt), nil
}

func (d *Dir) String() string { return "dir:" + d.root }

// Deliver writes the document and its frame, then lists it in the manifest
// once they are durable (Send, then wait). A document already in the
// package is not written again.
func (d *Dir) Deliver(_ context.Context, del *Delivery) (Receipt, error) {
	return d.Send(del)()
}

// Send writes the document and its frame and queues its manifest line; wait
// returns once the group it is in is durable and listed. Documents are
// listed in the order Send was called; once a write or a group fails,
// nothing more is listed until the package is reopened (the sink is
// Sequenced).
//
// Durability goes by groups (group commit): the files of every document sent
// while the previous group was being made durable are flushed together with
// one syncfs, then their lines are appended to the manifest and it is synced
// once. A crash loses at most the documents not yet listed: their files may
// be partial, and they are written again when delivered again.
func (d *Dir) Send(del *Delivery) (wait func() (Receipt, error)) {
	failed := func(err error) func() (Receipt, error) { return func() (Receipt, error) { return Receipt{}, err } }
	d.mu.Lock()
	if d.broken != nil {
		defer d.mu.Unlock()
		return failed(d.broken)
	}
	shard := shardOf(del.OID)
	docName := filepath.Join("documents", shard, del.OID+".xml")
	frameName := filepath.Join("frames", shard, del.OID+".xml")
	listed, err := d.isListed(del.OID, frameName)
	d.mu.Unlock()
	if err != nil {
		return failed(err)
	}
	if listed {
		return func() (Receipt, error) { return Receipt{Duplicate: true}, nil }
	}
	// Written in place: a file is listed only once it is durable, and a
	// listed document is never written again (the index), so a partial file
	// can only be one no manifest line names.
	err = writeFile(filepath.Join(d.root, frameName), del.Frame())
	if err == nil {
		err = writeFile(filepath.Join(d.root, docName), del.Document)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		if d.broken == nil {
			d.broken = err // none may be listed after it
		}
		return failed(err)
	}
	if d.broken != nil {
		return failed(d.broken)
	}
	d.seq++
	entry := ManifestEntry{Seq: d.seq, OID: del.OID, SetID: del.SetID, Version: del.Version, Kind: del.Kind,
		ServiceRequest: del.ServiceRequest, Document: docName, Frame: frameName, Delivered: time.Now().UTC().Format(time.RFC3339Nano),
		Content: del.Identity.Content, EntityOID: del.Identity.EntityOID, Locator: del.Identity.Locator}
	if del.Identity.Key != "" {
		entry.Source = d.SourceID(del.Identity.Entity, del.Identity.Key)
	}
	line, _ := json.Marshal(entry)
	if d.open == nil {
		d.open = &group{done: make(chan struct{})}
	}
	g := d.open
	g.lines = append(g.lines, append(line, '\n')...)
	g.oids = append(g.oids, del.OID)
	d.queued[del.OID] = true
	if !d.committing {
		d.committing = true
		d.committer.Add(1)
		go d.commitGroups()
	}
	return func() (Receipt, error) {
		<-g.done
		return Receipt{}, g.err
	}
}

// group is the documents sent while the group before them was being made
// durable: their manifest lines, in order.
type group struct {
	lines []byte
	oids  []string
	done  chan struct{}
	err   error
}

// commitGroups makes the open group durable and lists it, then the one
// that gathered meanwhile, until none is left.
func (d *Dir) commitGroups() {
	defer d.committer.Done()
	for {
		d.mu.Lock()
		g, broken := d.open, d.broken
		d.open = nil
		if g == nil {
			d.committing = false
			d.mu.Unlock()
			return
		}
		at := d.size
		d.mu.Unlock()
		err := broken
		if err == nil {
			err = d.list(g)
		}
		d.mu.Lock()
		if err != nil && d.broken == nil {
			d.broken = err
		}
		for _, oid := range g.oids {
			delete(d.queued, oid)
		}
		if err == nil {
			for rest := g.lines; len(rest) > 0; {
				line, after, _ := bytes.Cut(rest, []byte{'\n'})
				if d.index != nil {
					d.index.add(oidOfLine(line), at, d.lineAt)
				}
				at += int64(len(line)) + 1
				d.listed++
				rest = after
			}
			d.size = at
		}
		d.mu.Unlock()
		g.err = err
		close(g.done)
	}
}

// list makes a group's files durable, then appends its lines to the
// manifest and makes that durable.
func (d *Dir) list(g *group) error {
	if err := unix.Syncfs(int(d.manifest.Fd())); err != nil {
		return fmt.Errorf("making the archive package durable: %w", err)
	}
	if _, err := d.manifest.Write(g.lines); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	if err := d.manifest.Sync(); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	return nil
}

// oidOfLine reads the OID of a manifest line.
func oidOfLine(line []byte) string {
	var e struct {
		OID string `json:"oid"`
	}
	json.Unmarshal(line, &e)
	return e.OID
}

// Close closes the manifest and releases the package's lock.
func (d *Dir) Close() error {
	d.committer.Wait()
	var err error
	if d.manifest != nil {
		err = d.manifest.Close()
	}
	if d.reader != nil {
		d.reader.Close()
	}
	if d.lock != nil {
		d.lock.Close()
	}
	return err
}

// shardOf spreads OIDs over 256 folders by a hash of the OID.
func shardOf(oid string) string {
	h := fnv.New32a()
	h.Write([]byte(oid))
	return fmt.Sprintf("%02x", h.Sum32()&0xff)
}

// writeFile writes a document's file in place, readable by the owner only,
// without making it durable (its group does that).
func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
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
