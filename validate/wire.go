package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/kantamig/kantamig/report"
)

// The validation service's messages are written here, from DOMAIN §5.3 and
// the exchanges recorded in testdata/exchanges, and not taken from
// archive-sim: a client that borrowed the stand-in's types would agree with
// it by construction, and a renamed field would go unnoticed on both sides.

// request is the body of POST .../validoi/asiakirja/tulos.
type request struct {
	MessageID      string `json:"messageId"`
	ServiceRequest string `json:"palveluPyynto"`
	Level          string `json:"level"`
	Frame          string `json:"siirtokehysXml"`
	Document       string `json:"asiakirjaXml"`
}

// encodeRequest builds the request body. The service needs each XML to open
// with its declaration (without one it answers an HTML block page) and reads
// CRLF line ends wrongly, so a part that breaks either is refused here, not
// repaired: kantamig writes neither, and one that does is a defect to see.
func encodeRequest(messageID, serviceRequest string, document, frame []byte) ([]byte, error) {
	for _, part := range []struct {
		name string
		data []byte
	}{{"document", document}, {"frame", frame}} {
		if !bytes.HasPrefix(part.data, []byte("<?xml")) {
			return nil, fmt.Errorf("the %s does not open with an XML declaration, which the validation service needs", part.name)
		}
		if bytes.Contains(part.data, []byte("\r\n")) {
			return nil, fmt.Errorf("the %s has CRLF line ends, which the validation service misreads", part.name)
		}
	}
	return json.Marshal(request{MessageID: messageID, ServiceRequest: serviceRequest, Level: "1",
		Frame: string(frame), Document: string(document)})
}

// answer is what the service says of a document it found wrong.
type answer struct {
	Description *string `json:"description"`
}

var supportID = regexp.MustCompile(`support ID is:\s*([0-9]+)`)

// readAnswer turns the service's answer into a verdict: an empty 200 (or
// whitespace) is valid; a JSON object with a text description, whatever the
// status, lists the errors; anything else (the HTML block page, a gateway
// error, a 200 with a body that is not the validator's) is a failure to be
// validated, never a verdict on the document.
func readAnswer(status int, contentType string, body []byte) (string, []string) {
	if status == http.StatusOK && len(bytes.TrimSpace(body)) == 0 {
		return report.ValidationValid, nil
	}
	var a answer
	if json.Unmarshal(body, &a) == nil && a.Description != nil && strings.TrimSpace(*a.Description) != "" {
		var errs []string
		for _, e := range strings.Split(*a.Description, ";") {
			if e = strings.TrimSpace(e); e != "" {
				errs = append(errs, e)
			}
		}
		return report.ValidationInvalid, errs
	}
	text := string(body)
	if strings.Contains(text, "Request Rejected") {
		why := fmt.Sprintf("the service refused the request with its block page (HTTP %d)", status)
		if m := supportID.FindStringSubmatch(text); m != nil {
			why += ", support ID " + m[1]
		}
		return report.ValidationFailed, []string{why + ": check that both XML parts open with their declaration and that only test identity codes are sent"}
	}
	kind := contentType
	if kind == "" {
		kind = "no content type"
	}
	return report.ValidationFailed, []string{fmt.Sprintf("HTTP %d (%s), not the validator's answer: %s", status, kind, firstLine(text))}
}
