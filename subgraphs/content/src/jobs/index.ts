// The content subgraph's background work, as the jobs process runs it.
export { openContentJobs } from './content-jobs';
