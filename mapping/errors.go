package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Pos is a position in the mapping file.
type Pos struct {
	Line, Column int
}

func posOf(n ast.Node) Pos {
	if n == nil || n.GetToken() == nil {
		return Pos{}
	}
	p := n.GetToken().Position
	return Pos{Line: p.Line, Column: p.Column}
}

// Error is a problem in a mapping file at a position, with a hint on how to fix it.
type Error struct {
	File   string
	Pos    Pos
	Msg    string
	Hint   string
	Source error
	// Set and Code name the code of a placeholder note (Mapping.Placeholders).
	Set, Code string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
	if e.Hint != "" {
		s += " (hint: " + e.Hint + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Source }

// Errors is every problem found in one mapping file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// posError is what the decoding hooks return; Load turns it into an *Error
// with the file name.
type posError struct {
	pos  Pos
	msg  string
	hint string
}

func (e *posError) Error() string { return e.msg }

func errAt(n ast.Node, hint, format string, args ...any) error {
	return &posError{pos: posOf(n), msg: fmt.Sprintf(format, args...), hint: hint}
}

// fromDecodeError turns an error from the YAML decoder into an *Error.
func fromDecodeError(file string, err error) *Error {
	var pe *posError
	if errors.As(err, &pe) {
		return &Error{File: file, Pos: pe.pos, Msg: pe.msg, Hint: pe.hint}
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{File: file, Msg: ye.GetMessage(), Source: err}
		if tk := ye.GetToken(); tk != nil {
			e.Pos = Pos{Line: tk.Position.Line, Column: tk.Position.Column}
		}
		var unknown *yaml.UnknownFieldError
		if errors.As(err, &unknown) {
			e.Hint = "check the spelling; docs/mapping.md lists every key"
		}
		var typeErr *yaml.TypeError
		if errors.As(err, &typeErr) {
			e.Hint = "the value has the wrong type for this key"
		}
		return e
	}
	return &Error{File: file, Pos: Pos{Line: 1, Column: 1}, Msg: err.Error(), Source: err}
}
