import { useRef, useState } from 'react';
import type { DragEvent } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import type { ApiError } from '../api/api-error';
import { contentTypeOf, formatBytes, sendFile, sha256Of } from '../api/file-upload';
import type { DocumentFileItem } from '../api/operations';
import {
  CompleteDocumentUploadMutation,
  CreateDocumentUploadMutation,
  DocumentDownloadQuery,
  DocumentVersionsQuery,
} from '../api/operations';
import { ErrorMessage } from './ErrorMessage';

const who = (u: { username: string; displayName: string | null }) => u.displayName ?? u.username;

/** A first upload into a project, or a new version of a document. */
export type UploadTarget = { projectId: string } | { documentId: string };

type Upload =
  | { phase: 'idle' }
  | { phase: 'preparing' | 'completing'; name: string }
  | { phase: 'sending'; name: string; sent: number; total: number };

/**
 * The three steps of an upload: ask the API for a signed URL, send the bytes there (with
 * progress), ask the API to check what arrived. Any step's refusal is shown; a file the API
 * refused on completion is gone, so trying again starts over.
 */
function useFileUpload(target: UploadTarget, onDone: () => void) {
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const [error, setError] = useState<unknown>();
  const [, createUpload] = useMutation(CreateDocumentUploadMutation);
  const [, completeUpload] = useMutation(CompleteDocumentUploadMutation);

  async function start(file: File) {
    setError(undefined);
    setUpload({ phase: 'preparing', name: file.name });
    try {
      const created = await createUpload({
        input: {
          ...target,
          fileName: file.name,
          contentType: contentTypeOf(file),
          size: file.size,
          sha256: await sha256Of(file),
        },
      });
      const signed = created.data?.createDocumentUpload;
      if (created.error || !signed) throw created.error ?? new Error('No upload link');
      setUpload({ phase: 'sending', name: file.name, sent: 0, total: file.size });
      await sendFile(signed, file, (sent, total) =>
        setUpload({ phase: 'sending', name: file.name, sent, total }),
      );
      setUpload({ phase: 'completing', name: file.name });
      const completed = await completeUpload({ input: { documentId: signed.document.id } });
      if (completed.error) throw completed.error;
      setUpload({ phase: 'idle' });
      onDone();
    } catch (caught) {
      setError(caught as ApiError);
      setUpload({ phase: 'idle' });
    }
  }
  return { upload, error, start, busy: upload.phase !== 'idle' };
}

function UploadProgress({ upload }: { upload: Upload }) {
  if (upload.phase === 'idle') return null;
  let label: string;
  if (upload.phase === 'sending') {
    label = `Uploading “${upload.name}”: ${formatBytes(upload.sent)} of ${formatBytes(upload.total)}`;
  } else if (upload.phase === 'preparing') {
    label = `Preparing “${upload.name}”…`;
  } else {
    label = `Checking “${upload.name}”…`;
  }
  return (
    <div className="upload-progress" role="status">
      <span>{label}</span>
      <progress
        aria-label={`Upload of “${upload.name}”`}
        max={upload.phase === 'sending' ? upload.total || 1 : undefined}
        value={upload.phase === 'sending' ? upload.sent : undefined}
      />
    </div>
  );
}

/** A drop zone with a file picker: a file dropped or picked is uploaded to `target` at once. */
export function FileDropZone({
  target,
  label,
  onUploaded,
}: {
  target: UploadTarget;
  /** What the zone says and the picker is named, e.g. "Upload a file". */
  label: string;
  onUploaded: () => void;
}) {
  const { upload, error, start, busy } = useFileUpload(target, onUploaded);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file && !busy) void start(file);
  }

  return (
    <div
      className={over ? 'dropzone over' : 'dropzone'}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      aria-busy={busy}
    >
      <label className="file-pick">
        <span>{label}</span>
        <input
          ref={input}
          type="file"
          disabled={busy}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void start(file);
            // The same file can be picked again after a refusal.
            event.target.value = '';
          }}
        />
      </label>
      <span className="muted"> or drop a file here</span>
      <UploadProgress upload={upload} />
      <ErrorMessage error={error} context="Could not upload the file" />
    </div>
  );
}

/**
 * Download: asks for a fresh signed link when clicked (it expires in minutes, and handing one
 * out may count as a download) and lets the browser fetch it as an attachment.
 */
export function DownloadButton({ documentId, title }: { documentId: string; title: string }) {
  const client = useClient();
  const [error, setError] = useState<unknown>();
  const [fetching, setFetching] = useState(false);

  async function onClick() {
    setError(undefined);
    setFetching(true);
    const result = await client
      .query(DocumentDownloadQuery, { id: documentId }, { requestPolicy: 'network-only' })
      .toPromise();
    setFetching(false);
    const url = result.data?.document?.downloadUrl;
    if (result.error || !url) {
      setError(result.error ?? new Error('This document has no file to download'));
      return;
    }
    // An attachment: the browser saves it and the console stays where it is.
    const link = document.createElement('a');
    link.href = url;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  }

  return (
    <>
      <button
        type="button"
        className="small"
        disabled={fetching}
        aria-label={`Download “${title}”`}
        onClick={() => void onClick()}
      >
        Download
      </button>
      <ErrorMessage error={error} context={`Could not download “${title}”`} />
    </>
  );
}

/** Every version of a document's file, newest first: who uploaded it and when. */
export function FileVersions({ documentId, title }: { documentId: string; title: string }) {
  const [{ data, fetching, error }] = useQuery({
    query: DocumentVersionsQuery,
    variables: { id: documentId },
    requestPolicy: 'cache-and-network',
  });
  const versions: readonly DocumentFileItem[] = data?.document?.versions ?? [];
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  return (
    <>
      <ErrorMessage error={error} context={`Could not load the versions of “${title}”`} />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {data ? (
        <table className="versions">
          <caption>Versions of “{title}”</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">File</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded by</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst.map((v) => (
              <tr key={v.version}>
                <td>v{v.version}</td>
                <td>{v.name}</td>
                <td>{formatBytes(v.size)}</td>
                <td>{who(v.uploadedBy)}</td>
                <td>
                  <time dateTime={v.uploadedAt}>{new Date(v.uploadedAt).toLocaleString()}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
