import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { WEBHOOK_EVENTS } from '../../../shared/src/webhook-events';
import { WebhooksPanel } from './WebhooksPanel';

afterEach(cleanup);

const webhook = {
  __typename: 'Webhook',
  id: 'w1',
  url: 'https://hooks.example.com/psa',
  events: ['task.created'],
  active: true,
  createdAt: '2026-12-03T10:00:00.000Z',
  deliveries: {
    __typename: 'WebhookDeliveryConnection',
    totalCount: 2,
    edges: [
      {
        __typename: 'WebhookDeliveryEdge',
        node: {
          __typename: 'WebhookDelivery',
          id: 'd1',
          event: 'task.created',
          status: 'DELIVERED',
          attempts: 3,
          responseStatus: 200,
          lastAttemptAt: '2026-12-03T10:00:05.000Z',
        },
      },
      {
        __typename: 'WebhookDeliveryEdge',
        node: {
          __typename: 'WebhookDelivery',
          id: 'd2',
          event: 'task.created',
          status: 'FAILED',
          attempts: 8,
          responseStatus: null,
          lastAttemptAt: '2026-12-03T10:10:00.000Z',
        },
      },
    ],
  },
};

const handler: StubHandler = (request) => {
  if (request.operationName === 'Webhooks') {
    return {
      data: {
        webhooks: {
          __typename: 'WebhookConnection',
          totalCount: 1,
          edges: [{ __typename: 'WebhookEdge', node: webhook }],
        },
      },
    };
  }
  if (request.operationName === 'CreateWebhook') {
    return {
      data: {
        createWebhook: {
          __typename: 'WebhookWithSecret',
          secret: 'whsec_shown_once',
          webhook: { ...webhook, id: 'w2', url: 'https://other.example.com/in' },
        },
      },
    };
  }
  return { errors: [{ message: 'unexpected', extensions: { code: 'BAD_REQUEST' } }] };
};

describe('webhooks panel', () => {
  it('shows each webhook’s deliveries with status, attempts and the last answer', async () => {
    const { client } = createStubClient(handler);
    render(
      <Provider value={client}>
        <WebhooksPanel />
      </Provider>,
    );
    const item = await screen.findByRole('article', {
      name: 'Webhook https://hooks.example.com/psa',
    });
    const rows = within(item).getAllByRole('row').slice(1);
    expect(
      rows.map((row) =>
        within(row)
          .getAllByRole('cell')
          .map((cell) => cell.textContent),
      ),
    ).toEqual([
      [
        'task.created',
        'delivered',
        ' 3/8',
        '200',
        new Date('2026-12-03T10:00:05.000Z').toLocaleString(),
      ],
      [
        'task.created',
        'failed',
        ' 8/8',
        '—',
        new Date('2026-12-03T10:10:00.000Z').toLocaleString(),
      ],
    ]);
    expect(within(item).getByText('2 deliveries')).toBeTruthy();
  });

  it('creates a webhook with the chosen events and shows its secret once', async () => {
    const user = userEvent.setup();
    const { client, calls } = createStubClient(handler);
    render(
      <Provider value={client}>
        <WebhooksPanel />
      </Provider>,
    );
    const form = screen.getByRole('form', { name: 'New webhook' });
    // Every event the API accepts, from its one list, and no other.
    expect(
      within(form)
        .getAllByRole('checkbox')
        .map((box) => box.closest('label')?.textContent),
    ).toEqual([...WEBHOOK_EVENTS]);
    expect(WEBHOOK_EVENTS).toHaveLength(17);
    await user.type(within(form).getByLabelText('URL (https:)'), 'https://other.example.com/in');
    await user.click(within(form).getByRole('checkbox', { name: 'task.status_changed' }));
    await user.click(within(form).getByRole('button', { name: 'Create webhook' }));
    expect((await screen.findByRole('status')).textContent).toContain('whsec_shown_once');
    const create = calls.find((call) => call.operationName === 'CreateWebhook');
    expect(create?.variables).toEqual({
      input: {
        url: 'https://other.example.com/in',
        events: ['task.created', 'task.status_changed'],
      },
    });
  });
});
