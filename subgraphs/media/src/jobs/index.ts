// The media subgraph's background work, as the jobs process runs it.
export { openMediaJobs } from './media-jobs';
