package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The names of the protocol. They are public API: other programs may
// publish jobs or read results with them.
const (
	// JobsStream is the work-queue stream that holds the jobs.
	JobsStream = "MXRAY_JOBS"
	// JobsSubject is the subject jobs are published to.
	JobsSubject = "mxray.jobs"
	// ResultsStream is the stream that holds the results.
	ResultsStream = "MXRAY_RESULTS"
	// ResultsPrefix starts every result subject: mxray.results.<job id>.
	ResultsPrefix = "mxray.results."
	// WorkersConsumer is the durable pull consumer all workers share.
	WorkersConsumer = "mxray-workers"
)

// ResultsMaxAge is how long the results stream keeps a result when mxray
// creates it (a stream created beforehand is used as it is).
const ResultsMaxAge = 72 * time.Hour

// MaxJobSize bounds a job message; a longer one is malformed.
const MaxJobSize = 16 << 10

// maxInput bounds a job's input line (the -f input's own line bound).
const maxInput = 4096

// maxSeq bounds the number in a job ID.
const maxSeq = 1 << 40

// Errors of the package; wrapped with the details.
var (
	// ErrMalformedJob: a job message that is not a job of this protocol.
	ErrMalformedJob = errors.New("queue: malformed job")
	// ErrBadJobID: a string that is not a job ID.
	ErrBadJobID = errors.New("queue: not a job ID")
	// ErrStreamConfig: an existing stream that cannot serve the protocol.
	ErrStreamConfig = errors.New("queue: stream unfit")
)

// Batch names one submission: 16 lower-case hexadecimal digits.
type Batch string

// NewBatch returns a random batch name.
func NewBatch() (Batch, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("queue: batch name: %w", err)
	}
	return Batch(hex.EncodeToString(b[:])), nil
}

// Job returns the ID of the batch's job number n (0-based).
func (b Batch) Job(n int) JobID { return JobID(string(b) + "." + strconv.Itoa(n)) }

// ResultsFilter is the subject filter that matches every result of the
// batch.
func (b Batch) ResultsFilter() string { return ResultsPrefix + string(b) + ".*" }

// JobID names a job and its result: <batch>.<n>.
type JobID string

// Parse splits the ID into its batch and number, or returns ErrBadJobID.
func (id JobID) Parse() (Batch, int, error) {
	b, n, ok := strings.Cut(string(id), ".")
	if !ok || !validBatch(b) {
		return "", 0, fmt.Errorf("%w: %q", ErrBadJobID, clip(string(id)))
	}
	seq, err := strconv.Atoi(n)
	if err != nil || seq < 0 || seq >= maxSeq || strconv.Itoa(seq) != n {
		return "", 0, fmt.Errorf("%w: %q", ErrBadJobID, clip(string(id)))
	}
	return Batch(b), seq, nil
}

// Subject is the subject the job's result is published to.
func (id JobID) Subject() string { return ResultsPrefix + string(id) }

// ResultJob returns the job ID a result subject names, or ErrBadJobID.
func ResultJob(subject string) (JobID, error) {
	rest, ok := strings.CutPrefix(subject, ResultsPrefix)
	if !ok {
		return "", fmt.Errorf("%w: subject %q", ErrBadJobID, clip(subject))
	}
	id := JobID(rest)
	if _, _, err := id.Parse(); err != nil {
		return "", err
	}
	return id, nil
}

