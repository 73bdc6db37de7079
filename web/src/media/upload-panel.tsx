import { type DragEvent, useId, useRef, useState } from 'react';
import { labels } from '../i18n/labels';
import { FileUpload, type UploadState } from './file-upload';

interface Row {
  key: string;
  upload: FileUpload;
  state: UploadState;
}

const percent = (done: number, total: number) => (total === 0 ? 100 : Math.floor((done / total) * 100));

/** Files dropped or chosen, each uploaded with its own progress, pause, resume and cancel. */
export function UploadPanel({ token, onUploaded }: { token: () => string | undefined; onUploaded(): void }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [dragging, setDragging] = useState(false);
  const inputId = useId();
  const sequence = useRef(0);

  const add = (files: Iterable<File>) => {
    for (const file of files) {
      const key = `${sequence.current++}:${file.name}`;
      const upload = new FileUpload(file, token, (state) => {
        setRows((all) => all.map((row) => (row.key === key ? { ...row, state } : row)));
        if (state.phase === 'done') onUploaded();
      });
      setRows((all) => [...all, { key, upload, state: { phase: 'running' } }]);
      upload.start();
    }
  };
  const drop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  };

  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">{labels.media.uploadTitle}</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a pointer shortcut; the file button inside does the same by keyboard */}
      <div
        className={dragging ? 'drop-zone dragging' : 'drop-zone'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        {labels.media.drop}{' '}
        <label htmlFor={inputId} className="file-button">
          {labels.media.choose}
        </label>
        <input
          id={inputId}
          type="file"
          multiple
          className="visually-hidden"
          onChange={(e) => {
            add(e.target.files ?? []);
            e.target.value = '';
          }}
        />
      </div>
      <p className="status">{labels.media.resumeHint}</p>
      {rows.length > 0 && (
        <ul className="uploads">
          {rows.map(({ key, upload, state }) => (
            <UploadRow key={key} name={upload.file.name} state={state} upload={upload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function UploadRow({ name, state, upload }: { name: string; state: UploadState; upload: FileUpload }) {
  const progress = 'progress' in state ? state.progress : undefined;
  const shown =
    state.phase === 'done'
      ? 100
      : progress
        ? progress.phase === 'hashing'
          ? percent(progress.hashedBytes, progress.totalBytes)
          : percent(progress.sentBytes, progress.totalBytes)
        : 0;
  let status: string;
  if (state.phase === 'done')
    status = state.result.instant
      ? labels.media.instant
      : `${labels.media.done}${state.result.resumed ? `（${labels.media.resumed}）` : ''}`;
  else if (state.phase === 'paused') status = labels.media.paused;
  else if (state.phase === 'cancelled') status = labels.media.cancelled;
  else if (state.phase === 'failed') status = labels.media.failed(state.message);
  else if (progress) {
    const rate =
      progress.bytesPerSecond > 0 && progress.etaSeconds !== undefined
        ? ` · ${labels.media.rate(labels.units.bytes(progress.bytesPerSecond), labels.units.seconds(progress.etaSeconds))}`
        : '';
    status = `${labels.media.phases[progress.phase] ?? progress.phase} ${shown}%${rate}`;
  } else status = labels.media.phases.hashing;
  return (
    <li className="upload">
      <span className="upload-name">{name}</span>
      <progress max={100} value={shown} aria-label={labels.media.progressOf(name)}>
        {shown}%
      </progress>
      <span className="upload-status" role="status">
        {status}
      </span>
      <span className="commands">
        {state.phase === 'running' && (
          <button
            type="button"
            className="secondary"
            aria-label={labels.media.pauseOf(name)}
            onClick={() => upload.pause()}
          >
            {labels.media.pause}
          </button>
        )}
        {(state.phase === 'paused' || state.phase === 'failed') && (
          <button type="button" aria-label={labels.media.resumeOf(name)} onClick={() => upload.start()}>
            {labels.media.resume}
          </button>
        )}
        {(state.phase === 'running' || state.phase === 'paused' || state.phase === 'failed') && (
          <button
            type="button"
            className="secondary"
            aria-label={labels.media.cancelOf(name)}
            onClick={() => upload.cancel()}
          >
            {labels.media.cancel}
          </button>
        )}
      </span>
    </li>
  );
}
