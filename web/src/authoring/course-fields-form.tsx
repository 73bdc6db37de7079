import { useQuery } from '@apollo/client/react';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { fieldMessage } from '../api/readable-error';
import type { VariablesOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { ErrorNotice } from '../ui/status';
import { CourseCategoriesQuery, type CreateCourseMutation } from './course-queries';

export type CourseFields = VariablesOf<typeof CreateCourseMutation>['input'];

const grades = ['BEGINNER', 'INTERMEDIATE', 'ADVANCED'] as const;
const modes = ['RECORDED', 'LIVE'] as const;
const f = labels.authoring.fields;

/** One input with its label and, beside it, what the API said about it. */
function Field({
  name,
  label,
  error,
  children,
}: {
  name: string;
  label: string;
  error: unknown;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const message = fieldMessage(error, name);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': message !== undefined, 'aria-describedby': message ? `${id}-error` : undefined })}
      {message && (
        <p id={`${id}-error`} className="field-error">
          {message}
        </p>
      )}
    </div>
  );
}

const text = (form: FormData, name: string) => {
  const value = String(form.get(name) ?? '').trim();
  return value === '' ? undefined : value;
};

/** The base and marketing fields of a course; `onSave` gets them as the API takes them and throws its refusal. */
export function CourseFieldsForm({
  initial,
  submitLabel,
  onSave,
}: {
  initial?: Partial<CourseFields>;
  submitLabel: string;
  onSave(fields: CourseFields): Promise<void>;
}) {
  const { data } = useQuery(CourseCategoriesQuery);
  const [mt, setMt] = useState(initial?.mt ?? '');
  const [charge, setCharge] = useState(initial?.charge ?? 'FREE');
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const minors = data?.courseCategories.find((c) => c.id === mt)?.children ?? [];

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const validDays = text(form, 'validDays');
    const fields: CourseFields = {
      name: text(form, 'name') ?? '',
      audience: text(form, 'audience') ?? '',
      tags: text(form, 'tags'),
      description: text(form, 'description'),
      mt,
      st: text(form, 'st') ?? '',
      grade: (text(form, 'grade') ?? 'BEGINNER') as CourseFields['grade'],
      teachingMode: (text(form, 'teachingMode') ?? 'RECORDED') as CourseFields['teachingMode'],
      charge,
      price: charge === 'PAID' ? text(form, 'price') : undefined,
      originalPrice: charge === 'PAID' ? text(form, 'originalPrice') : undefined,
      validDays: validDays === undefined ? undefined : Number(validDays),
      qq: text(form, 'qq'),
      wechat: text(form, 'wechat'),
      phone: text(form, 'phone'),
    };
    setSaving(true);
    setError(undefined);
    try {
      await onSave(fields);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={submit} className="course-form" noValidate>
      <fieldset>
        <legend>{f.base}</legend>
        <Field name="name" label={f.name} error={error}>
          {(p) => <input {...p} name="name" defaultValue={initial?.name} maxLength={100} required />}
        </Field>
        <Field name="audience" label={f.audience} error={error}>
          {(p) => (
            <textarea {...p} name="audience" defaultValue={initial?.audience} rows={2} maxLength={500} required />
          )}
        </Field>
        <Field name="mt" label={f.mt} error={error}>
          {(p) => (
            <select {...p} name="mt" value={mt} onChange={(e) => setMt(e.target.value)} required>
              <option value="">{labels.authoring.choose}</option>
              {data?.courseCategories.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="st" label={f.st} error={error}>
          {(p) => (
            <select {...p} name="st" defaultValue={initial?.st} key={mt} required>
              <option value="">{labels.authoring.choose}</option>
              {minors.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="grade" label={f.grade} error={error}>
          {(p) => (
            <select {...p} name="grade" defaultValue={initial?.grade ?? 'BEGINNER'}>
              {grades.map((g) => (
                <option key={g} value={g}>
                  {labels.search.grades[g]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="teachingMode" label={f.teachingMode} error={error}>
          {(p) => (
            <select {...p} name="teachingMode" defaultValue={initial?.teachingMode ?? 'RECORDED'}>
              {modes.map((m) => (
                <option key={m} value={m}>
                  {labels.search.modes[m]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="tags" label={f.tags} error={error}>
          {(p) => <input {...p} name="tags" defaultValue={initial?.tags ?? ''} maxLength={200} />}
        </Field>
        <Field name="description" label={f.description} error={error}>
          {(p) => <textarea {...p} name="description" defaultValue={initial?.description ?? ''} rows={4} />}
        </Field>
      </fieldset>
      <fieldset>
        <legend>{f.market}</legend>
        <Field name="charge" label={f.charge} error={error}>
          {(p) => (
            <select
              {...p}
              name="charge"
              value={charge}
              onChange={(e) => setCharge(e.target.value as CourseFields['charge'])}
            >
              <option value="FREE">{labels.search.charges.FREE}</option>
              <option value="PAID">{labels.search.charges.PAID}</option>
            </select>
          )}
        </Field>
        {charge === 'PAID' && (
          <>
            <Field name="price" label={f.price} error={error}>
              {(p) => <input {...p} name="price" inputMode="decimal" defaultValue={initial?.price ?? ''} />}
            </Field>
            <Field name="originalPrice" label={f.originalPrice} error={error}>
              {(p) => (
                <input {...p} name="originalPrice" inputMode="decimal" defaultValue={initial?.originalPrice ?? ''} />
              )}
            </Field>
          </>
        )}
        <Field name="validDays" label={f.validDays} error={error}>
          {(p) => <input {...p} name="validDays" type="number" min={1} defaultValue={initial?.validDays ?? ''} />}
        </Field>
        <Field name="qq" label={f.qq} error={error}>
          {(p) => <input {...p} name="qq" defaultValue={initial?.qq ?? ''} />}
        </Field>
        <Field name="wechat" label={f.wechat} error={error}>
          {(p) => <input {...p} name="wechat" defaultValue={initial?.wechat ?? ''} />}
        </Field>
        <Field name="phone" label={f.phone} error={error}>
          {(p) => <input {...p} name="phone" type="tel" defaultValue={initial?.phone ?? ''} />}
        </Field>
      </fieldset>
      {error !== undefined && <ErrorNotice error={error} />}
      <button type="submit" disabled={saving}>
        {submitLabel}
      </button>
    </form>
  );
}
