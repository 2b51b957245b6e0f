import type { UserRef } from '../api/operations';

/** The options of an assignee picker: nobody, then each person by display name (or username). */
export function AssigneeOptions({ people }: { people: UserRef[] }) {
  return (
    <>
      <option value="">Nobody</option>
      {people.map((p) => (
        <option key={p.id} value={p.id}>
          {p.displayName ?? p.username}
        </option>
      ))}
    </>
  );
}
