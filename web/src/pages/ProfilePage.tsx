import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation } from 'urql';
import type { SessionUser } from '../api/operations';
import {
  ChangePasswordMutation,
  LogoutAllMutation,
  UpdateProfileMutation,
} from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import { useSessionStore } from '../session/session-context';

export function ProfilePage({ user }: { user: SessionUser }) {
  const session = useSessionStore();
  const [displayName, setDisplayName] = useState(user.displayName ?? '');
  const [email, setEmail] = useState(user.email ?? '');
  const [profile, update] = useMutation(UpdateProfileMutation);
  const [saved, setSaved] = useState(false);

  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [password, change] = useMutation(ChangePasswordMutation);
  const [changed, setChanged] = useState(false);

  const [all, logoutAll] = useMutation(LogoutAllMutation);

  async function onSave(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const res = await update({ input: { displayName: displayName.trim(), email: email.trim() } });
    if (res.data) {
      session.updateUser(res.data.updateProfile);
      setSaved(true);
    }
  }
  async function onChangePassword(event: FormEvent) {
    event.preventDefault();
    setChanged(false);
    const res = await change({ input: { currentPassword, newPassword } });
    if (res.data?.changePassword) {
      setCurrent('');
      setNew('');
      setChanged(true);
    }
  }
  async function onLogoutAll() {
    const res = await logoutAll({});
    if (res.data?.logoutAll) session.signOut();
  }

  return (
    <main>
      <h1>Profile</h1>
      <p>
        Signed in as <strong>{user.username}</strong> ({user.role.toLowerCase()}), user id{' '}
        <code>{user.id}</code>
      </p>
      <form onSubmit={onSave} aria-label="Profile" className="panel">
        <h2>Details</h2>
        <label>
          Display name
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <label>
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <ErrorMessage error={profile.error} context="Could not save the profile" />
        {saved ? <p role="status">Saved.</p> : null}
        <button type="submit" disabled={profile.fetching}>
          Save
        </button>
      </form>
      <form onSubmit={onChangePassword} aria-label="Change password" className="panel">
        <h2>Password</h2>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          New password (15–256 characters)
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={15}
            maxLength={256}
            value={newPassword}
            onChange={(e) => setNew(e.target.value)}
          />
        </label>
        <ErrorMessage error={password.error} context="Could not change the password" />
        {changed ? <p role="status">Password changed.</p> : null}
        <button type="submit" disabled={password.fetching}>
          Change password
        </button>
      </form>
      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        <button type="button" onClick={() => void onLogoutAll()} disabled={all.fetching}>
          Log out everywhere
        </button>
        <ErrorMessage error={all.error} context="Could not end the sessions" />
      </section>
    </main>
  );
}
