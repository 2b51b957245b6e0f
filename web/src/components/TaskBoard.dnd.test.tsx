import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardTask } from '../testing/board-tasks';
import { TaskBoard } from './TaskBoard';
import type { MoveTask } from './TaskMoves';

afterEach(cleanup);

/** A DataTransfer as much as the board uses (jsdom has none). */
function dataTransfer(): Pick<DataTransfer, 'setData' | 'getData' | 'effectAllowed'> {
  const data = new Map<string, string>();
  return {
    setData: (type: string, value: string) => void data.set(type, value),
    getData: (type: string) => data.get(type) ?? '',
    effectAllowed: 'all',
  };
}

function drag(title: string, column: string) {
  const card = screen.getByText(title).closest('li') as HTMLElement;
  const target = screen.getByRole('region', { name: new RegExp(`^${column}`) });
  const transfer = dataTransfer();
  fireEvent.dragStart(card, { dataTransfer: transfer });
  fireEvent.dragOver(target, { dataTransfer: transfer });
  return { card, target, drop: () => fireEvent.drop(target, { dataTransfer: transfer }) };
}

describe('TaskBoard drag and drop', () => {
  const board = (onMove: MoveTask = vi.fn(async () => undefined), viewerId = 'alice') =>
    render(
      <TaskBoard
        tasks={[boardTask('a', 'TODO'), boardTask('d', 'DONE')]}
        viewer={{ id: viewerId, role: 'MEMBER' }}
        managerId="boss"
        onMove={onMove}
      />,
    );

  it('marks the columns the workflow allows while dragging, and moves on a drop there', async () => {
    const onMove = vi.fn(async () => undefined);
    board(onMove);
    const { drop } = drag('Task a', 'In progress');
    const column = (name: string) =>
      screen.getByRole('region', { name: new RegExp(`^${name}`) }).className;
    expect(column('In progress')).toContain('drop-allowed');
    expect(column('Blocked')).toContain('drop-allowed');
    expect(column('Done')).toContain('drop-refused');
    expect(column('To do')).toContain('drop-same');
    drop();
    await waitFor(() => expect(onMove).toHaveBeenCalledWith('a', 'IN_PROGRESS'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('explains a drop the workflow does not allow on the card, without calling the API', async () => {
    const onMove = vi.fn(async () => undefined);
    board(onMove);
    const { card, drop } = drag('Task a', 'Done');
    drop();
    const alert = await within(card).findByRole('alert');
    expect(alert.textContent).toBe(
      'Could not move “Task a”. Invalid input: the workflow does not go from To do to Done; from To do it can go to In progress or Blocked',
    );
    expect(onMove).not.toHaveBeenCalled();
  });

  it('explains that only the manager reopens, and that others cannot drag at all', async () => {
    board();
    const { card, drop } = drag('Task d', 'To do');
    drop();
    expect((await within(card).findByRole('alert')).textContent).toContain(
      'Not allowed: only the project’s manager or an admin can reopen a done task',
    );
    cleanup();
    board(undefined, 'bob');
    expect(screen.getByText('Task a').closest('li')?.getAttribute('draggable')).toBe('false');
  });

  it('shows the API’s refusal of an allowed drop on the card', async () => {
    board(vi.fn(async () => new Error('the task was deleted meanwhile')));
    const { card, drop } = drag('Task a', 'Blocked');
    drop();
    expect((await within(card).findByRole('alert')).textContent).toContain(
      'the task was deleted meanwhile',
    );
  });
});
