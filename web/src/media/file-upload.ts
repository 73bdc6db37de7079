import { discardUpload, type UploadProgress, type UploadResult, uploadFile } from '@learnhub/upload-client';

/** The gateway's GraphQL endpoint on this page's origin. */
const endpoint = () => new URL('/graphql', location.origin).href;

export type UploadState =
  | { phase: 'running'; progress?: UploadProgress }
  | { phase: 'paused'; progress?: UploadProgress }
  | { phase: 'done'; result: UploadResult }
  | { phase: 'failed'; message: string; progress?: UploadProgress }
  | { phase: 'cancelled' };

/**
 * One file's upload, pausable: a pause stops sending and keeps what the server holds and the
 * file's MD5s in this browser, so resuming (even after a reload, with the same file chosen again)
 * sends only the chunks still missing; a cancel gives the upload up on the server too.
 */
export class FileUpload {
  private controller?: AbortController;
  private discard = false;
  private lastProgress?: UploadProgress;

  constructor(
    readonly file: File,
    private readonly token: () => string | undefined,
    private readonly onState: (state: UploadState) => void,
  ) {}

  start(): void {
    const controller = new AbortController();
    this.controller = controller;
    this.discard = false;
    this.onState({ phase: 'running', progress: this.lastProgress });
    uploadFile(this.file, {
      endpoint: endpoint(),
      token: this.token(),
      signal: controller.signal,
      discardOnAbort: false,
      onProgress: (progress) => {
        this.lastProgress = progress;
        if (!controller.signal.aborted) this.onState({ phase: 'running', progress });
      },
    }).then(
      (result) => this.onState({ phase: 'done', result }),
      (error: unknown) => {
        if (controller.signal.aborted) {
          // A cancel says its own outcome once the server has given the upload up.
          if (!this.discard) this.onState({ phase: 'paused', progress: this.lastProgress });
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        this.onState({ phase: 'failed', message, progress: this.lastProgress });
      },
    );
  }

  pause(): void {
    this.controller?.abort();
  }

  /** Stops and gives the upload up on the server, freeing what it stored. */
  cancel(): void {
    this.discard = true;
    if (this.controller && !this.controller.signal.aborted) this.controller.abort();
    discardUpload(this.file, { endpoint: endpoint(), token: this.token() }).then(
      () => this.onState({ phase: 'cancelled' }),
      (error: unknown) =>
        this.onState({ phase: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  }
}
