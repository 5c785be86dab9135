package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/transform"
)

// DefaultMaxDocumentBytes bounds an archive document (Options.MaxDocumentBytes).
// The archive's own limit is not published (DOMAIN §5); 20 MiB is far above
// any text-only social-care document and well below what a message of the
// archive's interface can carry.
const DefaultMaxDocumentBytes = 20 << 20

// DefaultMaxMessageBytes bounds a message frame (Options.MaxMessageBytes):
// the signed document inside it in Base64 is a third larger than the
// document, so the default lets a document of the default limit through.
const DefaultMaxMessageBytes = 32 << 20

// The limits hold for every kind of document: a client relationship with a
// name of 100 MiB is refused as a client document with such a text is. They
// are applied twice. Before a document is built, to the text its record
// holds: building makes several copies of it (escaped, Base64, the frame),
// and memory must not follow the size of one field. After it is built, to
// the document and to the most its message frame can be.

// textBytes sums the bytes of every string a model holds, and names the
// largest (by its field, written as a mapping names it: FamilyName is
// family_name). Keys (ClientKey, PartKey, ...) are left out: they tie
// records together and are not written into documents. It copies nothing.
func textBytes(model any) (total int, field string, largest int) {
	var walk func(v reflect.Value, name string)
	walk = func(v reflect.Value, name string) {
		switch v.Kind() {
		case reflect.String:
			n := v.Len()
			total += n
			if n > largest {
				field, largest = name, n
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), name)
			}
		case reflect.Struct:
			t := v.Type()
			for i := 0; i < v.NumField(); i++ {
				if f := t.Field(i); f.IsExported() && !strings.HasSuffix(f.Name, "Key") {
					walk(v.Field(i), snake(t.Field(i).Name))
				}
			}
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 { // bytes: a body read as bytes
				n := v.Len()
				total += n
				if n > largest {
					field, largest = name, n
				}
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), name)
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key(), name)
				walk(it.Value(), name)
			}
		}
	}
	walk(reflect.ValueOf(model), "")
	return total, field, largest
}

// snake writes a Go field name as the mapping writes its fields.
func snake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// oversized says why a record's model holds too much text to become a
// document (of its own, or the one it is carried in: what is the owner's
// model then), or nil.
func (s *stager) oversized(model any, what string) *kanta.Finding {
	total, field, largest := textBytes(model)
	if total <= s.maxBytes {
		return nil
	}
	return s.tooLarge(field, fmt.Sprintf("%s holds %d bytes of text (%s alone %d) before it is even built", what, total, field, largest))
}

// overLimits says why a built document, or the message that would carry
// it, is over its limit, or nil.
func (s *stager) overLimits(out *transform.Output) *kanta.Finding {
	if n := len(out.XML); n > s.maxBytes {
		return s.tooLarge("", fmt.Sprintf("its archive document would be %d bytes", n))
	}
	if n := transform.MessageBytesAtMost(len(out.XML)); n > s.maxMessage {
		return &kanta.Finding{Rule: kanta.RuleDocumentTooLarge, Reason: fmt.Sprintf("its message frame could be %d bytes, signed and in Base64; the limit is %d bytes (--max-message-bytes): split the text in the source, or raise the limit if the archive takes larger messages", n, s.maxMessage)}
	}
	return nil
}

// tooLarge is the finding of a document over the size limit, refused at
// staging so that the run does not stop in delivery when the archive
// refuses it.
func (s *stager) tooLarge(field, what string) *kanta.Finding {
	return &kanta.Finding{Field: field, Rule: kanta.RuleDocumentTooLarge,
		Reason: fmt.Sprintf("%s; the limit is %d bytes (--max-document-bytes): split the text in the source, or raise the limit if the archive takes larger documents", what, s.maxBytes)}
}
