import { graphql } from '../graphql/graphql';

export const TranscodeTasksQuery = graphql(`
  query TranscodeTasks($filter: TranscodeTaskFilter, $page: PageInput) {
    transcodeTasks(filter: $filter, page: $page) {
      total
      page
      hasNext
      items {
        id
        fileMd5
        state
        attempts
        maxAttempts
        progress
        lastError
        leaseOwner
        nextAttemptAt
        createdAt
        finishedAt
        media { id fileName }
      }
    }
  }
`);

export const OutboxMessagesQuery = graphql(`
  query OutboxMessages($filter: OutboxMessageFilter, $page: PageInput) {
    outboxMessages(filter: $filter, page: $page) {
      total
      page
      hasNext
      items {
        id
        courseId
        action
        version
        state
        attempts
        maxAttempts
        lastError
        leaseOwner
        nextAttemptAt
        createdAt
        finishedAt
        stages { name state result }
      }
    }
  }
`);

export const RetryTranscodeTask = graphql(`
  mutation RetryTranscodeTask($id: ID!) {
    retryTranscodeTask(id: $id) { id state attempts lastError nextAttemptAt }
  }
`);

export const CancelTranscodeTask = graphql(`
  mutation CancelTranscodeTask($id: ID!) {
    cancelTranscodeTask(id: $id) { id state attempts lastError nextAttemptAt }
  }
`);

export const RetryOutboxMessage = graphql(`
  mutation RetryOutboxMessage($id: ID!) {
    retryOutboxMessage(id: $id) { id state attempts lastError nextAttemptAt }
  }
`);
