// Package archive is a stand-in for the national archive: it judges each
// archiving message as the archive would (frame and document agree, the
// signature is valid, nothing arrives before what it refers to) and keeps
// what it accepted. kantamig archive-sim serves it over HTTPS, and the tests
// use it to judge archive packages.
//
// It is written from the archive's point of view, not the loader's: it knows
// nothing of source records or delivery plans, only the documents it is sent,
// so it can catch the loader's mistakes instead of repeating them.
package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Judge checks and remembers archived documents. It is safe for concurrent use.
type Judge struct {
	inspector     *Inspector
	mu            sync.Mutex
	relationships map[string]bool   // client relationship OIDs archived
	clients       map[string]bool   // client ids (recordTarget) with a relationship
	cases         map[string]bool   // case OIDs archived
	docs          map[string]accept // document OID -> what was archived
	lastTime      map[string]string // client id -> effectiveTime of its latest client document
	count         int
}

type accept struct {
	hash    [32]byte
	setID   string
	version int
	clients []string
}

// NewJudge makes an empty archive that judges with cfg (see Config).
func NewJudge(cfg Config) (*Judge, error) {
	in, err := NewInspector(cfg)
	if err != nil {
		return nil, err
	}
	return &Judge{inspector: in, relationships: map[string]bool{}, clients: map[string]bool{}, cases: map[string]bool{},
		docs: map[string]accept{}, lastTime: map[string]string{}}, nil
}

// Inspector is the judge's inspector of single documents.
func (j *Judge) Inspector() *Inspector { return j.inspector }

// Refusal is the archive's refusal of a message, with its reason.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// Count is how many documents were archived.
func (j *Judge) Count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.count
}

// Has reports whether a document OID was archived.
func (j *Judge) Has(oid string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.docs[oid]
	return ok
}

// Archive judges one message: the document and its frame on their own
// (Inspector), then against what the archive holds. It returns
// duplicate=true for a document archived before with the same content
// (accepted again, idempotently).
func (j *Judge) Archive(document, frame []byte) (duplicate bool, err error) {
	if ins := j.inspector.Inspect(document, frame); ins.Refused() {
		return false, &Refusal{Reason: ins.Error()}
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(document); err != nil {
		return false, refuse("the document is not well-formed XML: %v", err)
	}
	root := doc.Root()
	oid := attr(root, "id", "root")
	setID := attr(root, "setId", "root")
	version, _ := strconv.Atoi(attr(root, "versionNumber", "value"))
	hash := sha256.Sum256(bodyOf(document))

	j.mu.Lock()
	defer j.mu.Unlock()
	if prev, ok := j.docs[oid]; ok {
		if prev.hash != hash {
			return false, refuse("document %s was archived before with other content", oid)
		}
		return true, nil
	}
	group := attr(root, "localSocialHeader/documentGroup", "code")
	clients := recordTargets(root)
	switch group {
	case "1":
		rel := attr(root, "localSocialHeader/encompassingClientRelationship", "root")
		if rel == "" {
			return false, refuse("a client-relationship document without encompassingClientRelationship")
		}
		j.relationships[rel] = true
		for _, c := range clients {
			j.clients[c] = true
		}
	case "2":
		for _, c := range clients {
			if !j.clients[c] {
				return false, refuse("case document %s arrived before the client relationship of its client", oid)
			}
		}
		j.cases[attr(root, "componentOf/encompassingEncounter/id", "root")] = true
	case "5":
		if rel := attr(root, "localSocialHeader/encompassingClientRelationship", "root"); rel != "" && !j.relationships[rel] {
			return false, refuse("client document %s arrived before its client relationship %s", oid, rel)
		}
		for _, c := range clients {
			if !j.clients[c] {
				return false, refuse("client document %s arrived before the client relationship of its client", oid)
			}
		}
		caseID := attr(root, "componentOf/encompassingEncounter/id", "root")
		if !j.cases[caseID] {
			return false, refuse("client document %s arrived before its case %s", oid, caseID)
		}
		for _, rd := range root.SelectElements("relatedDocument") {
			switch code := rd.SelectAttrValue("typeCode", ""); code {
			case "RPLC":
			case "APND": // an attachment: after the document it belongs to, of its client
				pid := attr(rd, "parentDocument/id", "root")
				parent, ok := j.docs[pid]
				if !ok {
					return false, refuse("document %s is an attachment of %s, which is not archived", oid, pid)
				}
				if !slices.Equal(parent.clients, clients) {
					return false, refuse("document %s is an attachment of %s, a document of another client", oid, pid)
				}
			default:
				return false, refuse("document %s is related to another by typeCode %q, which is neither a replacement (RPLC) nor an attachment (APND)", oid, code)
			}
		}
		if parent := root.FindElement("relatedDocument[@typeCode='RPLC']/parentDocument"); parent != nil {
			pid := attr(parent, "id", "root")
			prev, ok := j.docs[pid]
			if !ok {
				return false, refuse("document %s replaces %s, which is not archived", oid, pid)
			}
			if prev.setID != setID || prev.version >= version {
				return false, refuse("document %s (version %d of %s) does not follow the version it replaces (version %d of %s)", oid, version, setID, prev.version, prev.setID)
			}
		}
		when := attr(root, "effectiveTime", "value")
		for _, c := range clients {
			if last := j.lastTime[c]; last != "" && compareTimes(when, last) < 0 {
				return false, refuse("client document %s (%s) arrived after a later document of the same client (%s)", oid, when, last)
			}
			j.lastTime[c] = when
		}
	default:
		return false, refuse("unknown document group %q", group)
	}
	j.docs[oid] = accept{hash: hash, setID: setID, version: version, clients: clients}
	j.count++
	return false, nil
}

// compareTimes orders HL7 timestamps with zone offsets (YYYYMMDDhhmmss+zzzz).
func compareTimes(a, b string) int {
	ta, errA := parseTS(a)
	tb, errB := parseTS(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return ta.Compare(tb)
}

func attr(e *etree.Element, path, name string) string {
	if e == nil {
		return ""
	}
	el := e
	if path != "" {
		el = e.FindElement(path)
	}
	if el == nil {
		return ""
	}
	return el.SelectAttrValue(name, "")
}

func recordTargets(root *etree.Element) []string {
	var ids []string
	for _, rt := range root.SelectElements("recordTarget") {
		if id := rt.FindElement("patientRole/id"); id != nil {
			ids = append(ids, id.SelectAttrValue("root", "")+"/"+id.SelectAttrValue("extension", ""))
		}
	}
	return ids
}

// bodyOf is the part of a document that a re-sent copy must repeat exactly:
// everything but the signature, whose timestamp differs between sendings.
func bodyOf(doc []byte) []byte {
	i := bytes.Index(doc, []byte("<signatureCollection"))
	j := bytes.Index(doc, []byte("</signatureCollection>"))
	if i < 0 || j < i {
		return doc
	}
	out := append([]byte{}, doc[:i]...)
	return append(out, doc[j:]...)
}

// ErrEmpty is returned by helpers given nothing to judge.
var ErrEmpty = errors.New("nothing to judge")
