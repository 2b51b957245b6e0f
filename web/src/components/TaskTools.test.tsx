import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BoardTask } from '../api/operations';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { TaskEditForm, TaskTools, taskChanges, validateTaskFields } from './TaskTools';

afterEach(cleanup);

const task: BoardTask = {
  id: 't1',
  title: 'Wireframes',
  description: 'Home page',
  status: 'TODO',
  priority: 'MEDIUM',
  overdue: false,
  dueDate: '2030-12-01T00:00:00.000Z',
  assignee: null,
};

function renderWith(handler: StubHandler, ui: React.ReactElement) {
  const { client, calls } = createStubClient(handler);
  render(<Provider value={client}>{ui}</Provider>);
  return calls;
}

describe('task edit form', () => {
  it('shows a missing title next to the field and sends nothing', async () => {
    const user = userEvent.setup();
    const handler = vi.fn<StubHandler>(() => ({ data: {} }));
    const calls = renderWith(handler, <TaskEditForm task={task} onSaved={vi.fn()} />);
    const title = screen.getByLabelText(/^Title/);
    await user.clear(title);
    await user.click(screen.getByRole('button', { name: 'Save task' }));
    expect(title.getAttribute('aria-invalid')).toBe('true');
    const describedBy = title.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toBe('The title is required.');
    expect(calls).toEqual([]);
  });

  it('sends only what changed, and shows the API’s error with its field', async () => {
    const user = userEvent.setup();
    const onSaved = vi.fn();
    const calls = renderWith(
      () => ({
        errors: [
          {
            message: 'title is at most 200 characters',
            extensions: { code: 'BAD_USER_INPUT', field: 'input.title' },
          },
        ],
      }),
      <TaskEditForm task={task} onSaved={onSaved} />,
    );
    const title = screen.getByLabelText(/^Title/);
    await user.clear(title);
    await user.type(title, 'Wireframes v2');
    await user.selectOptions(screen.getByLabelText('Priority'), 'HIGH');
    await user.click(screen.getByRole('button', { name: 'Save task' }));
    const form = screen.getByRole('form', { name: 'Edit “Wireframes”' });
    expect((await within(form).findByRole('alert')).textContent).toBe(
      'Could not save “Wireframes”. Invalid input (input.title): title is at most 200 characters',
    );
    expect(calls[0]?.operationName).toBe('UpdateTask');
    expect(calls[0]?.variables).toEqual({
      input: { id: 't1', title: 'Wireframes v2', priority: 'HIGH' },
    });
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('validates and diffs fields as pure functions', () => {
    expect(
      validateTaskFields({ title: ' ', description: '', dueDate: '12/01/2030', priority: 'LOW' }),
    ).toEqual({
      title: 'The title is required.',
      dueDate: 'The due date must be a date (yyyy-mm-dd).',
    });
    expect(
      taskChanges(task, { title: 'Wireframes', description: '', dueDate: '', priority: 'MEDIUM' }),
    ).toEqual({ id: 't1', description: null, dueDate: null });
  });
});

describe('task tools', () => {
  it('offers edit to the assignee, and assign and delete only to the manager', async () => {
    const user = userEvent.setup();
    const people = [{ id: 'm', username: 'maria', displayName: null }];
    const calls = renderWith(
      () => ({ data: { deleteTask: true } }),
      <TaskTools task={task} people={people} canEdit canManage={false} onChanged={vi.fn()} />,
    );
    expect(screen.getByRole('button', { name: 'Edit “Wireframes”' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Delete “Wireframes”' })).toBeNull();
    expect(screen.queryByLabelText('Assignee of “Wireframes”')).toBeNull();
    cleanup();

    const onChanged = vi.fn();
    const managerCalls = renderWith(
      () => ({ data: { deleteTask: true } }),
      <TaskTools task={task} people={people} canEdit canManage onChanged={onChanged} />,
    );
    await user.click(screen.getByRole('button', { name: 'Delete “Wireframes”' }));
    await user.click(screen.getByRole('button', { name: 'Yes, delete' }));
    expect(managerCalls[0]?.operationName).toBe('DeleteTask');
    expect(managerCalls[0]?.variables).toEqual({ id: 't1' });
    expect(onChanged).toHaveBeenCalled();
    expect(calls).toEqual([]);
  });
});
