import { useEffect, useId, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { useQuery } from 'urql';
import type { AdminUser } from '../api/operations';
import { UsersQuery } from '../api/operations';
import { ErrorMessage } from './ErrorMessage';

/** How long typing must pause before the directory is asked (one request per pause, not per key). */
export const PICKER_DEBOUNCE_MS = 250;
/** How many matches the list shows: enough to pick from, few enough to read. */
const PICKER_LIMIT = 8;

export type PickedUser = Pick<AdminUser, 'id' | 'username' | 'displayName' | 'role'>;

/** The text a picked user reads as: their display name and username. */
export const pickedText = (user: PickedUser): string =>
  user.displayName ? `${user.displayName} (${user.username})` : user.username;

/** The value of `value` once it has stopped changing for `delayMs`. */
function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/**
 * A search-as-you-type field over `users` (a WAI-ARIA combobox with a listbox popup): type the
 * start of a username or display name, move with ↑/↓, pick with Enter or a click, close with
 * Escape. The directory answers only with whom the caller may see. `exclude` hides people who
 * are already there (members, those a document is shared with). A parent resets the field by
 * giving it a new `key` (after adding the person picked).
 */
export function UserPicker(props: {
  label: string;
  selected: PickedUser | null;
  onSelect: (user: PickedUser | null) => void;
  exclude?: readonly string[];
}) {
  const { label, selected, onSelect, exclude = [] } = props;
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState(selected ? pickedText(selected) : '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const term = useDebounced(text.trim(), PICKER_DEBOUNCE_MS);
  const searching = open && term.length > 0 && !selected;
  const [{ data, fetching, error }] = useQuery({
    query: UsersQuery,
    variables: { first: PICKER_LIMIT + exclude.length, filter: { search: term } },
    pause: !searching,
  });

  const options = searching
    ? (data?.users.edges.map((edge) => edge.node) ?? [])
        .filter((user) => !exclude.includes(user.id))
        .slice(0, PICKER_LIMIT)
    : [];
  const expanded = searching && (options.length > 0 || (!fetching && data !== undefined));
  const current = Math.min(active, Math.max(options.length - 1, 0));

  function choose(user: PickedUser) {
    onSelect({
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
    });
    setText(pickedText(user));
    setOpen(false);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        setOpen(true);
        return;
      }
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current + step + options.length) % Math.max(options.length, 1));
    } else if (event.key === 'Enter' && expanded) {
      // Enter picks the highlighted person instead of submitting the surrounding form.
      event.preventDefault();
      const option = options[current];
      if (option) choose(option);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
    }
  }

  const optionId = (index: number) => `${id}-option-${index}`;
  return (
    <span className="picker">
      <label>
        {label}
        <input
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && options.length > 0 ? optionId(current) : undefined}
          autoComplete="off"
          placeholder="Type a name"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setActive(0);
            setOpen(true);
            if (selected) onSelect(null);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
      </label>
      <ul id={listId} role="listbox" aria-label={`${label}: matches`} hidden={!expanded}>
        {options.map((user, index) => (
          <li
            key={user.id}
            id={optionId(index)}
            role="option"
            aria-selected={index === current}
            // mousedown, not click: it comes before the input's blur closes the list.
            onMouseDown={(event) => {
              event.preventDefault();
              choose(user);
            }}
          >
            {pickedText(user)} <span className="muted">({user.role.toLowerCase()})</span>
          </li>
        ))}
        {expanded && options.length === 0 ? (
          <li role="option" aria-selected={false} aria-disabled="true" className="muted">
            Nobody matches “{term}”
          </li>
        ) : null}
      </ul>
      <ErrorMessage error={error} context="Could not search users" />
    </span>
  );
}
