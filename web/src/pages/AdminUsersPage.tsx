import { useCallback, useEffect, useState } from "react";
import { AppHeader } from "../components/AppHeader";
import { CreateUserForm } from "../components/CreateUserForm";
import { UsersTable, type UserChange } from "../components/UsersTable";
import { ApiError, api, type User } from "../lib/api";
import { useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";

function message(caught: unknown, fallback: string): string {
  return caught instanceof ApiError ? caught.message : fallback;
}

function byUsername(a: User, b: User): number {
  return a.username.localeCompare(b.username);
}

/** Admins manage staff accounts: create, change role, disable and enable. */
export function AdminUsersPage() {
  const { user: me } = useAuth();
  useDocumentTitle("Users");
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [rowErrors, setRowErrors] = useState<Record<number, string>>({});

  const reload = useCallback(() => {
    api
      .users()
      .then((loaded) => {
        setUsers([...loaded].sort(byUsername));
        setLoadError(null);
      })
      .catch((caught) => setLoadError(message(caught, "Could not load users.")));
  }, []);
  useEffect(reload, [reload]);

  async function update(user: User, change: UserChange) {
    try {
      const updated = await api.updateUser(user.id, change);
      setUsers((all) => all?.map((u) => (u.id === updated.id ? updated : u)) ?? null);
      setRowErrors(({ [user.id]: _, ...rest }) => rest);
    } catch (caught) {
      setRowErrors((errors) => ({ ...errors, [user.id]: message(caught, "Update failed.") }));
    }
  }

  return (
    <div className="console">
      <AppHeader />
      <main className="admin">
        <section className="card" aria-labelledby="users-title">
          <h1 id="users-title">Users</h1>
          {loadError && (
            <p className="form-error" role="alert">
              {loadError}{" "}
              <button type="button" className="link-button" onClick={reload}>
                Try again
              </button>
            </p>
          )}
          {users === null ? (
            !loadError && <p className="muted">Loading…</p>
          ) : (
            <UsersTable users={users} currentUserId={me?.id ?? null} errors={rowErrors} onChange={(user, change) => void update(user, change)} />
          )}
        </section>
        <CreateUserForm onCreated={(user) => setUsers((all) => [...(all ?? []), user].sort(byUsername))} />
      </main>
    </div>
  );
}
