import { graphql } from '../graphql/graphql';

export const CourseCategoriesQuery = graphql(`
  query CourseCategories {
    courseCategories { id name children { id name } }
  }
`);

export const OrganisationCoursesQuery = graphql(`
  query OrganisationCourses($page: PageInput) {
    courses(page: $page) {
      total
      page
      hasNext
      items { id name mtName stName auditStatus publishStatus changedAt }
    }
  }
`);

const TeachplanNode = graphql(`
  fragment TeachplanNode on Teachplan @_unmask {
    id
    name
    order
    preview
    parentId
    mediaFileName
    media { id fileName playable transcodeState }
  }
`);

export const CourseEditorQuery = graphql(
  `
  query CourseEditor($id: ID!) {
    course(id: $id) {
      id
      name
      audience
      tags
      description
      mt
      st
      grade
      teachingMode
      auditStatus
      publishStatus
      cover { id fileName posterUrl url }
      market { charge price originalPrice validDays qq wechat phone }
      teachplan { ...TeachplanNode children { ...TeachplanNode } }
      teachers { id name position introduction }
      auditHistory { id decision opinion auditedAt auditorId submittedAt }
    }
  }
`,
  [TeachplanNode],
);

export const LibraryChoicesQuery = graphql(`
  query LibraryChoices($type: MediaType) {
    mediaFiles(filter: { type: $type }, page: { page: 1, size: 100 }) {
      items { id fileName type playable }
    }
  }
`);

export const CoursePreviewQuery = graphql(`
  query CoursePreview($id: ID!) {
    coursePreview(id: $id) { html }
  }
`);

export const CreateCourseMutation = graphql(`
  mutation CreateCourse($input: CreateCourseInput!) {
    createCourse(input: $input) { id }
  }
`);

export const UpdateCourseMutation = graphql(`
  mutation UpdateCourse($id: ID!, $input: UpdateCourseInput!) {
    updateCourse(id: $id, input: $input) { id }
  }
`);

export const SaveTeachplanMutation = graphql(`
  mutation SaveTeachplan($input: SaveTeachplanInput!) {
    saveTeachplan(input: $input) { id }
  }
`);

export const DeleteTeachplanMutation = graphql(`
  mutation DeleteTeachplan($id: ID!) {
    deleteTeachplan(id: $id)
  }
`);

export const MoveTeachplanMutation = graphql(`
  mutation MoveTeachplan($id: ID!, $direction: MoveDirection!) {
    moveTeachplan(id: $id, direction: $direction) { id }
  }
`);

export const BindMediaMutation = graphql(`
  mutation BindMedia($input: BindTeachplanMediaInput!) {
    bindTeachplanMedia(input: $input) { id }
  }
`);

export const UnbindMediaMutation = graphql(`
  mutation UnbindMedia($id: ID!) {
    unbindTeachplanMedia(teachplanId: $id) { id }
  }
`);

export const SaveTeacherMutation = graphql(`
  mutation SaveTeacher($input: SaveCourseTeacherInput!) {
    saveCourseTeacher(input: $input) { id }
  }
`);

export const DeleteTeacherMutation = graphql(`
  mutation DeleteTeacher($id: ID!) {
    deleteCourseTeacher(id: $id)
  }
`);

export const SubmitCourseMutation = graphql(`
  mutation SubmitCourse($id: ID!) {
    submitCourseForAudit(courseId: $id) { courseId }
  }
`);

export const PublishCourseMutation = graphql(`
  mutation PublishCourse($id: ID!) {
    publishCourse(courseId: $id) { id }
  }
`);

export const TakeCourseOfflineMutation = graphql(`
  mutation TakeCourseOffline($id: ID!) {
    takeCourseOffline(courseId: $id) { id }
  }
`);

export const BringCourseOnlineMutation = graphql(`
  mutation BringCourseOnline($id: ID!) {
    bringCourseOnline(courseId: $id) { id }
  }
`);
