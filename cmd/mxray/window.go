package main

import (
	"context"
	"sync"
)

// window is the reorder window of a bulk run: at most size documents are
// in flight (handed out by reserve and not yet emitted). In order mode
// documents are emitted in the order their slots were reserved, so a slow
// document at the head holds the window (and stops new work from
// starting) instead of letting finished documents pile up in memory;
// unordered, each is emitted as soon as it is done. emit is called with
// the window's lock held: one document at a time.
type window[T any] struct {
	ordered bool
	emit    func(T)
	slots   chan struct{} // one token per document in flight

	mu      sync.Mutex
	next    int       // in order mode: the sequence number to emit next
	issued  int       // sequence numbers handed out
	pending map[int]T // done, waiting for the documents before them
	skip    map[int]bool
	peak    int // most documents held done-but-not-emitted at once
}

func newWindow[T any](size int, ordered bool, emit func(T)) *window[T] {
	return &window[T]{ordered: ordered, emit: emit, slots: make(chan struct{}, size),
		pending: map[int]T{}, skip: map[int]bool{}}
}

// reserve waits for a free slot and returns the document's sequence
// number; ok is false when ctx ended first.
func (w *window[T]) reserve(ctx context.Context) (seq int, ok bool) {
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	seq = w.issued
	w.issued++
	return seq, true
}

// done hands in document seq, emitting it (and, in order mode, every
// document now at the head) and freeing their slots.
func (w *window[T]) done(seq int, v T) {
	w.finish(seq, v, true)
}

// drop frees seq's slot without emitting anything (the document could
// not be produced); in order mode the documents after it move on.
func (w *window[T]) drop(seq int) {
	var zero T
	w.finish(seq, zero, false)
}

func (w *window[T]) finish(seq int, v T, emit bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ordered {
		if emit {
			w.emit(v)
		}
		<-w.slots
		return
	}
	if emit {
		w.pending[seq] = v
	} else {
		w.skip[seq] = true
	}
	w.peak = max(w.peak, len(w.pending))
	for {
		if v, ok := w.pending[w.next]; ok {
			delete(w.pending, w.next)
			w.emit(v)
		} else if w.skip[w.next] {
			delete(w.skip, w.next)
		} else {
			return
		}
		w.next++
		<-w.slots
	}
}

// held is the most documents that were done and waiting at once.
func (w *window[T]) held() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}
