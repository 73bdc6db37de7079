/**
 * Uploads a small file through media's simple `uploadFile` at `mediaUrl` (a subgraph or the gateway),
 * as the bearer of `token`, and returns the media id; `headers` adds e.g. the gateway secret.
 */
export async function uploadToMedia(
  mediaUrl: string,
  token: string,
  bytes: Buffer,
  fileName: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({ query: 'mutation($file: Upload!) { uploadFile(file: $file) { id } }', variables: { file: null } }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([bytes]), fileName);
  const response = await fetch(`${mediaUrl}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true', ...headers },
    body: form,
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { data?: { uploadFile: { id: string } }; errors?: unknown };
  if (!body.data?.uploadFile.id)
    throw new Error(`the upload of ${fileName} failed: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data.uploadFile.id;
}
