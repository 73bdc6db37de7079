/** The enums of a published course; the numbers in their descriptions are the original system's dictionary codes. */
export enum CourseGrade {
  BEGINNER = 'BEGINNER',
  INTERMEDIATE = 'INTERMEDIATE',
  ADVANCED = 'ADVANCED',
}
export enum TeachingMode {
  RECORDED = 'RECORDED',
  LIVE = 'LIVE',
}
export enum Charge {
  FREE = 'FREE',
  PAID = 'PAID',
}
export enum PublishStatus {
  UNPUBLISHED = 'UNPUBLISHED',
  PUBLISHED = 'PUBLISHED',
  OFFLINE = 'OFFLINE',
}

/**
 * How each subgraph describes these enums in GraphQL: federation composes an enum that several
 * subgraphs declare from all their declarations, so they must say the same.
 */
export const courseEnumDescriptions = {
  CourseGrade: 'Beginner (204001), intermediate (204002), advanced (204003).',
  TeachingMode: 'Recorded (200002) or live (200003).',
  Charge: 'Free (201000) or paid (201001).',
  PublishStatus: 'Unpublished (203001), published (203002), offline (203003).',
};
