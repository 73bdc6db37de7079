import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** A scripted answer: a status and JSON body, a connection dropped, or no answer at all. */
export type Reply = { status?: number; body: unknown; headers?: Record<string, string> } | 'drop' | 'silent';

export const graphqlError = (code: string, reason: string | undefined, message: string, extra: object = {}): Reply => ({
  body: { errors: [{ message, extensions: { code, reason, ...extra } }] },
});

/**
 * A stand-in for the platform's upload API, for the client's own tests: it answers checkFile,
 * uploadStatus, chunkUploadUrls (URLs that PUT to itself), uploadChunk, mergeChunks and
 * abortUpload for one file, checks each chunk's MD5, and lets a test script failures by chunk
 * index or operation. Failures the real stack cannot be made to produce on demand (a dropped
 * connection, a 503, a silent server) are what it is for; the real stack has its own tests.
 */
export class ScriptedEndpoint {
  private server!: Server;
  file = Buffer.alloc(0);
  chunkSize = 1000;
  stored = new Set<number>();
  /** Chunk indexes as their bytes arrived (multipart or PUT), failures included. */
  received: number[] = [];
  /** Operations in the order asked (`checkFile`, `chunkUploadUrls:0,1,2`, `mergeChunks`, ...). */
  operations: string[] = [];
  /** Scripted answers to chunk `index`, before the real one. */
  chunkFailures = new Map<number, Reply[]>();
  /** Scripted answers to an operation, before the real one. */
  replies = new Map<string, Reply[]>();
  /** Offers chunkUploadUrls (a server from before it answers a validation error). */
  offersUrls = true;
  /** How long handed-out URLs live, from now. */
  urlTtlMs = 600_000;
  /** Another organisation holds the file: checkFile asks for a proof of this range. */
  proof?: { offset: number; length: number };
  aborted: string[] = [];
  private urlSerial = 0;
  private readonly validUrls = new Set<string>();

