// Package queue is the wire protocol between `mxray submit` and `mxray
// worker` on a NATS JetStream server: the two streams, the job message and
// the job IDs that name the results.
//
// Jobs are published to the subject mxray.jobs of the work-queue stream
// MXRAY_JOBS: a job is removed when a worker acknowledges it, and given to
// another worker when the one that took it neither acknowledges nor
// reports progress within the consumer's ack wait. Each result, the
// mxray/v1 document of the job with its job_id, is published to
// mxray.results.<job id> in the stream MXRAY_RESULTS. A job ID is
// <batch>.<n>: one submission's results share the subject prefix
// mxray.results.<batch>., so a submitter collects them with one filter.
//
// Delivery is at least once: a job may be checked twice (a worker died
// after publishing its result, before its acknowledgement arrived), so
// readers keep the first result of each job ID and drop the others.
package queue
