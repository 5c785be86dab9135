package state

import (
	"reflect"
	"sync"
	"time"
)

// A model's times are stored as UTC instants. JSON writes a time's offset in
// whole minutes, so a time in a zone whose offset has seconds (Helsinki's
// mean time, +1:39:49, before 1 May 1921) would come back 49 seconds off,
// and the document rebuilt for delivery would differ from the one staged.
// In UTC the instant is exact; the transform writes every time in the
// mapping's zone, whatever zone the value carries.

var timeType = reflect.TypeFor[time.Time]()

// holdsTime caches, per type, whether a value of it can hold a time.Time
// (safe for the stagers of several goroutines).
var holdsTime sync.Map

func hasTime(t reflect.Type) bool {
	if v, ok := holdsTime.Load(t); ok {
		return v.(bool)
	}
	found := timeIn(t, map[reflect.Type]bool{})
	holdsTime.Store(t, found)
	return found
}

// timeIn says whether t can hold a time; seen breaks a recursive type's loop
// (it is decided by its other fields).
func timeIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			return true
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && timeIn(f.Type, seen) {
				return true
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return timeIn(t.Elem(), seen)
	case reflect.Interface:
		return true // decided by what it holds
	}
	return false
}

// inUTC returns a copy of v with every time in UTC, sharing what holds no
// time; v itself is not changed (the caller may still read its model).
func inUTC(v reflect.Value) reflect.Value {
	if !v.IsValid() || !hasTime(v.Type()) {
		return v
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return reflect.ValueOf(v.Interface().(time.Time).UTC())
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				c.Field(i).Set(inUTC(v.Field(i)))
			}
		}
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(inUTC(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(inUTC(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			c.Index(i).Set(inUTC(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), inUTC(it.Value()))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(inUTC(v.Elem()))
		return c
	}
	return v
}
