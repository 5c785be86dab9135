package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// ValidatorPath is where the archive's test validation service (SHARK
// validation, DOMAIN §5.3) takes documents, and archive-sim serves the same.
const ValidatorPath = "/shark-validointi/validoi/asiakirja/tulos"

// ValidationRequest is the validation service's request body.
type ValidationRequest struct {
	MessageID      string `json:"messageId"`
	ServiceRequest string `json:"palveluPyynto"`
	Level          string `json:"level"`
	FrameXML       string `json:"siirtokehysXml"`
	DocumentXML    string `json:"asiakirjaXml"`
}

// ValidationAnswer is the service's answer to a document it found wrong: its
// description lists the errors, numbered, separated by ';'.
type ValidationAnswer struct {
	Description string `json:"description"`
}

// Validate judges one document and its frame on their own, as the
// validation service does: what can be checked without the rest of the
// archive (order is not: nothing else was sent). It returns the problems,
// none for a valid pair.
func (i *Inspector) Validate(document, frame []byte, serviceRequest string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, part := range []struct {
		name string
		data []byte
	}{{"asiakirjaXml", document}, {"siirtokehysXml", frame}} {
		if !bytes.HasPrefix(bytes.TrimLeft(part.data, "\ufeff"), []byte("<?xml")) {
			add("%s: no XML declaration", part.name)
		}
		if bytes.ContainsRune(part.data, '\r') {
			add("%s: CR characters (CRLF line endings)", part.name)
		}
	}
	fr := etree.NewDocument()
	if err := fr.ReadFromBytes(frame); err == nil {
		if sr := fr.FindElement("//controlActProcess/reasonCode[@codeSystem='1.2.246.537.6.1503.201601']"); sr == nil || sr.SelectAttrValue("code", "") != serviceRequest {
			add("palveluPyynto %s is not the frame's service request", serviceRequest)
		}
	}
	problems = append(problems, i.Inspect(document, frame).Problems...)
	if err := testIdentityCodesOnly(document); err != nil {
		add("%v", err)
	}
	return problems
}

// serveValidation answers the validation service's requests as the real
// one was seen to: an empty 200 for a valid document, otherwise 400 with
// {"description": "1: …; 2: …;"}.
func (s *Server) serveValidation(w http.ResponseWriter, r *http.Request) {
	var req ValidationRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 96<<20)).Decode(&req); err != nil {
		answer(w, http.StatusBadRequest, ValidationAnswer{Description: "1: the body is not the validation request's JSON: " + err.Error()})
		return
	}
	if req.Level == "" || req.ServiceRequest == "" {
		answer(w, http.StatusBadRequest, ValidationAnswer{Description: "1: palveluPyynto and level are required;"})
		return
	}
	problems := s.judge.Inspector().Validate([]byte(req.DocumentXML), []byte(req.FrameXML), req.ServiceRequest)
	if len(problems) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	numbered := make([]string, len(problems))
	for i, p := range problems {
		numbered[i] = strconv.Itoa(i+1) + ": " + strings.ReplaceAll(p, ";", ",") + ";"
	}
	answer(w, http.StatusBadRequest, ValidationAnswer{Description: strings.Join(numbered, " ")})
}
