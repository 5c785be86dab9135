// Package registry is the one kind of list the backends are kept in:
// source kinds by name, sinks and state stores by scheme. Each backend adds
// itself once, in an init function; a second registration of a name is a
// programming error and panics, as database/sql's Register does.
package registry

import (
	"slices"
	"sync"
)

// Registry maps names to backends of one sort.
type Registry[T any] struct {
	what string // "source kind", "sink scheme", ..., for the panic
	mu   sync.Mutex
	byID map[string]T
}

// New makes an empty registry; what names its entries in messages.
func New[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, byID: map[string]T{}}
}

// Register adds a backend under a name.
func (r *Registry[T]) Register(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byID[name]; dup {
		panic(r.what + " registered twice: " + name)
	}
	r.byID[name] = v
}

// Unregister removes a backend: for a test that registers one of its own
// and must leave the list as it found it.
func (r *Registry[T]) Unregister(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, name)
}

// Lookup returns the backend registered under a name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.byID[name]
	return v, ok
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.byID))
	for n := range r.byID {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
