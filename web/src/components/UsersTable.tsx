import type { Role, User } from "../lib/api";
import { StatusPill } from "./StatusPill";

export const ROLES: Role[] = ["agent", "supervisor", "admin"];

export type UserChange = Partial<{ role: Role; is_active: boolean }>;

interface UsersTableProps {
  users: User[];
  /** The admin looking at the table: they cannot demote or disable themselves here. */
  currentUserId: number | null;
  /** Per user id: why the last change was refused. */
  errors: Record<number, string>;
  onChange: (user: User, change: UserChange) => void;
}

/** Staff accounts with their role and state; role and enable/disable change in place. */
export function UsersTable({ users, currentUserId, errors, onChange }: UsersTableProps) {
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => {
            const self = user.id === currentUserId;
            const error = errors[user.id];
            return (
              <tr key={user.id} className={user.is_active ? "" : "inactive"}>
                <td>
                  <strong>{user.username}</strong>
                  {self && <span className="muted small"> (you)</span>}
                  {error && (
                    <p className="form-error small" role="alert">
                      {error}
                    </p>
                  )}
                </td>
                <td>{user.display_name}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                    Role of {user.username}
                  </label>
                  <select
                    id={`role-${user.id}`}
                    value={user.role}
                    disabled={self}
                    onChange={(event) => onChange(user, { role: event.target.value as Role })}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <StatusPill tone={user.is_active ? "ok" : "muted"}>{user.is_active ? "Active" : "Disabled"}</StatusPill>
                </td>
                <td className="cell-action">
                  {!self && (
                    <button
                      type="button"
                      className={`button button-small ${user.is_active ? "button-danger-outline" : ""}`}
                      onClick={() => onChange(user, { is_active: !user.is_active })}
                      aria-label={`${user.is_active ? "Disable" : "Enable"} ${user.username}`}
                    >
                      {user.is_active ? "Disable" : "Enable"}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
