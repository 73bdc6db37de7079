import { graphql } from '../graphql/graphql';

export const PublishedCourseQuery = graphql(`
  query PublishedCourse($id: ID!) {
    publishedCourse(id: $id) {
      id
      pageUrl
      publishedAt
      content {
        name
        description
        audience
        mtName
        stName
        grade
        teachingMode
        tags
        cover { posterUrl url }
        market { charge price originalPrice validDays }
        teachers { id name position introduction }
        teachplan {
          id
          name
          children { id name preview locked mediaFileName }
        }
      }
    }
  }
`);
