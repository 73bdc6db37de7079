import { graphql } from '../graphql/graphql';

export const AuditQueueQuery = graphql(`
  query AuditQueue($page: PageInput) {
    auditQueue(page: $page) {
      total
      page
      hasNext
      items {
        courseId
        name
        organisationId
        submittedAt
        submittedBy
        html
      }
    }
  }
`);

export const AuditCourseMutation = graphql(`
  mutation AuditCourse($input: AuditCourseInput!) {
    auditCourse(input: $input) {
      id
      decision
      opinion
      auditedAt
    }
  }
`);
