import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { formatBytes } from '../api/file-upload';
import type { DocumentItem } from '../api/operations';
import {
  CreateDocumentMutation,
  DocumentAccessLogQuery,
  ProjectDocumentsQuery,
  ShareDocumentMutation,
  UnshareDocumentMutation,
} from '../api/operations';
import type { Role } from '../domain/workflow';
import { DownloadButton, FileDropZone, FileVersions } from './DocumentFiles';
import { ErrorMessage } from './ErrorMessage';
import { UserPicker, type PickedUser } from './UserPicker';

export interface DocumentsPanelProps {
  projectId: string;
  viewer: { id: string; role: Role };
}

const who = (u: { username: string; displayName: string | null }) => u.displayName ?? u.username;

/** Is `url` a link the API will take (`https:`, or `http:` outside production)? */
export function checkFileUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return 'The link must be a full URL, e.g. https://files.example.com/sow.pdf.';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return 'The link must start with https:// (or http://).';
  }
  return undefined;
}

/**
 * The project's documents: files uploaded here (drop one on the panel or pick it, with a progress
 * bar; download; versions; a new version) and links to files kept elsewhere; for a document's
 * owner (or an admin) sharing with other users and the access log.
 */
export function DocumentsPanel({ projectId, viewer }: DocumentsPanelProps) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ProjectDocumentsQuery,
    variables: { projectId },
  });
  const onChanged = () => refetch({ requestPolicy: 'network-only' });
  const documents = data?.project?.documents.edges.map((e) => e.node) ?? [];
  return (
    <section aria-labelledby="docs-title">
      <h2 id="docs-title">Documents</h2>
      <ErrorMessage error={error} context="Could not load the documents" />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {data && documents.length === 0 ? <p className="muted">No documents.</p> : null}
      <ul className="plain documents">
        {documents.map((d) => (
          <DocumentRow
            key={d.id}
            document={d}
            mayAdminister={viewer.role === 'ADMIN' || d.owner.id === viewer.id}
            onChanged={onChanged}
          />
        ))}
      </ul>
      {viewer.role !== 'CLIENT' ? (
        <>
          <FileDropZone target={{ projectId }} label="Upload a file" onUploaded={onChanged} />
          <CreateDocumentForm projectId={projectId} onCreated={onChanged} />
        </>
      ) : null}
    </section>
  );
}

