import { graphql } from '../graphql/graphql';

export const SearchCoursesQuery = graphql(`
  query SearchCourses($input: CourseSearchInput, $page: PageInput) {
    searchCourses(input: $input, page: $page) {
      total
      page
      size
      hasNext
      hits {
        id
        name
        highlightedName
        organisationName
        mtName
        stName
        grade
        teachingMode
        tags
        description
        coverUrl
        charge
        price
        publishedAt
      }
      facets {
        mt { value name count }
        st { value name count }
        grade { value name count }
      }
    }
  }
`);
