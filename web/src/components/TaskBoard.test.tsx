import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CombinedError } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardTask } from '../testing/board-tasks';
import { TaskBoard } from './TaskBoard';

afterEach(cleanup);

const tasks = [
  boardTask('a', 'TODO'),
  boardTask('b', 'IN_PROGRESS'),
  boardTask('c', 'BLOCKED'),
  boardTask('d', 'DONE'),
];

function buttonsOf(title: string): string[] {
  const card = screen.getByText(title).closest('li');
  if (!card) throw new Error(`no card for ${title}`);
  return within(card)
    .queryAllByRole('button')
    .map((b) => b.textContent ?? '');
}

describe('TaskBoard', () => {
  it('puts each task in its status column', () => {
    render(
      <TaskBoard
        tasks={tasks}
        viewer={{ id: 'alice', role: 'MEMBER' }}
        managerId="boss"
        onMove={vi.fn()}
      />,
    );
    for (const [column, title] of [
      ['To do', 'Task a'],
      ['In progress', 'Task b'],
      ['Blocked', 'Task c'],
      ['Done', 'Task d'],
    ] as const) {
      const region = screen.getByRole('region', { name: new RegExp(`^${column}`) });
      expect(within(region).getByText(title)).toBeTruthy();
    }
  });

  it('offers the assignee the workflow moves, without reopening', () => {
    render(
      <TaskBoard
        tasks={tasks}
        viewer={{ id: 'alice', role: 'MEMBER' }}
        managerId="boss"
        onMove={vi.fn()}
      />,
    );
    expect(buttonsOf('Task a')).toEqual(['Start', 'Block']);
    expect(buttonsOf('Task b')).toEqual(['Complete', 'Block']);
    expect(buttonsOf('Task c')).toEqual(['Unblock to To do', 'Unblock to In progress']);
    expect(buttonsOf('Task d')).toEqual([]);
  });

  it('offers the manager reopening and nothing to other members', () => {
    const { unmount } = render(
      <TaskBoard
        tasks={tasks}
        viewer={{ id: 'boss', role: 'MANAGER' }}
        managerId="boss"
        onMove={vi.fn()}
      />,
    );
    expect(buttonsOf('Task d')).toEqual(['Reopen']);
    unmount();
    render(
      <TaskBoard
        tasks={tasks}
        viewer={{ id: 'bob', role: 'MEMBER' }}
        managerId="boss"
        onMove={vi.fn()}
      />,
    );
    expect(screen.queryAllByRole('button')).toEqual([]);
  });

  it('moves a task and shows an illegal move’s API error next to it', async () => {
    const user = userEvent.setup();
    const onMove = vi.fn(async (taskId: string) =>
      taskId === 'b'
        ? new CombinedError({
            graphQLErrors: [
              {
                message: 'Cannot move from IN_PROGRESS to DONE; allowed: BLOCKED',
                extensions: { code: 'BAD_USER_INPUT', field: 'input.status' },
              },
            ],
          })
        : undefined,
    );
    render(
      <TaskBoard
        tasks={tasks}
        viewer={{ id: 'alice', role: 'MEMBER' }}
        managerId="boss"
        onMove={onMove}
      />,
    );

    await user.click(screen.getByRole('button', { name: 'Start: Task a' }));
    expect(onMove).toHaveBeenCalledWith('a', 'IN_PROGRESS');
    expect(screen.queryByRole('alert')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Complete: Task b' }));
    expect(onMove).toHaveBeenCalledWith('b', 'DONE');
    const card = screen.getByText('Task b').closest('li') as HTMLElement;
    const alert = await within(card).findByRole('alert');
    expect(alert.textContent).toContain(
      'Invalid input (input.status): Cannot move from IN_PROGRESS to DONE; allowed: BLOCKED',
    );
  });
});