function DocumentRow(props: {
  document: DocumentItem;
  mayAdminister: boolean;
  onChanged: () => void;
}) {
  const { document: d, mayAdminister } = props;
  const [picked, setPicked] = useState<PickedUser | null>(null);
  // A new key empties the picker once the document is shared.
  const [pickerKey, setPickerKey] = useState(0);
  const [showLog, setShowLog] = useState(false);
  const [showVersions, setShowVersions] = useState(false);
  const [shared, share] = useMutation(ShareDocumentMutation);
  const [unshared, unshare] = useMutation(UnshareDocumentMutation);

  async function onShare(event: FormEvent) {
    event.preventDefault();
    if (!picked) return;
    const res = await share({ input: { documentId: d.id, userId: picked.id } });
    if (!res.error) {
      setPicked(null);
      setPickerKey((key) => key + 1);
      props.onChanged();
    }
  }
  async function onUnshare(id: string) {
    const res = await unshare({ input: { documentId: d.id, userId: id } });
    if (!res.error) props.onChanged();
  }

  return (
    <li>
      {d.file ? (
        // An uploaded file's fileUrl wants a bearer token a plain link does not carry: Download
        // asks the API for a signed link instead.
        <strong>{d.title}</strong>
      ) : (
        <a href={d.fileUrl} target="_blank" rel="noopener noreferrer">
          {d.title}
        </a>
      )}{' '}
      <span className="muted">by {who(d.owner)}</span>
      {d.file ? (
        <div className="file-line">
          <span className="muted">
            {d.file.name}, v{d.file.version}, {formatBytes(d.file.size)}, uploaded by{' '}
            {who(d.file.uploadedBy)}
          </span>{' '}
          <DownloadButton documentId={d.id} title={d.title} />
          <button
            type="button"
            className="small"
            aria-expanded={showVersions}
            onClick={() => setShowVersions(!showVersions)}
          >
            {showVersions ? 'Hide versions' : 'Versions'}
          </button>
          {showVersions ? <FileVersions documentId={d.id} title={d.title} /> : null}
          {mayAdminister ? (
            <FileDropZone
              target={{ documentId: d.id }}
              label={`Upload a new version of “${d.title}”`}
              onUploaded={props.onChanged}
            />
          ) : null}
        </div>
      ) : null}
      {d.sharedWith.length > 0 ? (
        <ul className="plain shared" aria-label={`“${d.title}” is shared with`}>
          {d.sharedWith.map((u) => (
            <li key={u.id}>
              shared with {who(u)}
              {mayAdminister ? (
                <button
                  type="button"
                  className="small"
                  aria-label={`Stop sharing “${d.title}” with ${u.username}`}
                  onClick={() => void onUnshare(u.id)}
                >
                  Unshare
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorMessage error={unshared.error} context={`Could not stop sharing “${d.title}”`} />
      {mayAdminister ? (
        <>
          <form onSubmit={onShare} className="inline" aria-label={`Share “${d.title}”`}>
            <UserPicker
              key={pickerKey}
              label="Share with"
              selected={picked}
              onSelect={setPicked}
              exclude={[d.owner.id, ...d.sharedWith.map((u) => u.id)]}
            />
            <button type="submit" className="small" disabled={!picked || shared.fetching}>
              Share
            </button>
          </form>
          <ErrorMessage error={shared.error} context={`Could not share “${d.title}”`} />
          <button
            type="button"
            className="small"
            aria-expanded={showLog}
            onClick={() => setShowLog(!showLog)}
          >
            {showLog ? 'Hide access log' : 'Access log'}
          </button>
          {showLog ? <AccessLog documentId={d.id} title={d.title} /> : null}
        </>
      ) : null}
    </li>
  );
}

function AccessLog({ documentId, title }: { documentId: string; title: string }) {
  const [{ data, fetching, error }] = useQuery({
    query: DocumentAccessLogQuery,
    variables: { id: documentId, first: 50 },
    requestPolicy: 'network-only',
  });
  const log = data?.document?.accessLog;
  return (
    <div className="access-log">
      <ErrorMessage error={error} context="Could not load the access log" />
      {fetching && !log ? <p role="status">Loading…</p> : null}
      {log ? (
        <table>
          <caption>
            Access log of “{title}” ({log.totalCount}
            {log.pageInfo.hasNextPage ? `, the first ${log.edges.length}` : ''})
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {log.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <time dateTime={node.accessTime}>
                    {new Date(node.accessTime).toLocaleString()}
                  </time>
                </td>
                <td>{who(node.user)}</td>
                <td>{node.action.toLowerCase()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function CreateDocumentForm({
  projectId,
  onCreated,
}: {
  projectId: string;
  onCreated: () => void;
}) {
  const [title, setTitle] = useState('');
  const [fileUrl, setFileUrl] = useState('');
  const [urlError, setUrlError] = useState<string | undefined>();
  const [result, create] = useMutation(CreateDocumentMutation);
  const errorId = useId();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problem = checkFileUrl(fileUrl);
    setUrlError(problem);
    if (problem) return;
    const res = await create({
      input: { projectId, title: title.trim(), fileUrl: fileUrl.trim() },
    });
    if (!res.error) {
      setTitle('');
      setFileUrl('');
      onCreated();
    }
  }

  return (
    <details className="panel">
      <summary>New document</summary>
      <form onSubmit={onSubmit} aria-label="New document" noValidate>
        <label>
          Title
          <input required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label>
          Link (URL of the file)
          <input
            type="url"
            required
            placeholder="https://files.example.com/sow.pdf"
            value={fileUrl}
            onChange={(e) => setFileUrl(e.target.value)}
            aria-invalid={urlError ? true : undefined}
            aria-describedby={urlError ? errorId : undefined}
          />
          {urlError ? (
            <span className="field-error" id={errorId}>
              {urlError}
            </span>
          ) : null}
        </label>
        <ErrorMessage error={result.error} context="Could not add the document" />
        <button type="submit" disabled={result.fetching}>
          Add document
        </button>
      </form>
    </details>
  );
}
