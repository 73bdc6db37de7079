import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId } from 'react';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { ErrorNotice } from '../ui/status';
import {
  BindMediaMutation,
  type CourseEditorQuery,
  DeleteTeachplanMutation,
  LibraryChoicesQuery,
  MoveTeachplanMutation,
  SaveTeachplanMutation,
  UnbindMediaMutation,
} from './course-queries';

type Chapter = NonNullable<ResultOf<typeof CourseEditorQuery>['course']>['teachplan'][number];
type Section = Chapter['children'][number];
const a = labels.authoring;

/** The teaching plan as a tree: chapters holding sections, each renamed, moved, deleted, and sections bound to media. */
export function TeachplanEditor({
  courseId,
  chapters,
  refresh,
}: {
  courseId: string;
  chapters: readonly Chapter[];
  refresh(): Promise<unknown>;
}) {
  const [save, saved] = useMutation(SaveTeachplanMutation);
  const [remove, removed] = useMutation(DeleteTeachplanMutation);
  const [move, moved] = useMutation(MoveTeachplanMutation);
  const [bind, bound] = useMutation(BindMediaMutation);
  const [unbind, unbound] = useMutation(UnbindMediaMutation);
  const { data: library } = useQuery(LibraryChoicesQuery, { variables: {}, fetchPolicy: 'cache-and-network' });
  const choices = (library?.mediaFiles.items ?? []).filter((m) => m.type !== 'IMAGE');
  const error = saved.error ?? removed.error ?? moved.error ?? bound.error ?? unbound.error;
  const act = (work: Promise<unknown>) => void work.then(refresh, () => undefined);

  const node = (item: Chapter | Section, parentId?: string) => ({
    rename: (name: string) =>
      act(save({ variables: { input: { courseId, id: item.id, parentId, name, preview: item.preview } } })),
    up: () => act(move({ variables: { id: item.id, direction: 'UP' } })),
    down: () => act(move({ variables: { id: item.id, direction: 'DOWN' } })),
    remove: () => act(remove({ variables: { id: item.id } })),
  });

  return (
    <section aria-labelledby="plan-title" id="plan">
      <h2 id="plan-title">{a.plan}</h2>
      {error && <ErrorNotice error={error} />}
      <ol className="plan">
        {chapters.map((chapter, c) => (
          <li key={chapter.id}>
            <NodeRow
              name={chapter.name}
              first={c === 0}
              last={c === chapters.length - 1}
              label={a.chapterName}
              {...node(chapter)}
            />
            <ol>
              {chapter.children.map((section, s) => (
                <li key={section.id} id={`section-${section.id}`}>
                  <NodeRow
                    name={section.name}
                    first={s === 0}
                    last={s === chapter.children.length - 1}
                    label={a.sectionName}
                    {...node(section, chapter.id)}
                  />
                  <div className="section-details">
                    <label>
                      <input
                        type="checkbox"
                        // Ticks at once; the saved value comes back with the refresh.
                        defaultChecked={section.preview}
                        key={String(section.preview)}
                        onChange={(e) =>
                          act(
                            save({
                              variables: {
                                input: {
                                  courseId,
                                  id: section.id,
                                  parentId: chapter.id,
                                  name: section.name,
                                  preview: e.target.checked,
                                },
                              },
                            }),
                          )
                        }
                      />
                      {a.actionOn(a.preview, section.name)}
                    </label>
                    <span>
                      {section.media
                        ? `${section.media.fileName}${section.media.playable ? '' : a.notPlayable}`
                        : (section.mediaFileName ?? a.noMedia)}
                    </span>
                    {section.media ? (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => act(unbind({ variables: { id: section.id } }))}
                      >
                        {a.actionOn(a.unbind, section.name)}
                      </button>
                    ) : (
                      <BindForm
                        sectionName={section.name}
                        choices={choices}
                        onBind={(mediaId) => act(bind({ variables: { input: { teachplanId: section.id, mediaId } } }))}
                      />
                    )}
                  </div>
                </li>
              ))}
            </ol>
            <AddForm
              label={a.actionOn(a.addSection, chapter.name)}
              onAdd={(name) => act(save({ variables: { input: { courseId, parentId: chapter.id, name } } }))}
            />
          </li>
        ))}
      </ol>
      <AddForm label={a.addChapter} onAdd={(name) => act(save({ variables: { input: { courseId, name } } }))} />
    </section>
  );
}

function NodeRow({
  name,
  label,
  first,
  last,
  rename,
  up,
  down,
  remove,
}: {
  name: string;
  label: string;
  first: boolean;
  last: boolean;
  rename(name: string): void;
  up(): void;
  down(): void;
  remove(): void;
}) {
  const id = useId();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next = String(new FormData(event.currentTarget).get('name') ?? '').trim();
    if (next && next !== name) rename(next);
  };
  return (
    <form className="plan-row" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        {`${label}：${name}`}
      </label>
      <input id={id} name="name" defaultValue={name} key={name} maxLength={100} />
      <button type="submit" className="secondary" aria-label={a.actionOn(a.rename, name)}>
        {a.rename}
      </button>
      <button type="button" className="secondary" disabled={first} onClick={up} aria-label={a.actionOn(a.up, name)}>
        {a.up}
      </button>
      <button type="button" className="secondary" disabled={last} onClick={down} aria-label={a.actionOn(a.down, name)}>
        {a.down}
      </button>
      <button type="button" className="secondary" onClick={remove} aria-label={a.actionOn(a.remove, name)}>
        {a.remove}
      </button>
    </form>
  );
}

function AddForm({ label, onAdd }: { label: string; onAdd(name: string): void }) {
  const id = useId();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get('name') ?? '').trim();
    if (!name) return;
    onAdd(name);
    form.reset();
  };
  return (
    <form className="plan-row" onSubmit={submit}>
      <label htmlFor={id}>{label}</label>
      <input id={id} name="name" maxLength={100} required />
      <button type="submit">{label}</button>
    </form>
  );
}

function BindForm({
  sectionName,
  choices,
  onBind,
}: {
  sectionName: string;
  choices: readonly { id: string; fileName: string }[];
  onBind(mediaId: string): void;
}) {
  const id = useId();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const mediaId = String(new FormData(event.currentTarget).get('media') ?? '');
    if (mediaId) onBind(mediaId);
  };
  return (
    <form className="plan-row" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        {a.actionOn(a.bindChoice, sectionName)}
      </label>
      <select id={id} name="media" defaultValue="">
        <option value="">{a.bindChoice}</option>
        {choices.map((m) => (
          <option key={m.id} value={m.id}>
            {m.fileName}
          </option>
        ))}
      </select>
      <button type="submit">{a.actionOn(a.bind, sectionName)}</button>
    </form>
  );
}