  static async start(): Promise<ScriptedEndpoint> {
    const endpoint = new ScriptedEndpoint();
    endpoint.server = createServer((req, res) => {
      void endpoint.answer(req).then((reply) => {
        if (reply === 'drop') return req.socket.destroy();
        if (reply === 'silent') return;
        res
          .writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
          .end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  get chunkTotal(): number {
    return Math.ceil(this.file.length / this.chunkSize);
  }

  reset(file: Buffer, chunkSize = 1000): void {
    Object.assign(this, {
      file,
      chunkSize,
      received: [],
      operations: [],
      offersUrls: true,
      urlTtlMs: 600_000,
      proof: undefined,
      aborted: [],
    });
    this.stored.clear();
    this.chunkFailures.clear();
    this.replies.clear();
    this.validUrls.clear();
  }

  /** Makes every URL handed out so far refused (as an expired or revoked one). */
  revokeUrls(): void {
    this.validUrls.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private missing(): number[] {
    return [...Array(this.chunkTotal).keys()].filter((i) => !this.stored.has(i));
  }

  private status(state = 'UPLOADING') {
    return {
      state,
      chunkSize: this.chunkSize,
      chunkTotal: this.chunkTotal,
      uploadedChunks: [...this.stored].sort((a, b) => a - b),
      missingChunks: this.missing(),
      failure: null,
      media: null,
    };
  }

  private media() {
    return {
      id: md5(this.file),
      fileMd5: md5(this.file),
      fileName: 'file.mp4',
      type: 'VIDEO',
      mimeType: 'video/mp4',
      size: String(this.file.length),
      url: 'http://files.test/x.mp4',
      organisationId: 'org',
      tags: null,
      remark: null,
      playable: true,
      transcodeState: 'NONE',
      transcodeProgress: null,
    };
  }

  private scripted(operation: string): Reply | undefined {
    return this.replies.get(operation)?.shift();
  }

  private storeChunk(index: number, bytes: Buffer, chunkMd5: string): Reply | undefined {
    this.received.push(index);
    const failure = this.chunkFailures.get(index)?.shift();
    if (failure) return failure;
    if (md5(bytes) !== chunkMd5)
      return graphqlError('BAD_USER_INPUT', 'CHUNK_CHECKSUM_MISMATCH', `chunk ${index} does not match its MD5`);
    if (!bytes.equals(this.file.subarray(index * this.chunkSize, (index + 1) * this.chunkSize)))
      return graphqlError('BAD_USER_INPUT', 'WRONG_BYTES', `chunk ${index} holds other bytes`);
    this.stored.add(index);
    return undefined;
  }

  private async answer(req: IncomingMessage): Promise<Reply> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = Buffer.concat(parts);
    const url = new URL(req.url ?? '/', 'http://x');

    if (req.method === 'PUT') {
      const index = Number(url.searchParams.get('index'));
      if (!this.validUrls.has(url.search)) {
        this.received.push(index);
        return { status: 403, body: { error: 'This upload URL has expired: ask for a new one.' } };
      }
      const refused = this.storeChunk(index, body, String(req.headers['content-md5-hex']));
      if (refused && refused !== 'drop' && refused !== 'silent' && refused.status === undefined)
        return {
          status: 400,
          body: {
            error: 'refused',
            reason: (refused.body as { errors: { extensions: { reason: string } }[] }).errors[0].extensions.reason,
          },
        };
      return refused ?? { status: 200, body: '' };
    }

    const request = new Request('http://x/', {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body,
    });
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      const form = await request.formData();
      const { variables } = JSON.parse(String(form.get('operations'))) as {
        variables: { input: { index: number; chunkMd5: string } };
      };
      this.operations.push('uploadChunk');
      const { index, chunkMd5 } = variables.input;
      const bytes = Buffer.from(await (form.get('0') as Blob).arrayBuffer());
      return this.storeChunk(index, bytes, chunkMd5) ?? { body: { data: { uploadChunk: { state: 'UPLOADING' } } } };
    }

    const { query, variables } = JSON.parse(body.toString()) as {
      query: string;
      variables: { fileMd5?: string; input?: Record<string, unknown> };
    };
    const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'unknown';
    if (operation === 'ChunkUploadUrls') {
      const chunks = (variables.input?.chunks ?? []) as { index: number; chunkMd5: string }[];
      this.operations.push(`chunkUploadUrls:${chunks.map((c) => c.index).join(',')}`);
    } else this.operations.push(operation.charAt(0).toLowerCase() + operation.slice(1));
    const scripted = this.scripted(operation);
    if (scripted) return scripted;

    switch (operation) {
      case 'UploadStatus':
        return { body: { data: { uploadStatus: this.status(this.stored.size === 0 ? 'NOT_STARTED' : 'UPLOADING') } } };
      case 'CheckFile': {
        const input = variables.input as { proof?: { rangeMd5: string } };
        if (this.proof && !input.proof)
          return { body: { data: { checkFile: { exists: false, media: null, upload: null, proof: this.proof } } } };
        if (this.proof && input.proof) {
          const expected = md5(this.file.subarray(this.proof.offset, this.proof.offset + this.proof.length));
          if (input.proof.rangeMd5 !== expected)
            return graphqlError('BAD_USER_INPUT', 'PROOF_MISMATCH', 'The proof does not match the file.');
          return { body: { data: { checkFile: { exists: true, media: this.media(), upload: null, proof: null } } } };
        }
        return { body: { data: { checkFile: { exists: false, media: null, upload: this.status(), proof: null } } } };
      }
      case 'ChunkUploadUrls': {
        if (!this.offersUrls)
          return {
            status: 400,
            body: {
              errors: [
                {
                  message: 'Unknown type "ChunkUploadUrlsInput". Did you mean "UploadFileInput"?',
                  extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' },
                },
              ],
            },
          };
        const chunks = (variables.input?.chunks ?? []) as { index: number; chunkMd5: string }[];
        if (chunks.length < 1 || chunks.length > 100)
          return graphqlError('BAD_USER_INPUT', 'TOO_MANY_CHUNKS', 'Ask for 1 to 100 chunks at a time.');
        const expiresAt = new Date(Date.now() + this.urlTtlMs).toISOString();
        const urls = chunks.map(({ index, chunkMd5 }) => {
          const search = `?index=${index}&n=${++this.urlSerial}`;
          this.validUrls.add(search);
          return {
            index,
            url: `${this.url.replace('/graphql', '/chunks')}${search}`,
            method: 'PUT',
            headers: [{ name: 'content-md5-hex', value: chunkMd5 }],
            expiresAt,
          };
        });
        return { body: { data: { chunkUploadUrls: urls } } };
      }
      case 'MergeChunks': {
        const missing = this.missing();
        if (missing.length) return graphqlError('BAD_USER_INPUT', 'CHUNKS_MISSING', 'Chunks are missing.', { missing });
        return { body: { data: { mergeChunks: this.media() } } };
      }
      case 'AbortUpload':
        this.aborted.push(String(variables.fileMd5));
        this.stored.clear();
        return { body: { data: { abortUpload: true } } };
      default:
        return graphqlError('BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', `unknown operation ${operation}`);
    }
  }
}
