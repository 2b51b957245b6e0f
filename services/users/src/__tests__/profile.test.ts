import { bearer, Cleanup, graphqlRequest } from '@psa/shared/testing';
import {
  codeOf,
  errorOf,
  login,
  ME,
  newUser,
  signedUp,
  startUsers,
  USER_FIELDS,
  type AuthView,
  type UserView,
} from './users-harness';

const cleanup = new Cleanup();
let url: string;

const UPDATE_PROFILE = `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { ${USER_FIELDS} } }`;

const update = async (accessToken: string, input: Record<string, unknown>) =>
  (
    await graphqlRequest<{ updateProfile: UserView }>(
      url,
      UPDATE_PROFILE,
      { input },
      bearer(accessToken),
    )
  ).body;

beforeAll(async () => {
  url = (await startUsers(cleanup)).service.url;
});

afterAll(() => cleanup.run());

describe('updateProfile', () => {
  let alice: AuthView & { password: string };

  beforeAll(async () => {
    alice = await signedUp(url, 'profile');
  });

  it('changes the display name and the email, trimmed, and leaves absent fields alone', async () => {
    const email = newUser('moved').email as string;
    const renamed = await update(alice.accessToken, { displayName: '  Alice B.  ' });
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data?.updateProfile).toMatchObject({
      id: alice.user.id,
      displayName: 'Alice B.',
    });

    const moved = await update(alice.accessToken, { email: ` ${email} ` });
    expect(moved.data?.updateProfile).toMatchObject({ displayName: 'Alice B.', email });

    const me = await graphqlRequest<{ me: UserView }>(url, ME, {}, bearer(alice.accessToken));
    expect(me.body.data?.me).toMatchObject({ displayName: 'Alice B.', email });
    // The new address signs in, whatever its case.
    expect((await login(url, email.toUpperCase(), alice.password)).errors).toBeUndefined();
  });

  it('clears the display name when it is null or blank', async () => {
    for (const displayName of [null, '   ']) {
      await update(alice.accessToken, { displayName: 'Someone' });
      const body = await update(alice.accessToken, { displayName });
      expect(body.errors).toBeUndefined();
      expect(body.data?.updateProfile.displayName).toBeNull();
    }
  });

  it('answers an empty input with the profile unchanged', async () => {
    const body = await update(alice.accessToken, {});
    expect(body.errors).toBeUndefined();
    expect(body.data?.updateProfile.id).toBe(alice.user.id);
  });

  it.each([
    ['an invalid email', { email: 'not-an-address' }, 'input.email'],
    ['a null email', { email: null }, 'input.email'],
    ['a display name of 101 characters', { displayName: 'd'.repeat(101) }, 'input.displayName'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, input, field) => {
    const body = await update(alice.accessToken, input);
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it("refuses another user's email, whatever its case, with CONFLICT on input.email", async () => {
    const taken = newUser('taken');
    const bob = await signedUp(url, 'bob');
    const other = await update(bob.accessToken, { email: taken.email });
    expect(other.errors).toBeUndefined();

    const body = await update(alice.accessToken, { email: taken.email?.toUpperCase() });
    expect(body.data).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: 'email is already taken',
      extensions: { code: 'CONFLICT', field: 'input.email' },
    });
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(url, UPDATE_PROFILE, { input: { displayName: 'x' } });
    expect(body.data).toBeUndefined();
    expect(codeOf(body)).toBe('UNAUTHENTICATED');
  });
});