// validBatch: a batch name is 1 to 64 ASCII letters, digits, '-' or '_'
// (a single subject token).
func validBatch(b string) bool {
	if b == "" || len(b) > 64 {
		return false
	}
	for _, c := range []byte(b) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// clip shortens text quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Job is one domain to check. The check options (which checks, timeouts,
// resolvers) are the worker's own flags, so that a fleet runs one
// configuration; a job carries only its input.
type Job struct {
	ID JobID `json:"job_id"`
	// Line is the 1-based line of the submitted file the job comes from.
	Line int `json:"line"`
	// Input is the line as read (comment and surrounding space removed):
	// the worker checks it exactly as `check -f` checks that line.
	Input string `json:"input"`
	// Domain is the input's A-label form, as the submitter read it (for
	// people and other readers; the worker decides from Input).
	Domain string `json:"domain,omitempty"`
}

// Encode returns the job message.
func (j Job) Encode() ([]byte, error) {
	if err := j.valid(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, fmt.Errorf("queue: encoding job %s: %w", j.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeJob reads a job message: at most MaxJobSize bytes of UTF-8, one
// JSON object with a valid job ID, a line number and an input of valid UTF-8.
// Unknown fields are ignored (fields may be added). Errors wrap
// ErrMalformedJob or ErrBadJobID.
func DecodeJob(data []byte) (Job, error) {
	var j Job
	if len(data) > MaxJobSize {
		return j, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformedJob, len(data), MaxJobSize)
	}
	if !utf8.Valid(data) {
		return j, fmt.Errorf("%w: not UTF-8", ErrMalformedJob)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&j); err != nil {
		return Job{}, fmt.Errorf("%w: %w", ErrMalformedJob, err)
	}
	if dec.More() {
		return Job{}, fmt.Errorf("%w: more than one JSON value", ErrMalformedJob)
	}
	if err := j.valid(); err != nil {
		return Job{}, err
	}
	return j, nil
}

func (j Job) valid() error {
	if _, _, err := j.ID.Parse(); err != nil {
		return err
	}
	switch {
	case j.Line < 1:
		return fmt.Errorf("%w: job %s: line %d", ErrMalformedJob, j.ID, j.Line)
	case j.Input == "" || len(j.Input) > maxInput || !utf8.ValidString(j.Input):
		return fmt.Errorf("%w: job %s: the input is empty, longer than %d bytes or not UTF-8", ErrMalformedJob, j.ID, maxInput)
	case len(j.Domain) > 255 || !utf8.ValidString(j.Domain):
		return fmt.Errorf("%w: job %s: the domain is longer than 255 bytes or not UTF-8", ErrMalformedJob, j.ID)
	}
	return nil
}

// EnsureStreams creates the two streams when they do not exist. An
// existing stream is used as it is (an operator may have created it with
// replicas or other limits), provided its subjects and, for the jobs, its
// work-queue retention fit the protocol.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	jobs := jetstream.StreamConfig{
		Name:        JobsStream,
		Description: "mxray jobs: one domain to check per message (mxray submit, mxray worker)",
		Subjects:    []string{JobsSubject},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxMsgSize:  MaxJobSize,
		Duplicates:  10 * time.Minute,
	}
	results := jetstream.StreamConfig{
		Name:        ResultsStream,
		Description: "mxray results: the mxray/v1 document of each job, on mxray.results.<job id>",
		Subjects:    []string{ResultsPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      ResultsMaxAge,
		Duplicates:  10 * time.Minute,
	}
	for _, cfg := range []jetstream.StreamConfig{jobs, results} {
		s, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name)
		}
		if err != nil {
			return fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
		}
		got := s.CachedInfo().Config
		if !covers(got.Subjects, cfg.Subjects[0]) {
			return fmt.Errorf("%w: %s does not take the subject %s (its subjects: %s)", ErrStreamConfig, cfg.Name, cfg.Subjects[0], strings.Join(got.Subjects, ", "))
		}
		if cfg.Retention == jetstream.WorkQueuePolicy && got.Retention != jetstream.WorkQueuePolicy {
			return fmt.Errorf("%w: %s is not a work-queue stream, so jobs would never be removed", ErrStreamConfig, cfg.Name)
		}
	}
	return nil
}

// covers reports whether one of the stream's subjects is want.
func covers(subjects []string, want string) bool {
	for _, s := range subjects {
		if s == want {
			return true
		}
	}
	return false
}

// WorkerConsumer creates or updates the durable pull consumer that every
// worker pulls from: explicit acknowledgements, a job given to another
// worker when its acknowledgement (or a progress report) has not come
// within ackWait, redelivered without limit (a job is never dropped), and
// no cap on the jobs in flight across the fleet beyond maxAckPending.
func WorkerConsumer(ctx context.Context, js jetstream.JetStream, ackWait time.Duration, maxAckPending int) (jetstream.Consumer, error) {
	c, err := js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable:       WorkersConsumer,
		Description:   "mxray workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAckPending,
		FilterSubject: JobsSubject,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", WorkersConsumer, err)
	}
	return c, nil
}

// ResultsConsumer returns an ordered consumer of the batch's results,
// from the first one stored.
func ResultsConsumer(ctx context.Context, js jetstream.JetStream, b Batch) (jetstream.Consumer, error) {
	c, err := js.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.ResultsFilter()},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: results of batch %s: %w", b, err)
	}
	return c, nil
}

// Connect connects to the NATS servers at url (a comma-separated list is
// allowed), naming the connection name, and keeps reconnecting for as
// long as the connection is used.
func Connect(url, name string, timeout time.Duration) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("queue: connecting to %s: %w", Redact(url), err)
	}
	return nc, nil
}

// Redact removes the user information (user, password, token) from a
// server URL list, for messages.
func Redact(url string) string {
	parts := strings.Split(url, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		scheme, rest, ok := strings.Cut(p, "://")
		if !ok {
			scheme, rest = "", p
		}
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = "***@" + rest[at+1:]
		}
		if scheme != "" {
			rest = scheme + "://" + rest
		}
		parts[i] = rest
	}
	return strings.Join(parts, ",")
}
