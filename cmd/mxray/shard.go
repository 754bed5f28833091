package main

import (
	"fmt"
	"strconv"
	"strings"
)

// maxShards bounds n in --shard i/n.
const maxShards = 1_000_000

// shardFlag is --shard i/n: of the domains of a -f input, check only those
// whose 0-based index among the input's domains is i modulo n (i counts
// from 0, like a Kubernetes Indexed Job's JOB_COMPLETION_INDEX), so that n
// machines given the same file and i = 0..n-1 check every domain once.
// The zero value checks everything.
type shardFlag struct {
	i, n int // n == 0: not set
}

func (s *shardFlag) String() string {
	if s.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.i, s.n)
}

func (s *shardFlag) Set(v string) error {
	is, ns, ok := strings.Cut(strings.TrimSpace(v), "/")
	i, ierr := strconv.Atoi(is)
	n, nerr := strconv.Atoi(ns)
	if !ok || ierr != nil || nerr != nil || n < 1 || n > maxShards || i < 0 || i >= n {
		return fmt.Errorf("want i/n with 0 ≤ i < n ≤ %d, e.g. 0/4 (i counts from 0, like JOB_COMPLETION_INDEX)", maxShards)
	}
	s.i, s.n = i, n
	return nil
}

// set reports whether --shard was given.
func (s *shardFlag) set() bool { return s.n > 0 }

// filter wraps send so that only this shard's inputs get through: the
// domains whose index among the input's domains is i mod n. A line that
// is not a domain is not any shard's work: its error document is shard
// 0's alone, so that the shards' outputs together hold every line once.
func (s *shardFlag) filter(send func(bulkInput) bool) func(bulkInput) bool {
	if !s.set() {
		return send
	}
	domains := 0
	return func(in bulkInput) bool {
		if in.bad != nil {
			if s.i != 0 {
				return true
			}
			return send(in)
		}
		k := domains
		domains++
		if k%s.n != s.i {
			return true
		}
		return send(in)
	}
}
