import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation } from 'urql';
import { LoginMutation, SignUpMutation } from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import { href } from '../router';
import { useSessionStore } from '../session/session-context';

export interface LoginPageProps {
  /** Shown above the form, e.g. why the session ended. */
  message?: string;
  /** Show the sign-up form instead of the login form. */
  signUp?: boolean;
}

/** Log in (username or email + password) or sign up; both start a session. */
export function LoginPage({ message, signUp = false }: LoginPageProps) {
  return (
    <main className="auth">
      <h1>PSA Graph</h1>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      {signUp ? <SignUpForm /> : <LoginForm />}
    </main>
  );
}

export function LoginForm() {
  const session = useSessionStore();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [result, run] = useMutation(LoginMutation);
  const errorId = useId();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const res = await run({ input: { login: login.trim(), password } }, { skipAuth: true });
    if (res.data?.login) session.start(res.data.login);
  }

  return (
    <form onSubmit={onSubmit} aria-labelledby="login-title" aria-describedby={errorId}>
      <h2 id="login-title">Log in</h2>
      <label>
        Username or email
        <input
          name="login"
          autoComplete="username"
          required
          value={login}
          onChange={(e) => setLogin(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <ErrorMessage id={errorId} error={result.error} context="Could not log in" />
      <button type="submit" disabled={result.fetching}>
        {result.fetching ? 'Logging in…' : 'Log in'}
      </button>
      <p>
        No account? <a href={href({ name: 'signup' })}>Sign up</a>
      </p>
    </form>
  );
}

export function SignUpForm() {
  const session = useSessionStore();
  const [fields, setFields] = useState({ username: '', email: '', displayName: '', password: '' });
  const [result, run] = useMutation(SignUpMutation);
  const set = (key: keyof typeof fields) => (e: { target: { value: string } }) =>
    setFields((f) => ({ ...f, [key]: e.target.value }));

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const input = {
      username: fields.username.trim(),
      email: fields.email.trim(),
      password: fields.password,
      ...(fields.displayName.trim() ? { displayName: fields.displayName.trim() } : {}),
    };
    const res = await run({ input }, { skipAuth: true });
    if (res.data?.signUp) session.start(res.data.signUp);
  }

  return (
    <form onSubmit={onSubmit} aria-labelledby="signup-title">
      <h2 id="signup-title">Sign up</h2>
      <label>
        Username (3–32 of a-z 0-9 _ . -)
        <input
          name="username"
          autoComplete="username"
          required
          minLength={3}
          maxLength={32}
          value={fields.username}
          onChange={set('username')}
        />
      </label>
      <label>
        Email
        <input
          name="email"
          type="email"
          autoComplete="email"
          required
          value={fields.email}
          onChange={set('email')}
        />
      </label>
      <label>
        Display name (optional)
        <input
          name="displayName"
          autoComplete="name"
          value={fields.displayName}
          onChange={set('displayName')}
        />
      </label>
      <label>
        Password (15–256 characters)
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={15}
          maxLength={256}
          value={fields.password}
          onChange={set('password')}
        />
      </label>
      <ErrorMessage error={result.error} context="Could not sign up" />
      <button type="submit" disabled={result.fetching}>
        {result.fetching ? 'Signing up…' : 'Sign up'}
      </button>
      <p>
        Have an account? <a href={href({ name: 'login' })}>Log in</a>
      </p>
    </form>
  );
}
