package dnsq

// Waiting is how many exchanges wait for a slot of f (for tests).
func (f *InFlight) Waiting() int { return int(f.waiting.Load()) }

// InUse is how many slots of f are taken (for tests).
func (f *InFlight) InUse() int { return len(f.sem) }
