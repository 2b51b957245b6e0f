import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CreateWebhookDocument,
  DeleteWebhookDocument,
  WebhooksDocument,
  type WebhookFieldsFragment,
} from '../api/generated';
// The API's one list of event names (a file free of imports, shared with the notifications service).
import { WEBHOOK_EVENTS } from '../../../shared/src/webhook-events';
import { ErrorMessage } from './ErrorMessage';

const STATUS_TEXT = { PENDING: 'pending', DELIVERED: 'delivered', FAILED: 'failed' } as const;

/**
 * The admin's webhooks: create one (its secret is shown once, to copy into the receiver), see
 * each one's deliveries with their status, attempts and the receiver's last answer, delete it.
 */
export function WebhooksPanel() {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: WebhooksDocument,
    variables: { first: 20 },
    requestPolicy: 'cache-and-network',
  });
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['task.created']);
  const [created, create] = useMutation(CreateWebhookDocument);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);

  async function onCreate(event: FormEvent) {
    event.preventDefault();
    const res = await create({ input: { url: url.trim(), events } });
    if (res.data) {
      setSecret({ url: res.data.createWebhook.webhook.url, secret: res.data.createWebhook.secret });
      setUrl('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  const toggle = (name: string) =>
    setEvents((current) =>
      current.includes(name) ? current.filter((e) => e !== name) : [...current, name],
    );

  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <form onSubmit={onCreate} aria-label="New webhook">
        <label>
          URL (https:)
          <input
            type="url"
            required
            value={url}
            placeholder="https://hooks.example.com/psa"
            onChange={(e) => setUrl(e.target.value)}
          />
        </label>
        <fieldset>
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((name) => (
            <label key={name} className="check">
              <input
                type="checkbox"
                checked={events.includes(name)}
                onChange={() => toggle(name)}
              />
              <code>{name}</code>
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={created.error} context="Could not create the webhook" />
        <button type="submit" disabled={created.fetching}>
          Create webhook
        </button>
      </form>
      {secret ? (
        <p role="status" className="secret">
          Signing secret of {secret.url} (shown once: copy it now): <code>{secret.secret}</code>
        </p>
      ) : null}
      <ErrorMessage error={error} context="Could not load webhooks" />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {data?.webhooks.edges.length === 0 ? <p className="muted">No webhooks yet.</p> : null}
      {data?.webhooks.edges.map(({ node }) => (
        <WebhookItem
          key={node.id}
          webhook={node}
          onDeleted={() => refetch({ requestPolicy: 'network-only' })}
        />
      ))}
      {data ? (
        <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh deliveries
        </button>
      ) : null}
    </section>
  );
}

function WebhookItem(props: { webhook: WebhookFieldsFragment; onDeleted: () => void }) {
  const { webhook } = props;
  const [deleted, remove] = useMutation(DeleteWebhookDocument);
  const deliveries = webhook.deliveries;
  return (
    <article aria-label={`Webhook ${webhook.url}`} className="webhook">
      <h3>
        <code>{webhook.url}</code>
      </h3>
      <p className="muted">{webhook.events.join(', ')}</p>
      <table>
        <caption>{deliveries.totalCount} deliveries</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Last attempt</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <code>{node.event}</code>
              </td>
              <td className={`delivery-${node.status.toLowerCase()}`}>
                {STATUS_TEXT[node.status]}
              </td>
              <td>
                <progress max={8} value={node.attempts} aria-label="Attempts of 8" />{' '}
                {node.attempts}/8
              </td>
              <td>{node.responseStatus ?? '—'}</td>
              <td>{node.lastAttemptAt ? new Date(node.lastAttemptAt).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={deleted.error} context="Could not delete the webhook" />
      <button
        type="button"
        className="small"
        aria-label={`Delete the webhook ${webhook.url}`}
        disabled={deleted.fetching}
        onClick={() =>
          void remove({ id: webhook.id }).then((res) => {
            if (res.data) props.onDeleted();
          })
        }
      >
        Delete
      </button>
    </article>
  );
}
