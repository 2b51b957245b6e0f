import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { ProjectsPage } from './ProjectsPage';

afterEach(cleanup);

const NAMES = ['gamma', 'Beta', 'alpha'];

/** The projects list as the API answers it: by name when asked (case ignored), else as created. */
const handler: StubHandler = (request) => {
  if (request.operationName !== 'Projects') {
    return { errors: [{ message: 'unexpected', extensions: { code: 'BAD_REQUEST' } }] };
  }
  const names =
    request.variables.orderBy === 'NAME'
      ? [...NAMES].sort(new Intl.Collator('en', { sensitivity: 'accent' }).compare)
      : NAMES;
  return {
    data: {
      projects: {
        __typename: 'ProjectConnection',
        totalCount: names.length,
        pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
        edges: names.map((name) => ({
          __typename: 'ProjectEdge',
          cursor: name,
          node: {
            __typename: 'Project',
            id: `p-${name}`,
            name,
            status: 'ACTIVE',
            manager: { __typename: 'User', id: 'u1', username: 'ada', displayName: null },
            taskSummary: { __typename: 'TaskSummary', total: 0, percentComplete: 0, overdue: 0 },
          },
        })),
      },
    },
  };
};

const listed = async (): Promise<string[]> => {
  const list = await screen.findByRole('list');
  const links = await within(list).findAllByRole('link');
  return links.map((link) => link.textContent ?? '');
};

describe('ProjectsPage order', () => {
  it('lists oldest first, then by name A to Z when chosen; a search is best match first', async () => {
    const user = userEvent.setup();
    const { client, calls } = createStubClient(handler);
    render(
      <Provider value={client}>
        <ProjectsPage viewer={{ role: 'MEMBER' }} />
      </Provider>,
    );
    expect(await listed()).toEqual(['gamma', 'Beta', 'alpha']);

    await user.selectOptions(screen.getByRole('combobox', { name: 'Order' }), 'NAME');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await screen.findByText('alpha');
    expect(await listed()).toEqual(['alpha', 'Beta', 'gamma']);
    expect(calls.at(-1)?.variables).toMatchObject({ orderBy: 'NAME', filter: {} });

    // With a search the order is the ranking: the select says so and no orderBy is sent.
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'beta');
    const order = screen.getByRole('combobox', { name: 'Order' }) as HTMLSelectElement;
    expect(order.disabled).toBe(true);
    expect(order.value).toBe('BEST_MATCH');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await screen.findByText('gamma');
    const searched = calls.filter((call) => call.operationName === 'Projects').at(-1);
    expect(searched?.variables.filter).toEqual({ search: 'beta' });
    expect(searched?.variables).not.toHaveProperty('orderBy');
    // Typing and selecting take a few seconds on a loaded machine.
  }, 20_000);
});
