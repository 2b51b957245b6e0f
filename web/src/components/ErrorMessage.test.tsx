import { cleanup, render, screen } from '@testing-library/react';
import { CombinedError } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorMessage } from './ErrorMessage';

afterEach(cleanup);

describe('ErrorMessage', () => {
  it('renders nothing without an error', () => {
    const { container } = render(<ErrorMessage error={undefined} />);
    expect(container.innerHTML).toBe('');
  });

  it('shows code, field and message of a GraphQL error as an alert', () => {
    const error = new CombinedError({
      graphQLErrors: [
        {
          message: 'email is already taken',
          extensions: { code: 'BAD_USER_INPUT', field: 'input.email' },
        },
      ],
    });
    render(<ErrorMessage error={error} context="Could not sign up" />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe(
      'Could not sign up. Invalid input (input.email): email is already taken',
    );
  });

  it('lists several errors and a network failure', () => {
    const error = new CombinedError({
      graphQLErrors: [
        { message: 'Not yours', extensions: { code: 'FORBIDDEN' } },
        { message: 'Slow down', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 } },
      ],
      networkError: new Error('Failed to fetch'),
    });
    render(<ErrorMessage error={error} />);
    const items = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual([
      'Not allowed: Not yours',
      'Too many attempts: Slow down Try again in 30 s.',
      'Network problem: Could not reach the server (Failed to fetch)',
    ]);
  });

  it('shows an unknown code as is', () => {
    render(<ErrorMessage error={{ code: 'TEAPOT', message: 'short and stout' }} />);
    expect(screen.getByRole('alert').textContent).toBe('TEAPOT: short and stout');
  });
});
