import { Entity, Enum, OneToOne, Property, type Rel } from '@mikro-orm/core';
import { Charge } from '@learnhub/contracts/published-course';
import { Course } from './course.entity';
import { MoneyType } from './money.type';

/** A course's marketing information (course_market), one row per course, same id. Money is kept in whole cents. */
@Entity({ tableName: 'course_market' })
export class CourseMarket {
  @OneToOne(() => Course, { primary: true, owner: true, fieldName: 'id', deleteRule: 'cascade' })
  course!: Rel<Course>;

  @Enum({ items: () => Charge })
  charge!: Charge;

  @Property({ type: MoneyType, fieldName: 'price_cents' })
  price!: string;

  @Property({ type: MoneyType, fieldName: 'original_price_cents', nullable: true })
  originalPrice?: string;

  @Property({ type: 'string', length: 32, nullable: true })
  qq?: string;

  @Property({ type: 'string', length: 64, nullable: true })
  wechat?: string;

  @Property({ type: 'string', length: 32, nullable: true })
  phone?: string;

  @Property({ type: 'integer', fieldName: 'valid_days', nullable: true })
  validDays?: number;
}
