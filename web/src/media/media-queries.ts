import { graphql } from '../graphql/graphql';

export const MediaFilesQuery = graphql(`
  query MediaFiles($filter: MediaFilter, $page: PageInput) {
    mediaFiles(filter: $filter, page: $page) {
      total
      page
      hasNext
      items {
        id
        fileName
        type
        mimeType
        size
        durationSeconds
        posterUrl
        url
        playable
        transcodeState
        transcodeProgress
        createdAt
      }
    }
  }
`);

export const DeleteMediaMutation = graphql(`
  mutation DeleteMedia($id: ID!) {
    deleteMedia(id: $id)
  }
`);
