// Package mapping reads the YAML mapping file of one legacy system and applies
// it: a source record goes in, a model value (kanta.Relationship, kanta.Case,
// kanta.Document) or a reject with its reason comes out.
//
// Decoding is strict, in the manner of sqlc's configuration: an unknown key, a
// wrong type, an unknown target field, a required target left unmapped, or a
// code outside its code set is an *Error carrying file:line:column and a hint.
// There is no expression language: a field is taken from one column or several
// joined, trimmed, parsed as a date, looked up in a value map, split into a
// list, or given a constant or a default. What cannot be said that way belongs
// in a view or query on the source side, where the legacy system's people can
// read it. docs/mapping.md documents the format.
package mapping
