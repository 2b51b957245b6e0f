import { useState } from 'react';
import type { TaskActor, TaskStatus } from '../domain/workflow';
import { allowedMoves, moveLabel } from '../domain/workflow';
import { ErrorMessage } from './ErrorMessage';

/** Moves a task; resolves with the error to show, or undefined on success. */
export type MoveTask = (taskId: string, to: TaskStatus) => Promise<unknown>;

export interface TaskMovesProps {
  task: { id: string; title: string; status: TaskStatus };
  actor: TaskActor;
  onMove: MoveTask;
}

/** One button per move the workflow allows this actor, and the API's error if a move fails. */
export function TaskMoves({ task, actor, onMove }: TaskMovesProps) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const moves = allowedMoves(task.status, actor);

  async function move(to: TaskStatus) {
    setBusy(true);
    setError(undefined);
    try {
      setError(await onMove(task.id, to));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="moves">
      {moves.length > 0 ? (
        <div className="buttons" role="group" aria-label={`Move “${task.title}”`}>
          {moves.map((to) => (
            <button
              key={to}
              type="button"
              disabled={busy}
              onClick={() => void move(to)}
              aria-label={`${moveLabel(task.status, to)}: ${task.title}`}
            >
              {moveLabel(task.status, to)}
            </button>
          ))}
        </div>
      ) : null}
      <ErrorMessage error={error} context={`Could not move “${task.title}”`} />
    </div>
  );
}
