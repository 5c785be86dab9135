package archive

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/beevik/etree"
)

// DocumentOfFrame takes the signed document out of an archiving message,
// as the archive would: the frame's subject/clinicalDocument/text with
// mediaType multipart/related holds a MIME multipart body (a Content-Type
// header naming its boundary, then the parts); the part whose Content-ID
// is the clinicalDocument's id is the document, text/xml in Base64
// (DOMAIN §5.2a). Written from the archive's side, apart from the frame
// builder it checks.
func DocumentOfFrame(frame []byte) ([]byte, error) {
	fr := etree.NewDocument()
	if err := fr.ReadFromBytes(frame); err != nil {
		return nil, refuse("the frame is not well-formed XML: %v", err)
	}
	cd := fr.FindElement("//subject/clinicalDocument")
	if cd == nil {
		return nil, refuse("the frame has no subject/clinicalDocument")
	}
	oid := attr(cd, "id", "root")
	text := cd.SelectElement("text")
	if text == nil || text.SelectAttrValue("mediaType", "") != "multipart/related" {
		return nil, refuse("the frame's clinicalDocument has no text with mediaType multipart/related")
	}
	body := bufio.NewReader(strings.NewReader(strings.TrimLeft(text.Text(), " \t\r\n")))
	header, err := textproto.NewReader(body).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, refuse("the frame's MIME body has no header: %v", err)
	}
	// The message headers of the health archive's messages of the same
	// family (DOMAIN §5.2a).
	if v := header.Get("MIME-Version"); v != "1.0" {
		return nil, refuse("the frame's MIME body has no MIME-Version: 1.0 (it has %q)", v)
	}
	if id := header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		return nil, refuse("the frame's MIME body has no Message-ID of the form <id@domain> (it has %q)", id)
	}
	mt, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" || params["boundary"] == "" {
		return nil, refuse("the frame's MIME body is not multipart/related with a boundary (Content-Type %q)", header.Get("Content-Type"))
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return nil, refuse("the frame's MIME body has no part with Content-ID <%s>", oid)
		}
		if err != nil {
			return nil, refuse("reading the frame's MIME body: %v", err)
		}
		if strings.Trim(p.Header.Get("Content-ID"), "<>") != oid {
			continue
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/xml" {
			return nil, refuse("the document's part is %q, not text/xml", p.Header.Get("Content-Type"))
		}
		if !strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			return nil, refuse("the document's part is not in Base64 (Content-Transfer-Encoding %q)", p.Header.Get("Content-Transfer-Encoding"))
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			return nil, refuse("reading the document's part: %v", err)
		}
		doc, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(raw), nil)))
		if err != nil {
			return nil, refuse("the document's part is not valid Base64: %v", err)
		}
		return doc, nil
	}
}

// ArchiveMessage judges a whole message: the document inside the frame.
func (j *Judge) ArchiveMessage(frame []byte) (oid string, duplicate bool, err error) {
	doc, err := DocumentOfFrame(frame)
	if err != nil {
		return "", false, err
	}
	dup, err := j.Archive(doc, frame)
	return docOID(doc), dup, err
}

// sameDocument is a problem when a package's document file is not the
// document its frame carries.
func sameDocument(doc, frame []byte) error {
	inside, err := DocumentOfFrame(frame)
	if err != nil {
		return err
	}
	if !bytes.Equal(inside, doc) {
		return fmt.Errorf("the document file is not the document its frame carries")
	}
	return nil
}
