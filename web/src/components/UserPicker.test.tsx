import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { Provider } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StubHandler, StubRequest } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { PICKER_DEBOUNCE_MS, UserPicker, type PickedUser } from './UserPicker';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const PEOPLE = [
  { id: 'u1', username: 'alice', displayName: 'Alice Archer', role: 'MEMBER' },
  { id: 'u2', username: 'alan', displayName: null, role: 'MANAGER' },
  { id: 'u3', username: 'albert', displayName: 'Albert Ash', role: 'CLIENT' },
] as const;

/** Answers `users` like the API: the people whose username or display name starts with the search. */
const directory: StubHandler = (request) => {
  const filter = request.variables.filter as { search: string };
  const term = filter.search.toLowerCase();
  const matches = PEOPLE.filter(
    (person) =>
      person.username.startsWith(term) || person.displayName?.toLowerCase().startsWith(term),
  );
  return {
    data: {
      users: {
        __typename: 'UserConnection',
        totalCount: matches.length,
        pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
        edges: matches.map((person) => ({
          __typename: 'UserEdge',
          cursor: person.id,
          node: { __typename: 'User', email: null, ...person },
        })),
      },
    },
  };
};

/** The picker inside a form, as the console uses it; `submitted` counts form submissions. */
function renderPicker(exclude: string[] = []) {
  const { client, calls } = createStubClient(directory);
  const picks: (PickedUser | null)[] = [];
  const submitted = vi.fn();
  function Harness() {
    const [selected, setSelected] = useState<PickedUser | null>(null);
    return (
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submitted(selected);
        }}
      >
        <UserPicker
          label="Person"
          selected={selected}
          exclude={exclude}
          onSelect={(user) => {
            picks.push(user);
            setSelected(user);
          }}
        />
        <p data-testid="picked">{selected?.id ?? 'none'}</p>
      </form>
    );
  }
  render(
    <Provider value={client}>
      <Harness />
    </Provider>,
  );
  return { calls, picks, submitted, input: screen.getByRole('combobox', { name: 'Person' }) };
}

const searches = (calls: StubRequest[]) =>
  calls
    .filter((call) => call.operationName === 'Users')
    .map((call) => (call.variables.filter as { search: string }).search);

describe('user picker', () => {
  it('asks the directory once typing pauses, not for every key', async () => {
    // Fake clocks and keystrokes as change events: user-event's own waits would need the clock.
    vi.useFakeTimers();
    const { calls, input } = renderPicker();
    fireEvent.change(input, { target: { value: 'a' } });
    fireEvent.change(input, { target: { value: 'al' } });
    await act(() => vi.advanceTimersByTimeAsync(PICKER_DEBOUNCE_MS - 1));
    expect(searches(calls)).toEqual([]);
    expect(input.getAttribute('aria-expanded')).toBe('false');

    await act(() => vi.advanceTimersByTimeAsync(1));
    await vi.waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(3));
    expect(searches(calls)).toEqual(['al']);
    expect(input.getAttribute('aria-expanded')).toBe('true');

    fireEvent.change(input, { target: { value: 'ali' } });
    fireEvent.change(input, { target: { value: 'alic' } });
    await act(() => vi.advanceTimersByTimeAsync(PICKER_DEBOUNCE_MS));
    await vi.waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(1));
    expect(searches(calls)).toEqual(['al', 'alic']);
  });

  it('is driven from the keyboard: ↓/↑ move, Enter picks without submitting, Escape closes', async () => {
    const user = userEvent.setup();
    const { picks, submitted, input } = renderPicker();
    await user.type(input, 'al');
    const first = await screen.findByRole('option', { name: /alice/ }, { timeout: 5_000 });
    expect(input.getAttribute('aria-activedescendant')).toBe(first.id);
    expect(first.getAttribute('aria-selected')).toBe('true');

    await user.keyboard('{ArrowDown}');
    const second = screen.getByRole('option', { name: /alan/ });
    expect(input.getAttribute('aria-activedescendant')).toBe(second.id);
    await user.keyboard('{ArrowUp}{ArrowUp}');
    // Wraps around to the last one.
    expect(input.getAttribute('aria-activedescendant')).toBe(
      screen.getByRole('option', { name: /Albert Ash/ }).id,
    );
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(picks.at(-1)).toEqual({
      id: 'u2',
      username: 'alan',
      displayName: null,
      role: 'MANAGER',
    });
    expect(submitted).not.toHaveBeenCalled();
    expect((input as HTMLInputElement).value).toBe('alan');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(screen.getByTestId('picked').textContent).toBe('u2');

    // Once picked, Enter submits the form with the person.
    await user.keyboard('{Enter}');
    expect(submitted).toHaveBeenCalledWith(expect.objectContaining({ id: 'u2' }));

    // Typing again drops the choice; Escape closes the list and picks nobody.
    await user.type(input, 'x');
    expect(screen.getByTestId('picked').textContent).toBe('none');
    await user.clear(input);
    await user.type(input, 'Albert');
    await screen.findByRole('option', { name: /Albert Ash/ }, { timeout: 5_000 });
    await user.keyboard('{Escape}');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(screen.getByTestId('picked').textContent).toBe('none');
  });

  it('picks with the mouse, leaves out the excluded and says when nobody matches', async () => {
    const user = userEvent.setup();
    const { picks, input } = renderPicker(['u1']);
    await user.type(input, 'al');
    await screen.findByRole('option', { name: /alan/ }, { timeout: 5_000 });
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual([
      'alan (manager)',
      'Albert Ash (albert) (client)',
    ]);
    await user.click(screen.getByRole('option', { name: /Albert Ash/ }));
    expect(picks.at(-1)?.id).toBe('u3');
    expect((input as HTMLInputElement).value).toBe('Albert Ash (albert)');

    await user.clear(input);
    await user.type(input, 'zed');
    expect(
      (await screen.findByRole('option', { name: 'Nobody matches “zed”' }, { timeout: 5_000 }))
        .textContent,
    ).toBe('Nobody matches “zed”');
  });
});
